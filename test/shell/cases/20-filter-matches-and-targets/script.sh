#!/bin/bash
# Bastion host: most of the interesting matches in one place.
ADMIN_MAC=00:1A:2B:3C:4D:5E
PRINTERS=192.168.5.100-192.168.5.120
BACKUP_UID=34

iptables -F
iptables -X
iptables -P INPUT DROP
iptables -P OUTPUT DROP

iptables -A INPUT -i lo -j ACCEPT
iptables -A INPUT -m state --state INVALID -j DROP
iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
iptables -A INPUT -m addrtype --dst-type BROADCAST -j DROP
iptables -A INPUT -m addrtype --src-type LOCAL ! --dst-type LOCAL -j DROP
iptables -A INPUT -p icmp --icmp-type echo-request -m limit --limit 2/s --limit-burst 10 -j ACCEPT
iptables -A INPUT -p icmp --icmp-type time-exceeded -j ACCEPT
iptables -A INPUT -p icmp --icmp-type port-unreachable -j ACCEPT
iptables -A INPUT -p icmp -j DROP

# ssh: admin laptop by MAC, others rate limited with recent
iptables -A INPUT -p tcp --dport 22 -m mac --mac-source $ADMIN_MAC -j ACCEPT
iptables -A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name SSH
iptables -A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 4 --name SSH -j LOG --log-prefix "ssh brute: " --log-level warning
iptables -A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --rcheck --seconds 60 --hitcount 4 --name SSH -j DROP
iptables -A INPUT -p tcp --dport 22 -j ACCEPT
iptables -A INPUT -p tcp -m multiport --dports 139,445 -m iprange --src-range $PRINTERS -j ACCEPT
iptables -A INPUT -p tcp -m multiport --sports 1024:65535 --dports 8000:8010,9000 -j ACCEPT
iptables -A INPUT -p udp --sport 67:68 --dport 67:68 -j ACCEPT
iptables -A INPUT -p tcp ! --syn -m state --state NEW -j DROP
iptables -A INPUT -p tcp --tcp-flags ALL NONE -j DROP
iptables -A INPUT -m iprange ! --dst-range 10.0.0.1-10.0.0.9 -p udp -j REJECT --reject-with icmp-host-unreachable
iptables -A INPUT -p tcp -j REJECT --reject-with tcp-reset
iptables -A INPUT -j REJECT

iptables -A OUTPUT -o lo -j ACCEPT
iptables -A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
iptables -A OUTPUT -m owner --uid-owner $BACKUP_UID -p tcp --dport 873 -j ACCEPT
iptables -A OUTPUT -m owner --gid-owner 0 -j ACCEPT
iptables -A OUTPUT -m owner ! --uid-owner 0 -p tcp --dport 25 -j REJECT --reject-with icmp-net-prohibited
iptables -A OUTPUT -p udp --dport 53 -m state --state NEW -j ACCEPT
iptables -A OUTPUT -j LOG --log-prefix "out-drop " --log-level debug --log-uid
