#!/bin/bash
# A small host firewall for a web server, the way such scripts are usually
# written: a variable for the command, lists in strings, a helper function.
set -eu

IPT=/sbin/iptables
IP6T=/sbin/ip6tables
PUBLIC_TCP="22 80 443"
ADMIN_NET=198.51.100.0/24
MONITORING=192.0.2.10

both() { $IPT "$@"; $IP6T "$@"; }

both -F
both -X
both -P INPUT DROP
both -P FORWARD DROP
both -P OUTPUT ACCEPT

both -A INPUT -i lo -j ACCEPT
both -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
both -A INPUT -m conntrack --ctstate INVALID -j DROP

$IPT -A INPUT -p icmp --icmp-type echo-request -m limit --limit 10/second -j ACCEPT
$IP6T -A INPUT -p ipv6-icmp -j ACCEPT

for port in $PUBLIC_TCP; do
    both -A INPUT -p tcp --dport "$port" -m conntrack --ctstate NEW -j ACCEPT
done

# node exporter, only for the monitoring host and the admins
$IPT -N MONITOR
$IPT -A INPUT -p tcp --dport 9100 -j MONITOR
$IPT -A MONITOR -s "$MONITORING" -j ACCEPT
$IPT -A MONITOR -s "$ADMIN_NET" -m comment --comment "admin network" -j ACCEPT
$IPT -A MONITOR -j DROP

both -A INPUT -m limit --limit 5/min -j LOG --log-prefix "host drop: "
