#!/bin/bash
# Library-style firewall: small functions, one per concern.
proto=udp            # global, shadowed by a local below

# allow CHAIN PROTO PORT...
allow() {
    local chain=$1 proto=$2
    shift 2
    local p
    for p in "$@"; do
        iptables -A "$chain" -p "$proto" --dport "$p" -j ACCEPT
    done
}

is_private() {
    case $1 in
        10.*|192.168.*|172.1[6-9].*|172.2[0-9].*|172.3[01].*) return 0 ;;
    esac
    return 1
}

want_ipv6() { return 1; }

chain_for() { echo "zone_$1"; }

count_args() { echo $#; }

make_chain() {
    local name
    name=$(chain_for "$1")
    iptables -N "$name" || return 2
    iptables -A INPUT -i "$2" -j "$name"
}

make_chain web eth0
make_chain admin eth1
allow "$(chain_for web)" tcp 80 443 8080
allow zone_admin tcp 22
# global proto is still udp after the calls
allow zone_admin $proto 161 162

for h in 10.1.2.3 8.8.4.4 172.20.1.1 172.40.0.1 192.168.3.3; do
    if is_private $h; then
        iptables -A zone_admin -s $h -j ACCEPT
    else
        iptables -A zone_web -s $h -j DROP
    fi
done

if want_ipv6; then
    ip6tables -A INPUT -j ACCEPT
fi

make_chain web eth0 2>/dev/null
rc=$?
if [ $rc -eq 2 ]; then
    iptables -A zone_web -m comment --comment "make_chain returned $rc" -j RETURN
fi
n=$(count_args a "b c" d)
iptables -A zone_web -p tcp --dport $((n * 1000)) -j ACCEPT
