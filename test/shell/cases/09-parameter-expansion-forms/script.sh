#!/bin/bash
# Web node. Everything can be overridden from /etc/default/webfw (not present here).
[ -r /etc/default/webfw-does-not-exist ] && . /etc/default/webfw-does-not-exist

: ${WAN_IF:=eth0}
LAN_IF=${LAN_IF:-eth1}
APP_SPEC=${APP_SPEC:-tcp/8080}
NODE_FQDN=web01.dc2.example.org
NETS="10.1.0.0_16 10.2.0.0_16"
BLOCKED_IFS="if-eth2 if-eth3"
SCRIPT_NAME=webfw.sh
EMPTY=

proto=${APP_SPEC%/*}
port=${APP_SPEC#*/}
short=${NODE_FQDN%%.*}
domain=${NODE_FQDN#*.}
tag="${SCRIPT_NAME%.sh}-$short"

iptables -A INPUT -i "$WAN_IF" -p $proto --dport $port -m comment --comment "$tag" -j ACCEPT
for n in $NETS; do
    iptables -A INPUT -i $LAN_IF -s ${n//_//} -j ACCEPT
done
for i in $BLOCKED_IFS; do
    iptables -A INPUT -i ${i#if-} -j DROP
done
iptables -A INPUT -m comment --comment "$domain has ${#domain} chars" -j RETURN
iptables -A INPUT -p tcp --dport ${METRICS_PORT:=9100} -s 10.1.0.5 -j ACCEPT
iptables -A INPUT -p tcp --dport $((METRICS_PORT + 1)) -s 10.1.0.5 -j ACCEPT
iptables -A INPUT -p udp --dport ${EMPTY:-514} -j ACCEPT
iptables -A INPUT -p udp --dport ${EMPTY-515} -j ACCEPT 2>/dev/null
iptables -A INPUT -p tcp --dport ${UNSET_VAR-516} -j ACCEPT
up=${proto^^}
iptables -A INPUT -p $up --dport 8081 -j ACCEPT
iptables -A OUTPUT -o ${WAN_IF/eth/wan} -j ACCEPT
