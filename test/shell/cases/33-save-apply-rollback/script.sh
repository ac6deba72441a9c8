#!/bin/bash
# Apply a new rule set safely: save what is loaded, apply, and roll back to the
# saved rules when a step fails (as iptables-apply and many admin scripts do).
BACKUP=$(mktemp /tmp/iptables.backup.XXXXXX)
BACKUP6=$(mktemp /tmp/ip6tables.backup.XXXXXX)

# What was loaded before (an earlier run of another script).
iptables -N old-rules
iptables -A INPUT -j old-rules
iptables -A old-rules -p tcp --dport 22 -j ACCEPT
ip6tables -A INPUT -p tcp --dport 22 -j ACCEPT

iptables-save > "$BACKUP"
ip6tables-save > "$BACKUP6"

apply() {
    iptables -F INPUT &&
    iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT &&
    iptables -A INPUT -p tcp --dport 443 -j ACCEPT &&
    iptables -A INPUT -j web-filter
}

if ! apply; then
    echo "applying failed, restoring the saved rules" >&2
    iptables-restore < "$BACKUP"
fi

# The IPv6 part applies cleanly and is kept.
if ip6tables -A INPUT -p tcp --dport 443 -j ACCEPT; then
    rm -f "$BACKUP6"
else
    ip6tables-restore < "$BACKUP6"
fi
rm -f "$BACKUP"
