#!/bin/bash
# What fail2ban's iptables-multiport action runs for a jail: actionstart once,
# then actionban for each offender. fail2ban substitutes its <tags> into the
# action text; here they are shell variables with the values of jail.conf.
name=sshd
port=ssh,2222
protocol=tcp
chain=INPUT
blocktype="REJECT --reject-with icmp-port-unreachable"
returntype=RETURN
iptables="iptables -w"

actionstart() {
    $iptables -N f2b-$name
    $iptables -A f2b-$name -j $returntype
    for proto in $(echo $protocol | sed -e 's/,/ /g'); do
        $iptables -I $chain -p $proto -m multiport --dports $port -j f2b-$name
    done
}

actioncheck() {
    for proto in $(echo $protocol | sed -e 's/,/ /g'); do
        $iptables -n -L $chain | grep -q "f2b-$name[ \t]" || return 1
    done
}

actionban() {
    $iptables -I f2b-$name 1 -s $1 -j $blocktype
}

actionunban() {
    $iptables -D f2b-$name -s $1 -j $blocktype
}

actionstart
actioncheck || echo "jail $name is not hooked in" >&2
for ip in 192.0.2.10 198.51.100.7 203.0.113.99; do
    actionban $ip
done
actionunban 198.51.100.7

# A second jail on udp and tcp (protocol list), as for a DNS jail.
name=named-refused
port=domain,953
protocol=udp,tcp
actionstart
actionban 192.0.2.53
