#!/bin/bash
# The installer drops a config and an allow-list next to the script; the
# firewall sources the config and reads the list line by line.
CONF_DIR=/tmp/fwconf
mkdir -p "$CONF_DIR"
cat > "$CONF_DIR/fw.conf" <<'EOF'
# firewall settings
WAN_IF=eth0
ALLOW_PING=1
SSH_PORT=2222
LOG_DROPS=no
EOF
cat > "$CONF_DIR/allow.list" <<'EOF'
# host/net         port
203.0.113.10       443
203.0.113.0/28     8443
   # indented comment
198.51.100.7       22
EOF

. "$CONF_DIR/fw.conf"
source "$CONF_DIR/fw.conf"

iptables -N ALLOWLIST
iptables -A INPUT -i "$WAN_IF" -j ALLOWLIST
iptables -A INPUT -i "$WAN_IF" -p tcp --dport "$SSH_PORT" -j ACCEPT
if [ "$ALLOW_PING" -eq 1 ]; then
    iptables -A INPUT -p icmp --icmp-type 8 -j ACCEPT
fi
case $LOG_DROPS in
    [Yy]es|1|true) iptables -A INPUT -j LOG ;;
esac

while read -r src port; do
    case "$src" in ''|'#'*) continue ;; esac
    iptables -A ALLOWLIST -s "$src" -p tcp --dport "$port" -j ACCEPT
done < "$CONF_DIR/allow.list"

count=0
grep -v '^ *#' "$CONF_DIR/allow.list" | while read -r src port; do
    count=$((count + 1))
    iptables -A ALLOWLIST -s "$src" -p udp --dport "$port" -m comment --comment "udp #$count" -j ACCEPT
done
iptables -A ALLOWLIST -m comment --comment "count after pipe: $count" -j RETURN
rm -rf "$CONF_DIR"
