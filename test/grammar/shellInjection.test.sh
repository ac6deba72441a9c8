# SYNTAX TEST "source.shell" "iptables commands in shell scripts"
#!/bin/bash
IPT=/sbin/iptables
#   ^^^^^^^^^^^^^^ - support.function.command.iptables
iptables -A INPUT -p tcp --dport 22 -j ACCEPT # ssh
# <-------- meta.command.iptables.shell support.function.command.iptables
#        ^^ keyword.control.command.iptables
#           ^^^^^ support.function.chain.builtin.iptables
#                 ^^ variable.parameter.option.iptables
#                        ^^^^^^^ variable.parameter.option.iptables
#                                ^^ constant.numeric.integer.port.iptables
#                                      ^^^^^^ constant.language.verdict.iptables
#                                             ^ comment.line.number-sign.shell punctuation.definition.comment.shell - meta.command.iptables.shell
#                                               ^^^ comment.line.number-sign.shell
ip6tables -I INPUT 1 -s 2001:db8::/32 -j my-chain
# <--------- support.function.command.iptables
#         ^^ keyword.control.command.iptables
#                  ^ constant.numeric.integer.decimal.iptables
#                       ^^^^^^^^^^ constant.numeric.ipv6.iptables
#                                        ^^^^^^^^ entity.name.function.chain.iptables
iptables-legacy -N my-chain
# <--------------- support.function.command.iptables
#               ^^ keyword.control.command.iptables
#                  ^^^^^^^^ entity.name.function.chain.iptables
iptables-nft -t nat -A POSTROUTING -o eth0 -j MASQUERADE
# <------------ support.function.command.iptables
#            ^^ variable.parameter.option.iptables
#               ^^^ entity.name.type.table.iptables
#                      ^^^^^^^^^^^ support.function.chain.builtin.iptables
#                                             ^^^^^^^^^^ constant.language.target.iptables
/usr/sbin/iptables -P FORWARD DROP
# <------------------ support.function.command.iptables
#                  ^^ keyword.control.command.iptables
#                     ^^^^^^^ support.function.chain.builtin.iptables
#                             ^^^^ constant.language.verdict.iptables
sudo iptables -F
# <---- entity.name.command.shell
#    ^^^^^^^^ support.function.command.iptables
#             ^^ keyword.control.command.iptables
# through variables: the variable keeps its shell colour
$IPT -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
# <- variable.other.normal.shell
#^^^ variable.other.normal.shell
#    ^^ keyword.control.command.iptables
#                ^^^^^^^^^ support.type.module.iptables
#                          ^^^^^^^^^ variable.parameter.option.iptables
${IPTABLES} -A INPUT -j LOG
# ^^^^^^^^ variable.other.normal.shell
#           ^^ keyword.control.command.iptables
#                       ^^^ constant.language.target.iptables
$IP6TABLES -A INPUT -j DROP
#^^^^^^^^^ variable.other.normal.shell
#          ^^ keyword.control.command.iptables
$SCRIPT -A INPUT
#       ^^ - keyword.control.command.iptables
# shell variables, quoting and substitutions inside the command
iptables -A INPUT -i "$WAN" -s $TRUSTED -p tcp --dport "${PORT}" -j ACCEPT
#                    ^ string.quoted.double.shell punctuation.definition.string.begin.shell
#                      ^^^ variable.other.normal.shell
#                              ^ variable.other.normal.shell
#                               ^^^^^^^ variable.other.normal.shell
#                                                         ^^^^ variable.other.normal.shell
#                                                                ^^ variable.parameter.option.iptables
#                                                                   ^^^^^^ constant.language.verdict.iptables
iptables -A INPUT -m comment --comment "allow ssh" -j ACCEPT
#                                      ^^^^^^^^^^^ string.quoted.double.shell
#                                                  ^^ variable.parameter.option.iptables
iptables -A INPUT -m comment --comment 'no $expansion' -j ACCEPT
#                                      ^^^^^^^^^^^^^^^ string.quoted.single.shell
#                                                         ^^^^^^ constant.language.verdict.iptables
iptables -A INPUT -s "$(cat /etc/trusted)" -j ACCEPT
#                     ^^ punctuation.definition.subshell.single.shell
#                                             ^^^^^^ constant.language.verdict.iptables
# line continuations: the command goes on, the shell escape keeps its colour
iptables -A INPUT -p tcp \
#                        ^ constant.character.escape.line-continuation.shell
    --dport 5432 `# postgres` \
#   ^^^^^^^ meta.command.iptables.shell variable.parameter.option.iptables
#           ^^^^ constant.numeric.integer.port.iptables
#                ^ punctuation.definition.evaluation.backticks.shell
#                 ^^^^^^^^^^ comment.line.number-sign.shell
    -s 10.1.2.0/24 -j ACCEPT
