// The shape of everything the extension knows about iptables. The data lives in
// tables.ts, matches.ts, targets.ts and vocabulary.ts; completion, hover,
// diagnostics and the engine all read it through knowledge/index.ts.

export type Family = 'ipv4' | 'ipv6';
export type TableName = 'raw' | 'mangle' | 'nat' | 'filter' | 'security';
export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/**
 * What a target can change about a packet that a later rule could test:
 * `mark` the firewall mark; `conntrack` the connection's state, mark, zone or
 * helper; `addresses` source or destination address; `header` other header
 * fields (TOS/DSCP, TTL/hop limit, TCP flags and options); `sets` ipset
 * contents; `other` anything else a match can see (packet type, rate estimators,
 * priority, security labels).
 */
export type PacketChange = 'mark' | 'conntrack' | 'addresses' | 'header' | 'sets' | 'other';

/**
 * How an option's argument is written. Simple kinds are names; kinds with
 * parameters are objects. Each kind has one parser in values.ts.
 */
export type ValueSpec =
  | SimpleValueKind
  /**
   * Unsigned integer, written in decimal, hex (0x) or octal (leading 0), like
   * strtoul; `words` are names accepted instead of a number (case-insensitive).
   */
  | { kind: 'uint'; min?: number; max: number; decimalOnly?: boolean; words?: readonly string[] }
  /**
   * `a`, `a:b`, `a:` or `:b` of unsigned integers; an omitted end is min or max.
   * With `proper`, only `a:b` with a < b is accepted.
   */
  | { kind: 'uintRange'; min?: number; max: number; proper?: boolean }
  | { kind: 'double'; min?: number; max?: number }
  /** With `truncate`, iptables silently cuts longer text to `maxLength` instead of refusing it. */
  | { kind: 'string'; minLength?: number; maxLength?: number; truncate?: boolean }
  /**
   * One word out of a fixed list. With `prefix`, iptables also takes any
   * abbreviation and picks the first name it begins. `savedAs`: words that are
   * other names of the same value, and the name iptables-save prints for it.
   */
  | { kind: 'enum'; values: readonly string[]; ignoreCase?: boolean; prefix?: boolean; savedAs?: Readonly<Record<string, string>> }
  /** A comma-separated list of words out of a fixed list (`prefix`: abbreviations allowed). */
  | { kind: 'enumList'; values: readonly string[]; ignoreCase?: boolean; prefix?: boolean; maxItems?: number };

export type SimpleValueKind =
  /** A port number 0-65535 or a service name from /etc/services. */
  | 'port'
  /** `port`, `port:port`, `port:`, `:port` or `:`. */
  | 'portRange'
  /** multiport: up to 15 ports separated by commas, a range `a:b` counts as two. */
  | 'portList'
  /** A single address or host name, no mask. */
  | 'host'
  /** `address[/prefix-length|/dotted-mask]`. */
  | 'hostMask'
  /** -s/-d: comma-separated `address[/mask]` or host names. */
  | 'addressList'
  /** `address[-address]` (iprange). */
  | 'addressRange'
  /** A prefix length or a dotted mask. */
  | 'prefixLength'
  /** `value[/mask]`, 32-bit each. */
  | 'markMask'
  /** `value[/mask]` 8-bit, or a symbolic TOS name. */
  | 'tosMask'
  | 'mac'
  | 'logLevel'
  /** A protocol name (tcp, udp, ...) or number 0-255. */
  | 'protocol'
  /** An ICMP type name, or `type[/code]`. */
  | 'icmpType'
  | 'icmpv6Type'
  /** `rate[/second|/minute|/hour|/day]` for the limit family. */
  | 'rate'
  /** hashlimit: packets as for `rate`, or bytes such as `512kb/s`. */
  | 'hashlimitRate'
  /** NAT: `[address[-address]][:port[-port]]` (IPv6 addresses in brackets when a port follows). */
  | 'natRange'
  /** NAT: `port[-port]`. */
  | 'natPorts'
  /** An interface name (at most 15 characters, `+` as a trailing wildcard). */
  | 'interface'
  /** `hh:mm[:ss]`. */
  | 'timeOfDay'
  /** `YYYY[-MM[-DD[Thh[:mm[:ss]]]]]`. */
  | 'dateTime'
  /** Comma-separated weekdays: Mon..Sun or 1..7. */
  | 'weekdays'
  /** Comma-separated days of the month 1..31. */
  | 'monthdays'
  /** A string with `|hex|` blocks (string match). */
  | 'hexString'
  /** A u32 test expression. */
  | 'u32'
  /** BPF byte code as `n,op jt jf k,...`. */
  | 'bpf'
  /** An ipset name: only the running machine knows which sets exist. */
  | 'setName'
  /** A TCP flag list (SYN,ACK,FIN,RST,URG,PSH,ALL,NONE). */
  | 'tcpFlagList'
  /** A DSCP class name (EF, AF11, CS1...). */
  | 'dscpClass'
  /** Packet/byte counters `packets,bytes` or `packets bytes`. */
  | 'counters';

