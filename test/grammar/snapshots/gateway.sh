#!/bin/sh
# The same gateway, built by a script.
set -e
IPT=/sbin/iptables
WAN=ppp0
LAN=eth1

$IPT -P INPUT DROP
$IPT -t nat -A POSTROUTING -s 192.168.10.0/24 -o "$WAN" -j MASQUERADE
$IPT -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
for port in 22 53; do
  $IPT -A INPUT -i "$LAN" -p tcp --dport "$port" -j ACCEPT
done
sudo ip6tables -A INPUT -s fe80::/10 -p ipv6-icmp -j ACCEPT   # link-local
iptables -C INPUT -j log-drop 2>/dev/null || iptables -A INPUT \
    -m limit --limit 2/min \
    -j LOG --log-prefix "drop: "

# The base ruleset, loaded atomically.
iptables-restore --noflush <<'RULES'
*filter
:lan-in - [0:0]
-A lan-in -p udp -m udp --dport 53 -m comment --comment "dns" -j ACCEPT
COMMIT
RULES
echo "firewall up on $WAN"
