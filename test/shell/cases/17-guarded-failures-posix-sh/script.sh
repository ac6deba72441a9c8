#!/bin/sh
# Blocklist loader, run from cron every 10 minutes: must be idempotent.
set -e
BLOCKLIST="203.0.113.5 198.51.100.77 203.0.113.5 192.0.2.200"

iptables -N BLACKLIST 2>/dev/null || true
iptables -N BLACKLIST 2>/dev/null || true
iptables -C INPUT -j BLACKLIST 2>/dev/null || iptables -I INPUT -j BLACKLIST
iptables -C INPUT -j BLACKLIST 2>/dev/null || iptables -I INPUT -j BLACKLIST

for ip in $BLOCKLIST; do
    if ! iptables -C BLACKLIST -s "$ip" -j DROP 2>/dev/null; then
        iptables -A BLACKLIST -s "$ip" -j DROP
    fi
done

# old rules from the previous loader, may or may not exist
iptables -D INPUT -j OLDBLOCK 2>/dev/null || :
iptables -F OLDBLOCK 2>/dev/null && iptables -X OLDBLOCK || echo "no OLDBLOCK"

if iptables -L WHITELIST -n >/dev/null 2>&1; then
    iptables -I BLACKLIST -j WHITELIST
else
    iptables -N WHITELIST
    iptables -A WHITELIST -s 192.0.2.0/24 -j RETURN
    iptables -I BLACKLIST 1 -s 192.0.2.0/24 -j RETURN
fi

while iptables -D BLACKLIST -s 198.51.100.77 -j DROP 2>/dev/null; do :; done
! iptables -C BLACKLIST -s 192.0.2.200 -j DROP 2>/dev/null || iptables -R BLACKLIST 3 -s 192.0.2.200 -j REJECT
