#!/bin/bash
# Dual-stack host firewall, same policy for both families where possible.

ipt46() {
    iptables "$@"
    ip6tables "$@"
}
ipt4() { iptables "$@"; }
ipt6() { ip6tables "$@"; }

ipt46 -F
ipt46 -X
ipt46 -P INPUT DROP
ipt46 -P FORWARD DROP
ipt46 -A INPUT -i lo -j ACCEPT
ipt46 -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
ipt46 -A INPUT -m conntrack --ctstate INVALID -j DROP

ipt4 -A INPUT -p icmp --icmp-type echo-request -m limit --limit 5/second -j ACCEPT
ipt4 -A INPUT -p icmp --icmp-type fragmentation-needed -j ACCEPT

for t in destination-unreachable packet-too-big time-exceeded parameter-problem echo-request; do
    ipt6 -A INPUT -p ipv6-icmp --icmpv6-type $t -j ACCEPT
done
# NDP must come from the link itself: hop limit 255
for t in router-advertisement neighbour-solicitation neighbour-advertisement; do
    ipt6 -A INPUT -p icmpv6 --icmpv6-type "$t" -m hl --hl-eq 255 -j ACCEPT
done

ipt46 -A INPUT -p tcp -m multiport --dports 22,80,443 -j ACCEPT
ipt6 -A INPUT -s 2001:db8:0:0:0:0:0:1 -p udp --dport 546 -j ACCEPT
ipt6 -A INPUT -s 2001:DB8:AA::/48 -j ACCEPT
ipt6 -A FORWARD -m hl --hl-lt 2 -j DROP
ipt46 -A INPUT -j REJECT
