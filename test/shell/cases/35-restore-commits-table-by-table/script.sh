#!/bin/sh
# A generated firewall loaded the way rule compilers emit it: one restore per
# family, the tables in one heredoc. iptables-restore commits each table at its
# COMMIT, so when a later table fails the earlier ones stay loaded, and the
# table being read when it failed is there too (empty), as after --test.

# Checked first, as an init script does before touching the rules.
if ! /usr/sbin/iptables-legacy-restore --test <<EOT
*nat
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING --out-interface ppp0 --jump MASQUERADE
COMMIT
EOT
then
    echo "the NAT rules do not load" >&2
    exit 1
fi

/usr/sbin/iptables-legacy-restore <<EOT
*mangle
:PREROUTING ACCEPT [0:0]
-A PREROUTING --protocol tcp --dport smtp --jump TOS --set-tos Minimize-Delay
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT --match state --state ESTABLISHED,RELATED --jump ACCEPT
-A INPUT --protocol tcp --dport smtp --jump ACCEPT
-A INPUT --protocol tcp --dport imap3 --jump ACCEPT
COMMIT
*raw
:PREROUTING ACCEPT [0:0]
-A PREROUTING --in-interface lo --jump NOTRACK
COMMIT
EOT

# Added on top of what is loaded: the filter part commits, the security table
# (new) fails at its jump to a chain that does not exist.
iptables-restore --noflush <<EOT
*filter
-A INPUT --in-interface lo --jump ACCEPT
COMMIT
*security
-A INPUT --jump missing-chain
COMMIT
EOT
