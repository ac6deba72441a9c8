#!/bin/bash
# Zone-based filter: per-zone chains, networks per zone, services from a table.
ZONES="lan guest"
lan_nets="192.168.1.0/24 192.168.2.0/24"
guest_nets="192.168.99.0/24"
lan_services="22 53 443"
guest_services="53"

for zone in $ZONES; do
    chain="from_$zone"
    iptables -N "$chain"
    nets_var="${zone}_nets"
    svc_var="${zone}_services"
    for net in ${!nets_var}; do
        iptables -A INPUT -s "$net" -j "$chain"
    done
    for port in ${!svc_var}; do
        for proto in tcp udp; do
            [ "$proto" = udp ] && [ "$port" != 53 ] && continue
            iptables -A "$chain" -p $proto --dport $port -j ACCEPT
        done
    done
    iptables -A "$chain" -j DROP
done

# published services: proto port source comment
while read -r proto port src comment; do
    case $proto in
        ''|\#*) continue ;;
    esac
    iptables -A INPUT -p "$proto" --dport "$port" -s "$src" -m comment --comment "$comment" -j ACCEPT
done <<EOF
# proto port source          what
tcp 25   0.0.0.0/0           inbound mail
tcp 587  ${lan_nets%% *}     submission from lan

udp 1194 203.0.113.0/24      vpn partners
EOF

n=0
while [ $n -lt 3 ]; do
    n=$((n + 1))
    [ $n -eq 2 ] && continue
    iptables -A OUTPUT -o eth$n -j ACCEPT
done
