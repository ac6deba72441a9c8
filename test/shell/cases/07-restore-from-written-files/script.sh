#!/bin/bash
# Render rule files into a temp dir, then load them.
set -u
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
base="$WORK/base.v4"
mgmt="$WORK/mgmt.v4"
v6="$WORK/base.v6"
MGMT_NET=172.20.0.0/16

cat > "$base" <<EOF
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
COMMIT
EOF
iptables-restore < "$base"

cat >"$mgmt" <<EOF
*filter
:MGMT - [0:0]
-A INPUT -s $MGMT_NET -j MGMT
-A MGMT -p tcp --dport 22 -j ACCEPT
EOF
echo "-A MGMT -p tcp --dport 9100 -j ACCEPT" >> "$mgmt"
echo COMMIT >> "$mgmt"

iptables-restore --noflush "$mgmt"
# loaded a second time: MGMT is declared again, so it is emptied first,
# but the INPUT jump is appended once more
iptables-restore -n < "$mgmt"

printf '%s\n' '*filter' ':INPUT DROP [0:0]' '-A INPUT -i lo -j ACCEPT' \
    '-A INPUT -p ipv6-icmp -j ACCEPT' 'COMMIT' > "$v6"
ip6tables-restore "$v6"
