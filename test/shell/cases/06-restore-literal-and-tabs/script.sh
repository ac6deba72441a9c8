#!/bin/bash
# Config management writes these blocks; the indentation is tabs (<<- strips them).
DMZ_NET=172.30.0.0/24
DNS_HOST=172.30.0.53

iptables-restore <<'EOF'
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DMZ - [0:0]
-A FORWARD -o $DMZ_IF -j DMZ
-A DMZ -m comment --comment "uses $DMZ_NET literally" -j RETURN
COMMIT
EOF

if true; then
	iptables-restore --noflush <<-EOF
		*filter
		-A DMZ -d $DNS_HOST -p udp --dport 53 -j ACCEPT
		-A DMZ -d $DNS_HOST -p tcp --dport 53 -j ACCEPT
		-A DMZ -d ${DMZ_NET} -p tcp -m multiport --dports 80,443 -j ACCEPT
		COMMIT
	EOF
	ip6tables-restore -n <<-'END'
		*filter
		:DMZ6 - [0:0]
		-A FORWARD -j DMZ6
		-A DMZ6 -d 2001:db8:30::53 -p udp --dport 53 -j ACCEPT
		-A DMZ6 -m comment --comment "$DNS_HOST" -j DROP
		COMMIT
	END
fi
iptables -A DMZ -j DROP
