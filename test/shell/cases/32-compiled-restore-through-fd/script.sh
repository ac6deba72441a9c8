#!/bin/sh
# Shorewall style compiled firewall: the rules are written to a file through
# file descriptor 3, then loaded with one iptables-restore; the file is kept
# as the state of what was loaded.
VARDIR=/tmp/shorewall-state
mkdir -p $VARDIR
RESTOREFILE=$VARDIR/.iptables-restore-input

run_iptables_restore() {
    iptables-restore --wait < $RESTOREFILE || { echo "restore of $RESTOREFILE failed" >&2; exit 2; }
}

exec 3>$RESTOREFILE
echo '*raw' >&3
echo ':PREROUTING ACCEPT [0:0]' >&3
echo ':OUTPUT ACCEPT [0:0]' >&3
echo 'COMMIT' >&3
echo '*filter' >&3
echo ':INPUT DROP [0:0]' >&3
echo ':FORWARD DROP [0:0]' >&3
echo ':OUTPUT ACCEPT [0:0]' >&3
for chain in net-fw fw-net net-loc; do
    echo ":$chain - [0:0]" >&3
done
cat >&3 <<__EOF__
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -i eth0 -j net-fw
-A OUTPUT -o eth0 -j fw-net
-A FORWARD -i eth0 -o eth1 -j net-loc
__EOF__
for port in 22 80; do
    printf -- '-A net-fw -p tcp --dport %s -j ACCEPT\n' $port >&3
done
echo '-A net-fw -j DROP' >&3
echo '-A fw-net -j ACCEPT' >&3
echo '-A net-loc -j REJECT' >&3
echo 'COMMIT' >&3
exec 3>&-

run_iptables_restore
