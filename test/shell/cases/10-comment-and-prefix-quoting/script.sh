#!/bin/bash
# Every rule gets a comment so "iptables -L" is readable for the on-call team.
OWNER="ops team"
TICKET='#4711'
NOTE='cost: $0, path C:\temp'

iptables -N SVC
iptables -A INPUT -j SVC -m comment --comment "jump to services ($OWNER)"
iptables -A SVC -p tcp --dport 22 -m comment --comment 'admin ssh (do not "remove")' -j ACCEPT
iptables -A SVC -p tcp --dport 80 -m comment --comment "web: Bob's \"legacy\" site" -j ACCEPT
iptables -A SVC -p tcp --dport 25 -m comment --comment mail\ relay\ \(old\) -j ACCEPT
iptables -A SVC -p tcp --dport 110 -m comment --comment "pop3"' for '"$OWNER"' '$TICKET -j ACCEPT
iptables -A SVC -p udp --dport 69 -m comment --comment "$NOTE" -j ACCEPT
iptables -A SVC -p udp --dport 161 -m comment --comment $TICKET -j ACCEPT
iptables -A SVC -p tcp --dport 3389 -m comment --comment "$(printf 'rdp\tlegacy')" -j REJECT
iptables -A SVC -p tcp --dport 873 -m comment --comment 'back\slash' -j ACCEPT
iptables -A SVC -p tcp --dport 5900 -m comment --comment "it's \$HOME not $HOME" -j DROP
iptables -A SVC -m limit --limit 1/s -j LOG --log-prefix '[fw] svc: ' --log-level info
iptables -A SVC -j LOG --log-prefix "$OWNER's drop" --log-level 4 --log-tcp-options
