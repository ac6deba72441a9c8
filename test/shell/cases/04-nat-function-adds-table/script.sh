#!/bin/bash
# Edge router NAT. The nat() helper saves typing "-t nat" every time.
WAN=eth0
LAN=eth1
LAN_NET=192.168.50.0/24
PUBLIC_IP=198.51.100.20
PROXY_PORT=3128

nat() {
    iptables -t nat "$@"
}

# fwd_port PROTO PUBLIC_PORT HOST [HOST_PORT]
fwd_port() {
    nat -A PREROUTING -i $WAN -d $PUBLIC_IP -p $1 --dport $2 \
        -j DNAT --to-destination $3${4:+:$4}
    iptables -A FORWARD -i $WAN -o $LAN -p $1 -d $3 --dport ${4:-$2} -j ACCEPT
}

nat -F
nat -X
iptables -F FORWARD
iptables -P FORWARD DROP
iptables -A FORWARD -m state --state ESTABLISHED,RELATED -j ACCEPT
iptables -A FORWARD -i $LAN -o $WAN -s $LAN_NET -j ACCEPT

nat -A POSTROUTING -o $WAN -s $LAN_NET -j SNAT --to-source $PUBLIC_IP
nat -A POSTROUTING -o ppp0 -j MASQUERADE --random
nat -A PREROUTING -i $LAN -p tcp --dport 80 -j REDIRECT --to-ports $PROXY_PORT
nat -A PREROUTING -i $LAN -p udp --dport 53 -j REDIRECT --to-port 5353
nat -I PREROUTING -i $LAN -d 192.168.50.1 -j RETURN

fwd_port tcp 8443 192.168.50.10 443
fwd_port udp 1194 192.168.50.11
fwd_port tcp 2222 192.168.50.12 22
nat -A OUTPUT -d $PUBLIC_IP -p tcp --dport 8443 -j DNAT --to-destination 192.168.50.10:443
nat -A POSTROUTING -o $LAN -s $LAN_NET -d 192.168.50.10 -p tcp --dport 443 -j SNAT --to 192.168.50.1
