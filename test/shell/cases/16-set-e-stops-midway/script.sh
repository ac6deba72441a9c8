#!/bin/bash
# Deploy script. "set -e so we never leave a half-configured firewall" --
# which is exactly what happens when the cleanup step fails.
set -e

IPT="iptables"
[ -f /etc/firewall.local.does-not-exist ] && . /etc/firewall.local.does-not-exist

$IPT -N LOGDROP
$IPT -A LOGDROP -m limit --limit 2/min -j LOG --log-prefix "LOGDROP " --log-level 7
$IPT -A LOGDROP -j DROP
$IPT -A INPUT -i lo -j ACCEPT
$IPT -A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT
$IPT -A INPUT -p tcp --dport 22 -j ACCEPT

false || $IPT -A INPUT -p tcp --dport 80 -j ACCEPT
if $IPT -A INPUT -p tcp --dport 443 -j ACCEPT; then :; fi

# remove the hook of the previous version (it was never installed here)
$IPT -D INPUT -j OLD_INPUT

# never reached from here on
$IPT -A INPUT -j LOGDROP
$IPT -P INPUT DROP
ip6tables -P INPUT DROP