export interface OptionSpec {
  /** Long name without the leading `--`. */
  name: string;
  /** Other spellings iptables accepts for the same option. */
  aliases?: readonly string[];
  /** Omitted: the option is a flag and takes no argument. */
  value?: ValueSpec;
  /** Some options take two words (`--tcp-flags mask comp`, `--match-set name flags`). */
  second?: ValueSpec;
  /** `! --option` is accepted. */
  invert?: boolean;
  /** iptables refuses the rule without this option. */
  mandatory?: boolean;
  /** The option may be given more than once. */
  repeatable?: boolean;
  /** Options (long names) that cannot be used together with this one. */
  excludes?: readonly string[];
  /** Options (long names) that must also be given when this one is. */
  requires?: readonly string[];
  /** Valid only beside this option with this value (policy's `--tunnel-src` needs `--mode tunnel`). */
  onlyWith?: { option: string; value: string };
  /** With this option, at least one of these must be given too. */
  requiresOneOf?: readonly string[];
  /** Options iptables wants earlier on the line: it checks while reading the words. */
  after?: readonly string[];
  /** The value must be smaller than this option's value. */
  below?: string;
  /** Removed from current iptables: what to write instead. */
  removed?: string;
  /** A removed option whose current name takes the same value: a quick fix renames it. */
  renamedTo?: string;
  /** The kernel refuses the option outside these hooks. */
  hooks?: readonly Hook[];
  /** The same, per value (`-m policy --dir in` works only where packets come in). */
  valueHooks?: Readonly<Record<string, readonly Hook[]>>;
  /** Values that work only with a given `-p` (e.g. REJECT's `tcp-reset` needs tcp). */
  valueNeedsProtocol?: Readonly<Record<string, readonly string[]>>;
  /** How iptables-save writes the option back; omitted: under its own name, its value in the plain form of its kind. */
  save?: SavedOption;
  /** What the option does, in our own words (Markdown). */
  doc: string;
  /** How the option is written in nftables. */
  nft?: NftOption;
}

/**
 * How an option comes back out of the kernel: iptables stores a parsed value,
 * and the extension's save function prints it in a fixed spelling and form,
 * adding the defaults it stored and leaving out what it did not.
 */
export interface SavedOption {
  /** The spelling iptables-save prints, where that is one of the aliases. */
  name?: string;
  /** How the stored value is written; omitted: the plain form of the value's kind. */
  form?: SavedForm;
  /** The value stored when the rule does not give the option, printed all the same. */
  default?: string | Readonly<Record<Family, string>>;
  /** The default is printed only beside one of these options. */
  defaultWith?: readonly string[];
  /** The default is printed only when none of these options is given. */
  defaultWithout?: readonly string[];
  /** The default belongs to a rate in packets: with a rate in bytes (`512kb/s`) the kernel keeps none. */
  defaultForPacketRates?: boolean;
  /** Not printed when its value comes out as this (also when negated: the kernel then ignores the test). */
  omitWhen?: string | Readonly<Record<Family, string>>;
  /**
   * The kernel keeps the option as another one of the same extension: `--or-mark 4` is
   * `--set-xmark 0x4/0x4`, `--syn` is `--tcp-flags FIN,SYN,RST,ACK SYN`, `--mask` of
   * CONNMARK fills both of its masks.
   */
  storedAs?: readonly StoredAs[];
  /** `!` is not stored: the negated option is kept as this other option (`! --connlimit-upto` as `--connlimit-above`). */
  negatedAs?: string;
}

export interface StoredAs {
  option: string;
  /** The stored value: fixed words, or this option's value combined by a bit operation. */
  values?: readonly string[];
  bits?: BitOperation;
}

/**
 * Operations on a value/mask pair, as the mark and TOS targets store them
 * (value XORed into the bits the mask clears): `xset` keeps `v/m`, `set`
 * clears the value's bits too (`v/(m|v)`), `and` `0/~v`, `or` `v/v`, `xor`
 * `v/0`; `nodeBit` is bit n-1 of a node mask.
 */
