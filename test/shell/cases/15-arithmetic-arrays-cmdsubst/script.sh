#!/bin/bash
# Game server host: port blocks computed from an instance count.
BASE=27000
INSTANCES=3
STEP=10
declare -a WEB_PORTS=(80 443 "8443")
TRUSTED=( "10.0.0.1" 10.0.0.2 )
TRUSTED+=(10.0.0.3)

for ((i = 0; i < INSTANCES; i++)); do
    first=$((BASE + i * STEP))
    last=$(( first + STEP - 1 ))
    iptables -A INPUT -p udp --dport $first:$last -j ACCEPT
done

for p in "${WEB_PORTS[@]}"; do
    iptables -A INPUT -p tcp --dport "$p" -j ACCEPT
done
iptables -A INPUT -p tcp --dport $(( BASE + ${#WEB_PORTS[@]} )) -j ACCEPT
iptables -A INPUT -p tcp --dport "${WEB_PORTS[1]}" -s "${TRUSTED[-1]}" -j LOG

for ((i = ${#TRUSTED[@]} - 1; i >= 0; i--)); do
    iptables -A INPUT -s "${TRUSTED[$i]}" -p tcp --dport 22 -j ACCEPT
done

for oct in $(seq 1 3); do
    iptables -A FORWARD -s 10.10.$oct.0/24 -d 10.10.$((oct % 3 + 1)).0/24 -j ACCEPT
done
for n in $(seq 5 5 15); do
    iptables -A FORWARD -s 10.20.$n.0/24 -j DROP
done

range=$(printf '%d:%d' $BASE $((BASE + INSTANCES * STEP - 1)))
iptables -A OUTPUT -p udp --sport "$range" -j ACCEPT
host=$(echo "10.0.0.$((2 ** 4))")
iptables -A OUTPUT -d $host -j ACCEPT
mark=$((1 << 4 | 3))
iptables -t mangle -A PREROUTING -p udp --dport $BASE -j MARK --set-mark $mark
hexmark=$(printf '0x%x' $((mark * 2)))
iptables -t mangle -A PREROUTING -p udp --dport $((BASE + 1)) -j MARK --set-mark $hexmark
count=0
((count++))
((count += 5))
let count=count*2
iptables -A INPUT -p tcp --dport $((count > 10 ? 1000 + count : 2000)) -j ACCEPT
