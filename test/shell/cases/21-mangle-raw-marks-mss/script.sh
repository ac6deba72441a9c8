#!/bin/bash
# Policy routing helper: marks per uplink, connmark persistence, MSS fixes,
# conntrack bypass for the busy DNS resolver.
WAN1=eth0
WAN2=ppp0
MARK_WAN1=0x1
MARK_WAN2=0x2

iptables -t mangle -F
iptables -t raw -F

iptables -t mangle -A PREROUTING -j CONNMARK --restore-mark
iptables -t mangle -A PREROUTING -m mark ! --mark 0 -j ACCEPT
iptables -t mangle -A PREROUTING -i $WAN1 -j MARK --set-mark $MARK_WAN1
iptables -t mangle -A PREROUTING -i $WAN2 -j MARK --set-mark $MARK_WAN2
iptables -t mangle -A PREROUTING -p tcp --dport 25 -j MARK --or-mark 0x100
iptables -t mangle -A PREROUTING -p tcp --dport 80 -j MARK --and-mark 0xff
iptables -t mangle -A PREROUTING -p udp -j MARK --xor-mark 4
iptables -t mangle -A PREROUTING -s 10.0.0.0/8 -j MARK --set-xmark 0x10/0xf0
iptables -t mangle -A PREROUTING -j CONNMARK --save-mark
iptables -t mangle -A OUTPUT -m connmark --mark 0x2/0xff -j CONNMARK --restore-mark --mask 0xff
iptables -t mangle -A POSTROUTING -m mark --mark 0x1 -j CONNMARK --set-mark 0x1
iptables -t mangle -A FORWARD -o $WAN2 -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
iptables -t mangle -A FORWARD -o $WAN1 -p tcp --tcp-flags SYN,RST SYN -m tcpmss --mss 1400:65535 -j TCPMSS --set-mss 1360
iptables -t mangle -A PREROUTING -p tcp --dport 22 -j TOS --set-tos Minimize-Delay

iptables -t raw -A PREROUTING -p udp --dport 53 -j CT --notrack
iptables -t raw -A OUTPUT -p udp --sport 53 -j CT --notrack
iptables -t raw -A PREROUTING -i lo -j NOTRACK
iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp
iptables -A INPUT -m conntrack --ctstate UNTRACKED -j ACCEPT

ip6tables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
ip6tables -t raw -A PREROUTING -p udp --dport 53 -j CT --notrack
