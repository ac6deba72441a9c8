#!/bin/bash
# Gateway for the office VPN. Binaries in variables "so it is easy to port".
IPT=/sbin/iptables
IP6T="/usr/sbin/ip6tables"
IPTABLES="iptables -w"
IPTABLES_NAT="iptables -w 5 -t nat"
VPN_NET=10.8.0.0/16
OFFICE_NET=192.168.10.0/24

"$IPT" -N TRUSTED
${IPT} -A TRUSTED -s $OFFICE_NET -j ACCEPT
$IPT -A TRUSTED -s "$VPN_NET" -j ACCEPT
$IPTABLES -A INPUT -j TRUSTED
$IPTABLES -A INPUT -p udp --dport 1194 -j ACCEPT
${IPTABLES} -A FORWARD -s $VPN_NET -d $OFFICE_NET -j ACCEPT
$IPTABLES_NAT -A POSTROUTING -s $VPN_NET -o eth0 -j MASQUERADE

"$IP6T" -A INPUT -s fe80::/10 -j ACCEPT
${IP6T} -A INPUT -p udp --dport 1194 -j ACCEPT

# Quoted, the string is one word: bash looks for a command named "iptables -w"
"$IPTABLES" -A INPUT -p tcp --dport 23 -j DROP
echo "telnet block status: $?"

IPT="$IPT -t mangle"
$IPT -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
