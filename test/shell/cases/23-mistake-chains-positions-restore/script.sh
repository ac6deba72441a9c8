#!/bin/bash
# Chain housekeeping done out of order, and a restore block with an error.
IPT=iptables

$IPT -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
$IPT -A INPUT -p tcp --dport 22 -j ACCEPT
# MISTAKE: appending to a chain that was never created
$IPT -A MONITOR -s 10.0.0.5 -j ACCEPT
# MISTAKE: positions past the end (INPUT has 2 rules)
$IPT -I INPUT 4 -p icmp -j ACCEPT
$IPT -R INPUT 3 -p icmp -j ACCEPT
$IPT -D INPUT 5
$IPT -I INPUT 3 -p icmp -j ACCEPT
# MISTAKE: rename onto an existing name, delete a built-in chain, policy on a user chain
$IPT -N MONITOR
$IPT -N LOGGING
$IPT -E MONITOR LOGGING
$IPT -X INPUT
$IPT -P MONITOR DROP
$IPT -A MONITOR -s 10.0.0.5 -j ACCEPT
# MISTAKE: -F/-Z on a chain that does not exist
$IPT -F MONTIOR
$IPT -Z nat

# MISTAKE: the second block is missing its COMMIT, the third has a bad option:
# neither is applied; the first and fourth are
$IPT-restore --noflush <<EOF
*filter
-A LOGGING -j LOG --log-prefix "fw: "
COMMIT
EOF
$IPT-restore --noflush <<EOF
*filter
-A LOGGING -j DROP
EOF
$IPT-restore --noflush <<EOF
*filter
-A INPUT -j LOGGING
-A INPUT -p tcp --dport 25 --syn-flood -j DROP
COMMIT
EOF
$IPT-restore -n <<EOF
*nat
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -o eth0 -j MASQUERADE
COMMIT
EOF
echo "restore status $?"
