#!/bin/bash
# vps-fw: small VPS firewall. Grown over the years, edited by several people,
# so iptables is called in every style anybody ever pasted from a forum.

iptables -F
/sbin/iptables -X
/usr/sbin/ip6tables -F
ip6tables -X

iptables-legacy -P INPUT DROP
ip6tables-legacy -P INPUT DROP
iptables-legacy -P FORWARD DROP

command iptables -A INPUT -i lo -j ACCEPT
env iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
/usr/sbin/iptables -A INPUT -p tcp --dport 22 -j ACCEPT
/usr/sbin/iptables-legacy -A INPUT -p icmp --icmp-type echo-request -j ACCEPT
env LC_ALL=C /sbin/iptables -A INPUT -p udp --dport 51820 -j ACCEPT

/usr/sbin/ip6tables -A INPUT -i lo -j ACCEPT
command ip6tables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
/sbin/ip6tables-legacy -A INPUT -p ipv6-icmp -j ACCEPT
"ip6tables" -A INPUT -p tcp --dport 22 -j ACCEPT

# hand over to iptables for the last rule; nothing after this line runs
exec iptables -A INPUT -m limit --limit 6/min -j LOG --log-prefix "vps-drop: "
iptables -A INPUT -j DROP
ip6tables -P INPUT ACCEPT
