#!/bin/bash
# Maintenance run on a live box: edit rules in place instead of reloading.
iptables -t filter -N WEB
iptables -t filter -N OLD_SSH
iptables -N SCRATCH1
iptables -N SCRATCH2
iptables -A INPUT -j OLD_SSH
iptables -A INPUT -p tcp --dport 80 -j WEB
iptables -A FORWARD -j OLD_SSH

iptables -A WEB -s 10.0.0.0/8 -j ACCEPT
iptables -I WEB -s 192.168.0.0/16 -j ACCEPT        # no position: first
iptables -I WEB 3 -j DROP                          # 2 rules: 3 = length+1 appends
iptables -I WEB 2 -s 172.16.0.0/12 -j ACCEPT
iptables -I WEB 5 -s 100.64.0.0/10 -j ACCEPT       # 4 rules: appends again
iptables -R WEB 1 -s 192.168.0.0/16 -p tcp -j ACCEPT
iptables -D WEB 3                                   # the 10/8 rule
iptables -D WEB -s 172.16.0.0/12 -j ACCEPT          # by specification
iptables -A WEB -p tcp --dport 80 -j ACCEPT
iptables -A WEB -p tcp --dport 80 -j ACCEPT
iptables -D WEB -p tcp --dport 80 -j ACCEPT         # deletes the first of the two

iptables -E OLD_SSH SSH_IN                          # both jumps follow the rename
iptables -A SSH_IN -p tcp --dport 22 -j ACCEPT
iptables -I SSH_IN -s 10.0.0.0/8 -p tcp --dport 22 -j ACCEPT

iptables -A SCRATCH1 -j ACCEPT
iptables -A SCRATCH2 -j SCRATCH1
iptables -F SCRATCH2
iptables -X SCRATCH1                                # still has a rule: refused
iptables -X SCRATCH2
iptables -Z
iptables -Z WEB 1
iptables -P FORWARD DROP
iptables -P OUTPUT DROP
iptables -P OUTPUT ACCEPT

iptables -t mangle -N MARKS
iptables -t mangle -N MARKS2
iptables -t mangle -A MARKS -j RETURN
iptables -t mangle -A PREROUTING -j MARKS
iptables -t mangle -F
iptables -t mangle -X
iptables -t mangle -A OUTPUT -p tcp --dport 25 -j DSCP --set-dscp-class AF21

iptables -t raw -A PREROUTING -s 192.0.2.1 -j DROP
iptables -t raw -A PREROUTING -s 192.0.2.2 -j DROP
iptables -t raw -D PREROUTING 1
iptables -t nat -N UNUSED
iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE
iptables -t nat -F POSTROUTING
