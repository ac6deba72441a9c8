#!/bin/bash
# arno-iptables-firewall style main script: it reads settings from files on
# the machine (here the distribution's os-release, which every system has, and
# a site file that may exist) and refuses to run when a required one is
# missing. The rules themselves use the script's own settings below.
OS_RELEASE=/etc/os-release
SITE_CONF=/etc/site-firewall.conf

if [ -f "$OS_RELEASE" ]; then
    . "$OS_RELEASE"
fi
[ -r "$SITE_CONF" ] && . "$SITE_CONF"

[ -z "$ID" ] && { echo "cannot tell the distribution" >&2; exit 1; }
if [ -z "$VERSION_ID" ] && [ -z "$PRETTY_NAME" ]; then
    echo "incomplete os-release" >&2
    exit 1
fi

EXT_IF=eth0
OPEN_TCP="22 80 443"
OPEN_UDP=""

iptables -F
iptables -X
iptables -P INPUT DROP
iptables -P FORWARD DROP
iptables -A INPUT -i lo -j ACCEPT
iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
for port in $OPEN_TCP; do
    iptables -A INPUT -i "$EXT_IF" -p tcp --dport "$port" -j ACCEPT
done
for port in $OPEN_UDP; do
    iptables -A INPUT -i "$EXT_IF" -p udp --dport "$port" -j ACCEPT
done
iptables -A INPUT -m comment --comment "$EXT_IF: the rest" -j LOG --log-prefix "fw-in: "
