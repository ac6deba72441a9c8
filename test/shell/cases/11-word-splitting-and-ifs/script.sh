#!/bin/bash
# Service lists kept as strings in different formats by different admins.
TCP_OPEN="22 80
443"
UDP_OPEN="53,123,500"
NEW_ONLY="-m conntrack --ctstate NEW"
SPECS="-p tcp --dport 8080 -j ACCEPT
-p udp --dport 4500 -j ACCEPT
-s 198.51.100.0/24 -j DROP"

for p in $TCP_OPEN; do
    iptables -A INPUT -p tcp --dport $p $NEW_ONLY -j ACCEPT
done

OLDIFS=$IFS
IFS=,
for p in $UDP_OPEN; do
    iptables -A INPUT -p udp --dport "$p" -j ACCEPT
done
IFS=$OLDIFS

# one rule spec per line: split on newlines only, then on blanks inside
IFS=$'\n'
for spec in $SPECS; do
    IFS=$' \t\n'
    iptables -A INPUT $spec
done
IFS=$' \t\n'

# quoted: one single argument, iptables rejects it
iptables -A INPUT "$NEW_ONLY" -j ACCEPT 2>/dev/null

set -- $TCP_OPEN
iptables -A INPUT -p tcp -m multiport --dports "$1,$2,$3" -m comment --comment "$# ports" -j LOG

IFS=: read -r lan_if lan_net <<< "eth1:192.168.7.0/24"
iptables -A FORWARD -i "$lan_if" -s "$lan_net" -j ACCEPT

IFS=/ ; parts="10.0.0.0/8"; set -- $parts; unset IFS
iptables -A FORWARD -s "$1/$2" -o eth1 -j ACCEPT
empty=""
iptables -A FORWARD $empty -d 192.168.7.1 -j ACCEPT
