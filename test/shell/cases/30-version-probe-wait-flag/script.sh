#!/bin/sh
# Init-script style: probe which options this iptables supports before using
# them (the lock option -w came with 1.4.20, -W with 1.6.0), as ufw and
# firewalld's helpers do, then build the rules with what was found.
IPT=iptables
if $IPT -w -V >/dev/null 2>&1; then
    IPT="$IPT -w"
    if iptables -w 5 -W 100000 -V >/dev/null 2>&1; then
        IPT="iptables -w 5 -W 100000"
    fi
fi
if ! $IPT -V 2>/dev/null | grep -q 'v1\.'; then
    echo "unexpected iptables version" >&2
fi
iptables --version >/dev/null || exit 1

if ! $IPT -n -L fw-in >/dev/null 2>&1; then
    $IPT -N fw-in
fi
$IPT -F fw-in
$IPT -C INPUT -j fw-in 2>/dev/null || $IPT -A INPUT -j fw-in
$IPT -A fw-in -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
$IPT -A fw-in -p tcp -m multiport --dports 22,80,443 -j ACCEPT
$IPT -A fw-in -p icmp --icmp-type echo-request -m limit --limit 5/second -j ACCEPT
# a missing chain is probed for and only then created
iptables -t nat -n -L fw-dnat >/dev/null 2>&1 || iptables -t nat -N fw-dnat
iptables -t nat -C PREROUTING -j fw-dnat 2>/dev/null || iptables -t nat -A PREROUTING -j fw-dnat
