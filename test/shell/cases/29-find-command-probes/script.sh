#!/bin/bash
# arno-iptables-firewall style: the tools are located at start by probing the
# usual paths; the firewall then runs them through variables.
find_command()
{
    local path
    for path in "$@"; do
        if [ -x "$path" ]; then
            echo "$path"
            return 0
        fi
    done
    return 1
}

check_command()
{
    local path
    for path in "$@"; do
        if [ -x "$path" ] || command -v "$path" >/dev/null 2>&1; then
            return 0
        fi
    done
    return 1
}

IP4TABLES="$(find_command /sbin/iptables /usr/sbin/iptables /usr/local/sbin/iptables)"
IP6TABLES="$(find_command /sbin/ip6tables /usr/sbin/ip6tables)"
if [ -z "$IP4TABLES" ]; then
    echo "iptables not found" >&2
    exit 2
fi
if ! check_command ip6tables; then
    IPV6_SUPPORT=0
else
    IPV6_SUPPORT=1
fi

$IP4TABLES -P INPUT DROP
$IP4TABLES -A INPUT -i lo -j ACCEPT
$IP4TABLES -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
$IP4TABLES -A INPUT -p tcp --dport 22 -j ACCEPT
if [ "$IPV6_SUPPORT" = "1" ] && [ -n "$IP6TABLES" ]; then
    $IP6TABLES -P INPUT DROP
    $IP6TABLES -A INPUT -i lo -j ACCEPT
    $IP6TABLES -A INPUT -p ipv6-icmp -j ACCEPT
    $IP6TABLES -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
fi