export type BitOperation = 'xset' | 'set' | 'and' | 'or' | 'xor' | 'nodeBit';

/**
 * Printed forms of stored values. Numbers: `hex` (`0x1f`), `hex2`,
 * `hex4`, `hex8` (zero-padded to that many digits); `mark`: a number with an
 * optional mask, in hex, the mask left out when all ones; `u32`: the u32
 * match's tests with every number in hex and no spaces. Addresses: `cidr` always
 * with `/length`; the plain form leaves a full mask out. `quoted`: bare when
 * made only of letters, digits, `-` and `_`, else in double quotes with `"`,
 * `\` and `'` escaped; `alwaysQuoted`: always in double quotes, `"` and `\`
 * escaped. `xmark`: `value/mask` in hex, mask always written. `openRange`: a
 * range without an upper end is written as its start alone. `sorted`: a list
 * in the order of the value's word list, duplicates dropped; `states`:
 * conntrack states in the order their `saveOrder` gives. `complement`: a
 * negated day list is stored as the days it leaves out. `pattern`: the string
 * match's pattern, as text or, with a byte that is not printable, all in hex.
 */
export type SavedForm =
  | 'hex' | 'hex2' | 'hex4' | 'hex8' | 'mark' | 'u32'
  | 'cidr' | 'quoted' | 'alwaysQuoted' | 'xmark' | 'openRange' | 'sorted' | 'states' | 'complement'
  | 'pattern' | 'probability' | 'classid';

export interface ExtensionSpec {
  name: string;
  kind: 'match' | 'target';
  /** Omitted: both families. */
  family?: Family;
  /** What the extension is for, in our own words (Markdown). */
  doc: string;
  options: readonly OptionSpec[];
  /** The kernel refuses the rule unless `-p` names one of these, not negated. */
  protocols?: readonly string[];
  /** Tables the kernel accepts it in. Omitted: every table. */
  tables?: readonly TableName[];
  /** Hooks the kernel accepts it from (for a user chain: every hook that reaches it). Omitted: all. */
  hooks?: readonly Hook[];
  /** For targets: traversal ends at this rule (the packet gets a verdict). */
  terminating?: boolean;
  /** A terminating target that still sends some packets on to the next rule: which ones. */
  mayContinue?: string;
  /**
   * For targets that send packets on to the next rule: what they change that a
   * later match can test. Empty: nothing (they only log, count or copy).
   * Omitted: not known, so anything.
   */
  changes?: readonly PacketChange[];
  /**
   * A NAT target: the address it rewrites, the source or the destination;
   * `byHook`: the destination where packets enter, the source where they leave (NETMAP).
   */
  nat?: 'src' | 'dst' | 'byHook';
  /** iptables refuses the extension when none of its options is given. */
  needsAnOption?: boolean;
  /** Options of which at least one must be given (iptables says which). */
  needsOneOf?: readonly string[];
  /**
   * The kernel refuses it unless the same rule also uses this match with one
   * of these options (TCPMSS works only on SYN segments).
   */
  needsMatch?: { name: string; options: readonly string[] };
  /** Still accepted, but there is a better way: shown as a hint. */
  deprecated?: string;
  /** A deprecated alias: the match that does the same, and its names for our options (for a quick fix). */
  replacement?: { name: string; options: Readonly<Record<string, string>> };
  /** No longer exists in current iptables or kernels: why, and what to use. */
  removed?: string;
  /** The order iptables-save prints the options in (long names); omitted: the order of `options`. */
  saveOrder?: readonly string[];
  /** Options the kernel keeps per policy element, each element ended by this option (policy's `--next`). */
  saveElements?: string;
  /**
   * Value syntax, protocol needs and where it is legal are fully described and
   * checked against iptables' own syntax tests. Without it only names and
   * options are known, and value checks are lenient.
   */
  complete?: boolean;
  /**
   * Loading a rule that uses it makes the kernel start connection tracking for
   * the whole namespace (nf_ct_netns_get, defragmentation with it), or only
   * defragmentation before the tables; `unless`: an option that spares it.
   */
  starts?: { what: 'conntrack' | 'defrag'; unless?: string };
  /** How the extension is written in nftables; without it, each option says for itself. */
  nft?: NftExtension;
}

// ---- nftables: how each match and target is written there ------------------

/** Text that differs between the `ip` and `ip6` families of nftables. */
export type NftText = string | Readonly<Record<Family, string>>;

