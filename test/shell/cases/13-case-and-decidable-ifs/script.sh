#!/bin/bash
# One script for every server role; the settings block is edited per host.
ROLE=webproxy
ENABLE_SSH=yes
MAX_CONN=20
BACKUP_HOST=10.0.0.9
MODE=strict
DEBUG=
SYSLOG_HOST=""
RELEASE=bookworm

case $ROLE in
    web|webproxy)
        iptables -A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT
        ;;
    db*)
        iptables -A INPUT -p tcp --dport 5432 -j ACCEPT
        ;;
    *)
        echo "unknown role $ROLE" >&2
        ;;
esac

case "$ROLE" in
    *proxy) iptables -A INPUT -p tcp --dport 3128 -j ACCEPT ;;
esac

if [ "$ENABLE_SSH" = yes ]; then
    iptables -A INPUT -p tcp --dport 22 -j ACCEPT
else
    iptables -A INPUT -p tcp --dport 22 -j DROP
fi

if [ -n "$DEBUG" ]; then
    iptables -A INPUT -j LOG --log-prefix "debug: "
elif [ "$MAX_CONN" -gt 50 ]; then
    iptables -A INPUT -p tcp --syn -m connlimit --connlimit-above 50 -j REJECT
elif [ "$MAX_CONN" -gt 10 ]; then
    iptables -A INPUT -p tcp --syn -m connlimit --connlimit-above "$MAX_CONN" -j REJECT --reject-with tcp-reset
else
    iptables -A INPUT -p tcp --syn -m connlimit --connlimit-above 10 -j DROP
fi

if [[ $MODE == str* ]]; then
    iptables -P INPUT DROP
fi
if [[ $RELEASE != buster && $RELEASE =~ ^book ]]; then
    iptables -A INPUT -m conntrack --ctstate INVALID -j DROP
fi

case $BACKUP_HOST in
    192.168.*) iptables -A INPUT -s $BACKUP_HOST -j ACCEPT ;;
    10.0.0.[0-9]|10.0.0.1[0-9]) iptables -A INPUT -s $BACKUP_HOST -p tcp --dport 873 -j ACCEPT ;;
    *) iptables -A INPUT -s $BACKUP_HOST -j DROP ;;
esac

[ -z "$SYSLOG_HOST" ] || iptables -A OUTPUT -d "$SYSLOG_HOST" -p udp --dport 514 -j ACCEPT
[ "$ROLE" != db ] && iptables -A INPUT -p tcp --dport 5432 -j REJECT
test "$MODE" = "strict" -a "$ENABLE_SSH" = "yes" && iptables -A INPUT -p tcp --dport 22 -m recent --name ssh --update --seconds 60 --hitcount 4 -j DROP
