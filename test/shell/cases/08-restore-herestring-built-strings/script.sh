#!/bin/bash
# NTP/DNS server: bypass conntrack for the UDP services, then the filter rules.
NOTRACK_UDP="123 53"

RAW="*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]"
for p in $NOTRACK_UDP; do
    RAW+=$'\n'"-A PREROUTING -p udp --dport $p -j CT --notrack"
    RAW="$RAW
-A OUTPUT -p udp --sport $p -j CT --notrack"
done
RAW+=$'\nCOMMIT'
iptables-restore --noflush <<< "$RAW"

RULES=$(printf '%s\n' '*filter' ':INPUT ACCEPT [0:0]' ':FORWARD ACCEPT [0:0]' ':OUTPUT ACCEPT [0:0]')
RULES="$RULES
-A INPUT -p udp -m multiport --dports ${NOTRACK_UDP// /,} -j ACCEPT
-A INPUT -p tcp --dport 53 -m conntrack --ctstate NEW -j ACCEPT
COMMIT"
iptables-restore <<<"$RULES"

V6=$'*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp --dport 123 -j ACCEPT\nCOMMIT'
ip6tables-restore <<< "$V6"