/**
 * A match option as an nftables test: `expr value`, `expr != value` when
 * negated. The value is the option's own, written the way nft writes its kind
 * (a port range `80-88`, a list `{ 22, 80 }`, quoted text, an address/prefix).
 */
export interface NftTest {
  /** What nft tests: `tcp dport`, `ct original saddr`. */
  expr: NftText;
  /** `<` or `>` instead of equality (`--ttl-lt 5` is `ip ttl < 5`). */
  op?: '<' | '>';
  /** For an option without a value: the value nft compares with (`--fragfirst` is `frag frag-off 0`). */
  value?: string;
  /** nft's word for each iptables word of the value (keys in lower case). */
  words?: Readonly<Record<string, string>>;
  /** The words are flags of one bitmask (`ct state new,related`), not items of a set (`{ local, anycast }`). */
  flags?: boolean;
  /** `expr value exists`, negated `missing` (`--tcp-option 2` is `tcp option 2 exists`). */
  presence?: boolean;
  /** The value as written (names nft looks up itself, numbers and `a-b` ranges), or its nft word from `words`. */
  verbatim?: boolean;
  /** The value may carry a mask, `value/mask`, tested as `expr & mask == value`. */
  masked?: boolean;
  /**
   * Per family, where the field is read in a wider, byte-aligned load: its
   * value and mask move `shift` bits left (a field of `width` bits; without a
   * mask, all of them).
   * nft 1.0.6 tests a mask on an unaligned raw field wrongly (the kernel showed
   * it: test/kernel/cases6/715).
   */
  aligned?: Partial<Record<Family, { shift: number; width: number }>>;
  /** iptables counts the header in bytes, nft's field in units: the field is bytes / unit - less. */
  bytes?: { unit: number; less: number };
  /** Why `!` cannot be written for this option, when it cannot. */
  notNegated?: string;
  /** nft's field is narrower than iptables' number: the largest value it holds (a range is cut there). */
  max?: number;
  /** Words with which the kernel's test never matches (`--ctstatus NONE` tests no flag). */
  neverMatches?: readonly string[];
}

/** A target option as a part of the target's nftables statement. */
export interface NftArgument {
  /** The words before the value (`prefix` for `--log-prefix`); all there is of a flag option. */
  keyword: string;
  /** nft's word for each iptables word of the value (keys in lower case). */
  words?: Readonly<Record<string, string>>;
  /** A flag of the statement: written after its arguments, comma-separated (NAT's `random,persistent`). */
  flag?: boolean;
  /** What the statement says when the option is absent (NFLOG's `group 0`). */
  absent?: string;
  /** Where nft does a little differently, for the rule's notes. */
  note?: string;
  /** The value as written. */
  verbatim?: boolean;
}

/**
 * How an option is written in nftables: a test, an argument, part of a
 * translation the extension's form writes (`with`), not written at all but
 * worth a note (`note`), or not expressible (`none`, with the reason).
 */
export type NftOption = NftTest | NftArgument | { form: NftMatchForm } | { with: string } | { note: string } | { none: string };

/**
 * Translations whose options combine into something no single option says
 * (`--limit` with `--limit-burst`, MARK's value/mask arithmetic). Each is a
 * function of the conversion stage (server/src/nft/forms.ts). These write a
 * match, or an option of one, with its companions.
 */
export type NftMatchForm =
  | 'tcpFlags' | 'icmpType' | 'multiport' | 'conntrackState' | 'connlimit' | 'connbytes' | 'socket' | 'policy'
  | 'ipset' | 'rpfilter' | 'limit' | 'hashlimit' | 'statistic' | 'time' | 'addrtype' | 'ipv6header' | 'quota'
  | 'osf' | 'cgroupPath' | 'comment' | 'connlabel' | 'mhType';

/** The forms that write a target whole (they read its options as a target's). */
export type NftTargetForm = 'mark' | 'connmark' | 'tosTarget' | 'tcpmss' | 'tcpoptstrip' | 'ct' | 'setTarget' | 'tproxy' | 'netmap' | 'secmark';

/**
 * How an extension is written in nftables: a statement its options add to
 * (a target), a form that writes it whole (a match's or a target's), no
 * equivalent and why, or (a match whose options each say for themselves) the
 * test it is when given no option.
 */
export type NftExtension =
  | { statement: NftText }
  | { form: NftMatchForm }
  | { targetForm: NftTargetForm }
  | { none: string }
  | { alone: NftText };
