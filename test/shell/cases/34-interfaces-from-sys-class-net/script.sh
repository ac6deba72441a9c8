#!/bin/bash
# Per-interface chains for every interface of the machine, found by listing
# /sys/class/net, as hotplug-style firewall scripts do.
iptables -N in-common
iptables -A in-common -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
iptables -A in-common -p icmp -j ACCEPT

for dev in /sys/class/net/*; do
    i=${dev##*/}
    [ "$i" = lo ] && continue
    iptables -N "in_$i"
    iptables -A "in_$i" -j in-common
    iptables -A INPUT -i "$i" -j "in_$i"
done
iptables -A INPUT -i lo -j ACCEPT
