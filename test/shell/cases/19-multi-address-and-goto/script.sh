#!/bin/bash
# Client networks may only use the resolvers; several addresses per command.
DNS_SERVERS="192.0.2.53,198.51.100.53"
CLIENTS=10.0.1.0/24,10.0.2.0/24
ADMINS=10.0.1.5,10.0.1.6

iptables -N CLIENT_OUT
iptables -N CLIENT_DNS
iptables -N CLIENT_WEB
iptables -A FORWARD -s $CLIENTS -g CLIENT_OUT
iptables -A FORWARD -j ACCEPT
iptables -A CLIENT_OUT -p udp --dport 53 -g CLIENT_DNS
iptables -A CLIENT_OUT -p tcp -m multiport --dports 80,443 --goto CLIENT_WEB
iptables -A CLIENT_OUT -j REJECT --reject-with icmp-admin-prohibited
iptables -A CLIENT_DNS -d $DNS_SERVERS -j ACCEPT
iptables -A CLIENT_DNS -s "$ADMINS" -d "$DNS_SERVERS" -p tcp --dport 53 -j ACCEPT
iptables -A CLIENT_DNS -j DROP
iptables -A CLIENT_WEB -j ACCEPT
iptables -I FORWARD -d 10.0.1.1,10.0.1.2 -j DROP
iptables -I FORWARD 3 -s 10.9.0.1,10.9.0.2 -j DROP
iptables -D CLIENT_DNS -s $ADMINS -d 192.0.2.53 -p tcp --dport 53 -j ACCEPT

ip6tables -A INPUT -s 2001:db8::1,2001:db8::2 -d fd00::/8,fe80::/10 -j ACCEPT
ip6tables -N V6OUT
ip6tables -A FORWARD -o eth0 -g V6OUT
