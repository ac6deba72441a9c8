#!/bin/sh
### BEGIN INIT INFO
# Provides:          firewall
# Short-Description: packet filter for the file server
### END INIT INFO

PATH=/usr/sbin:/sbin:/usr/bin:/bin
IPTABLES=${IPTABLES:-/sbin/iptables}
NAME=firewall
SMB_NETS="192.168.20.0/24 192.168.21.0/24"
NFS_PORTS="111 2049 20048"

log() { printf '%s: %s\n' "$NAME" "$*"; }

open_ports() {
    local proto
    proto=$1
    shift
    for port in "$@"; do
        $IPTABLES -A INPUT -p "$proto" --dport "$port" -j ACCEPT
    done
    log "opened $# $proto ports"
}

do_start() {
    command -v "$IPTABLES" >/dev/null 2>&1 || { log "no iptables"; return 1; }
    $IPTABLES -P INPUT DROP
    $IPTABLES -A INPUT -i lo -j ACCEPT
    $IPTABLES -A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT
    for net in $SMB_NETS; do
        $IPTABLES -A INPUT -s "$net" -p tcp -m multiport --dports 139,445 -j ACCEPT
    done
    open_ports tcp $NFS_PORTS
    open_ports udp 111 2049
    set -- 22 873
    while [ $# -gt 0 ]; do
        $IPTABLES -A INPUT -p tcp --dport "$1" -s 192.168.20.0/24 -j ACCEPT
        shift
    done
    if [ "$(echo $SMB_NETS | wc -w)" -gt 1 ]; then
        $IPTABLES -A INPUT -p icmp -j ACCEPT
    fi
    [[ -n "$NAME" ]] && $IPTABLES -A INPUT -j LOG --log-prefix "bashism "
    $IPTABLES -A INPUT -j REJECT --reject-with icmp-host-prohibited
}

do_stop() {
    $IPTABLES -F
    $IPTABLES -P INPUT ACCEPT
}

case "${1:-start}" in
    start)
        do_start || exit 1
        ;;
    stop)
        do_stop
        ;;
    restart|force-reload)
        do_stop
        do_start
        ;;
    status)
        $IPTABLES -L -n
        ;;
    *)
        echo "Usage: $0 {start|stop|restart|status}" >&2
        exit 3
        ;;
esac
exit 0
