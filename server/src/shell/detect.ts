// Whether shell text runs iptables at all: cheap, and free of the bash parser,
// so the extension can ask it too (the trace button on shell scripts).

/** Does this shell text call iptables at all? (Cheap: decides whether to analyse.) */
export function callsIptables(text: string): boolean {
  return /(^|[\s;|&(`$"'{/])(ip6?tables(-legacy|-nft)?(-restore)?|xtables-(legacy|nft)-multi)\b|\$\{?[A-Za-z_]*(IPT|ipt|iptables)[A-Za-z_]*\}?/m.test(text);
}
