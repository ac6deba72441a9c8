#!/bin/bash
# Someone copied the IPv4 rules into the IPv6 section and vice versa.
ip6tables -P INPUT DROP
ip6tables -A INPUT -i lo -j ACCEPT
ip6tables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
# MISTAKE: IPv4 icmp match in ip6tables
ip6tables -A INPUT -p icmp --icmp-type echo-request -j ACCEPT
ip6tables -A INPUT -p ipv6-icmp --icmpv6-type echo-request -j ACCEPT
# MISTAKE: IPv4 reject type in ip6tables
ip6tables -A INPUT -p tcp --dport 23 -j REJECT --reject-with icmp-host-prohibited
ip6tables -A INPUT -p tcp --dport 23 -j REJECT --reject-with icmp6-adm-prohibited
# MISTAKE: hl in iptables, ttl in ip6tables
iptables -A INPUT -m hl --hl-lt 5 -j DROP
ip6tables -A INPUT -m ttl --ttl-lt 5 -j DROP
iptables -A INPUT -m ttl --ttl-lt 5 -j DROP
# MISTAKE: icmpv6 in iptables
iptables -A INPUT -p ipv6-icmp --icmpv6-type 128 -j ACCEPT
# MISTAKE: bad v6 prefix length
ip6tables -A INPUT -s 2001:db8::/129 -j ACCEPT
ip6tables -A INPUT -s 2001:db8::/32 -p udp --dport 546:547 -j ACCEPT
# MISTAKE: a restore block for v6 with an IPv4-only target option: rejected as a whole
ip6tables-restore --noflush <<'EOF'
*filter
:SERVICES - [0:0]
-A INPUT -j SERVICES
-A SERVICES -p tcp --dport 443 -j ACCEPT
-A SERVICES -j REJECT --reject-with icmp-port-unreachable
COMMIT
EOF
# MISTAKE: a policy of RETURN, and an unknown table
ip6tables -P FORWARD RETURN
ip6tables -t filtr -A INPUT -j ACCEPT
ip6tables -t nat -A POSTROUTING -o eth0 -j MASQUERADE