#   ^^ variable.parameter.option.iptables
#      ^^^^^^^^ constant.numeric.ipv4.iptables
#              ^ punctuation.separator.mask.iptables
#               ^^ constant.numeric.mask.iptables
#                     ^^^^^^ constant.language.verdict.iptables
-A INPUT
# <-- - keyword.control.command.iptables
# the command ends at ; && || | and redirections
iptables -A INPUT -j DROP; echo done
#                    ^^^^ constant.language.verdict.iptables
#                        ^ punctuation.terminator.statement.semicolon.shell - meta.command.iptables.shell
#                          ^^^^ support.function.builtin.shell
iptables -N web && iptables -A web -j RETURN || exit 1
#               ^^ punctuation.separator.statement.and.shell
#                  ^^^^^^^^ support.function.command.iptables
#                              ^^^ entity.name.function.chain.iptables
#                                     ^^^^^^ constant.language.verdict.iptables
#                                            ^^ keyword.operator.pipe.shell
#                                               ^^^^ - meta.command.iptables.shell
iptables -S | grep -c DROP
#        ^^ keyword.control.command.iptables
#           ^ keyword.operator.pipe.shell
#                     ^^^^ - constant.language.verdict.iptables
if ! iptables -C INPUT -j ACCEPT 2>/dev/null; then
# <-- keyword.control.if.shell
#    ^^^^^^^^ support.function.command.iptables
#             ^^ keyword.control.command.iptables
#                                ^^ keyword.operator.redirect.shell
#                                  ^^^^^^^^^ string.unquoted.argument.shell
#                                           ^ - meta.command.iptables.shell
#                                             ^^^^ keyword.control.then.shell
  iptables -A INPUT -j ACCEPT
# ^^^^^^^^ support.function.command.iptables
#          ^^ keyword.control.command.iptables
fi
for c in INPUT OUTPUT; do iptables -F "$c"; done
#                      ^^ keyword.control.do.shell
#                         ^^^^^^^^ support.function.command.iptables
#                                  ^^ keyword.control.command.iptables
#                                           ^^^^ keyword.control.done.shell
RULES=$(iptables -S INPUT)
#       ^^^^^^^^ support.function.command.iptables
#                ^^ keyword.control.command.iptables
#                   ^^^^^ support.function.chain.builtin.iptables
#                        ^ punctuation.definition.subshell.single.shell
# not iptables commands
echo "iptables -A INPUT -j DROP"
#              ^^ string.quoted.double.shell - keyword.control.command.iptables
# iptables -A INPUT -j DROP
#          ^^ comment.line.number-sign.shell - keyword.control.command.iptables
iptables-save > /tmp/rules
# <------------- - support.function.command.iptables
# iptables-restore reads a heredoc as a save file
iptables-restore <<'EOF'
# <---------------- support.function.command.iptables
#                ^^ keyword.operator.heredoc.shell
#                  ^ punctuation.definition.string.heredoc.quote.shell
#                   ^^^ punctuation.definition.string.heredoc.delimiter.shell
*filter
# <- meta.embedded.block.iptables source.iptables punctuation.definition.table.iptables
#^^^^^^ entity.name.type.table.iptables
:INPUT DROP [0:0]
#^^^^^ support.function.chain.builtin.iptables
#      ^^^^ constant.language.verdict.iptables
:web - [0:0]
#^^^ entity.name.function.chain.iptables
-A INPUT -i $WAN -j web
# <-- source.iptables keyword.control.command.iptables
#           ^^^^ - variable.other.normal.shell
#                   ^^^ entity.name.function.chain.iptables
COMMIT
# <------ keyword.control.commit.iptables
EOF
# <--- punctuation.definition.string.heredoc.delimiter.shell - source.iptables
echo restored
# <---- support.function.builtin.shell - source.iptables
ip6tables-restore --noflush <<RULES
# <----------------- support.function.command.iptables
#                   ^^^^^^^ constant.other.option
#                             ^^^^^ punctuation.definition.string.heredoc.delimiter.shell
*filter
#^^^^^^ entity.name.type.table.iptables
-A INPUT -i $WAN -j DROP
#           ^ variable.other.normal.shell
#            ^^^ variable.other.normal.shell
#                   ^^^^ constant.language.verdict.iptables
COMMIT
RULES
# <----- punctuation.definition.string.heredoc.delimiter.shell
cat <<EOF | iptables-restore -n
# <--- entity.name.command.shell
#     ^^^ punctuation.definition.string.heredoc.delimiter.shell
#           ^^^^^^^^^^^^^^^^ support.function.command.iptables
*nat
#^^^ entity.name.type.table.iptables
-A POSTROUTING -o eth0 -j MASQUERADE
# <-- keyword.control.command.iptables
#                         ^^^^^^^^^^ constant.language.target.iptables
COMMIT
EOF
# <--- punctuation.definition.string.heredoc.delimiter.shell
	iptables-restore <<-END
#^^^^^^^^^^^^^^^^ support.function.command.iptables
#                 ^^^ keyword.operator.heredoc.shell
	*filter
# ^^^^^^ entity.name.type.table.iptables
	-A INPUT -j ACCEPT
#^^ keyword.control.command.iptables
	COMMIT
#^^^^^^ keyword.control.commit.iptables
	END
#^^^ punctuation.definition.string.heredoc.delimiter.shell
iptables-restore < /etc/iptables/rules.v4
# <---------------- support.function.command.iptables
#                ^ keyword.operator.redirect.shell
#                  ^^^^^^^^^^^^^^^^^^^^^^ string.unquoted.argument.shell
cat <<EOF > /tmp/notes
-A INPUT -j ACCEPT
# <-- string.unquoted.heredoc.no-indent.EOF - keyword.control.command.iptables
EOF
