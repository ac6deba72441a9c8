#!/bin/bash
# Transparent proxy + hardening, written in a hurry. Several lines are wrong;
# there is no "set -e", so the script just carries on after each error.
LAN=eth1
SQUID_PORT=3128

iptables -A INPUT -i lo -j ACCEPT
# MISTAKE: REDIRECT only exists in the nat table
iptables -t mangle -A PREROUTING -i $LAN -p tcp --dport 80 -j REDIRECT --to-ports $SQUID_PORT
iptables -t nat -A PREROUTING -i $LAN -p tcp --dport 80 -j REDIRECT --to-ports $SQUID_PORT
# MISTAKE: typo in the target name, and lower case
iptables -A INPUT -p tcp --dport $SQUID_PORT -i $LAN -j ACCPET
iptables -A INPUT -p tcp --dport $SQUID_PORT -i $LAN -j accept
iptables -A INPUT -p tcp --dport $SQUID_PORT -i $LAN -j ACCEPT
# MISTAKE: port out of range for tcp
iptables -A INPUT -p tcp --dport 65536 -j DROP
# MISTAKE: unknown limit unit
iptables -A INPUT -p icmp -m limit --limit 5/fortnight -j ACCEPT
iptables -A INPUT -p icmp -m limit --limit 5/minute -j ACCEPT
# MISTAKE: tcp-reset on a rule that is not restricted to tcp
iptables -A INPUT -i $LAN -j REJECT --reject-with tcp-reset
# MISTAKE: owner match in INPUT (only valid for locally generated packets)
iptables -A INPUT -m owner --uid-owner 0 -j ACCEPT
# MISTAKE: -o in INPUT
iptables -A INPUT -o $LAN -j DROP
# MISTAKE: MARK target in the filter table is fine, but SNAT is not
iptables -A FORWARD -o eth0 -j SNAT --to-source 198.51.100.1
iptables -A FORWARD -i $LAN -j MARK --set-mark 7
# MISTAKE: bad address
iptables -A INPUT -s 10.0.0.0/33 -j DROP
iptables -A INPUT -s 10.0.0.0/8 -j DROP
echo "done, last status $?"
