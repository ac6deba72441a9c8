#!/bin/bash
# Whole ruleset in one atomic restore; values filled in by the shell.
WAN_IF=eth0
ADMIN_NET=10.99.0.0/16
WEB_PORTS=80,443
SSH_PORT=22
LOG_PREFIX="FW-DROP "
MONITOR=$(echo 10.99.7.7)

iptables-restore <<EOF
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:ADMIN - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A INPUT -s $ADMIN_NET -j ADMIN
-A INPUT -i $WAN_IF -p tcp -m multiport --dports $WEB_PORTS -j ACCEPT
-A ADMIN -p tcp --dport $SSH_PORT -j ACCEPT
-A ADMIN -p tcp --dport $((SSH_PORT + 8000)) -j ACCEPT
-A ADMIN -s ${MONITOR} -p udp --dport 161 -m comment --comment "snmp \$community" -j ACCEPT
-A INPUT -m limit --limit 3/min -j LOG --log-prefix "$LOG_PREFIX" --log-level 6
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -o $WAN_IF -j MASQUERADE
COMMIT
EOF

iptables -A INPUT -p icmp --icmp-type echo-request -j ACCEPT
