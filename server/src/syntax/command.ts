// Parses the words of one iptables command (`-A INPUT -p tcp --dport 22 -j
// ACCEPT`) the way iptables' own option parser does: getopt_long over the base
// options plus the options of every module loaded so far (newest first), the
// protocol match loaded on demand, `!` before the option it negates.
// It knows nothing about which chains exist: that is the model's job.
import { closest, Diagnostic, diagnostic, didYouMean, DiagnosticCode, FixFacts, Severity } from '../diagnostics';
import {
  ExtensionSpec, Family, FirstValue, KnownExtensionSpec, KnownOptionSpec, MAX_CHAIN_NAME, findTable, OptionName, OptionSpec, SecondValue, ValueSpec, findMatch, findTarget, isStandardTarget,
  matchesFor, modulesDefining, optionNames, otherFamilyExtension, Hook, HOOKS, INPUT_INTERFACE_HOOKS, OUTPUT_INTERFACE_HOOKS,
} from '../knowledge';
import {
  BASE_LONG_OPTIONS as BASE_LONG, BASE_SHORT_OPTIONS as BASE_SHORT, BaseOption, COMMAND_LETTERS as COMMANDS, CommandKind, RULE_COMMANDS,
} from '../knowledge/baseOptions';
import { plainIPv4, plainNetworkValid } from '../knowledge/addresses';
import { checkValue, describeValue, ParsedValue, ValueContext } from '../knowledge/values';
import { protocolName } from '../knowledge/vocabulary';
import { partOf, spanOf, Token } from './token';
import { localized, t } from '../l10n';

export type { CommandKind };

/**
 * A base criterion such as `-s 10.0.0.0/8` or `! -i eth0`. Its value is kept
 * as written; checkValue() gives its meaning to whoever needs it.
 */
export interface Criterion {
  flag: Token;
  value: Token;
  negated: boolean;
  /**
   * `-s`/`-d` of an IPv4 rule: the value read by knowledge/addresses.ts plainIPv4 (-1: not a plain network),
   * so that the model does not read the address a second time.
   */
  plain?: number;
}

/** An option of a match or target as the rule gives it. */
export interface OptionUse {
  spec: KnownOptionSpec;
  flag: Token;
  /** The option's words: one, two for options like `--tcp-flags`, none for flags. */
  values: Token[];
  negated: boolean;
  /**
   * What each value means (see knowledge/values.ts). A value is missing where
   * iptables refuses it or only the running script knows it.
   */
  parsed: readonly (ParsedValue | undefined)[];
}

/**
 * Option `N` (see isOption) of a match or target (K): its values have the
 * types of its value kinds. A name several extensions share gets the union of their kinds.
 */
export interface OptionUseOf<N extends OptionName, K extends ExtensionSpec['kind'] = ExtensionSpec['kind']> extends OptionUse {
  spec: KnownOptionSpec & { name: N };
  parsed: readonly [first?: FirstValue<N, K>, second?: SecondValue<N, K>];
}

/**
 * The option is `name` (or one of these names), so its values have that
 * option's types: the parser builds an OptionUse only from the spec it found
 * by name, and gives each value to the parser of that spec's kind.
 */
export function isOption<N extends OptionName>(o: OptionUse, name: N | readonly N[]): o is OptionUseOf<N> {
  return typeof name === 'string' ? o.spec.name === name : name.some((n) => n === o.spec.name);
}

/**
 * An option's first or second value, for readers of a rule the model kept:
 * its values all parsed (iptables refuses the others). The engine and the nft
 * writer set aside the values only a running script knows before they read.
 */
export function first<T>(o: { parsed: readonly [first?: T, ...rest: unknown[]] }): T {
  return o.parsed[0]!;
}

export function second<T>(o: { parsed: readonly [first?: unknown, second?: T] }): T {
  return o.parsed[1]!;
}

export interface MatchUse {
  name: string;
  spec?: KnownExtensionSpec;
  /** `-m` and the module name after it; absent for the protocol match loaded by `-p`. */
  flag?: Token;
  nameToken?: Token;
  implicit: boolean;
  options: OptionUse[];
}

/** `-j NAME` or `-g NAME`, as the model keeps it. */
export interface TargetHead {
  name: string;
  nameToken: Token;
  goto: boolean;
  /** The target extension, when the name is one (else a verdict or a chain). */
  spec?: KnownExtensionSpec;
}

export interface TargetUse extends TargetHead {
  flag: Token;
  options: OptionUse[];
}

export interface RuleSpec {
  protocol?: Criterion;
  source?: Criterion;
  destination?: Criterion;
  inInterface?: Criterion;
  outInterface?: Criterion;
  fragment?: { flag: Token; negated: boolean };
  matches: MatchUse[];
  target?: TargetUse;
  counters?: Token[];
  /** In a script: option words that belong to a module only the running script names (`-p $proto --dport 22`). */
  unattributed?: Token[];
}

/** What a command does and to which chain, without the rule's criteria. */
interface CommandFields {
  /** In a script: some word's value is only known when the script runs. */
  symbolic?: boolean;
  kind?: CommandKind;
  flag?: Token;
  chain?: Token;
  ruleNumber?: { value: number; token: Token };
  newName?: Token;
  policy?: Token;
  table?: Token;
  /** `-4`/`-6` for the other family: iptables-restore skips the line. */
  otherFamily?: boolean;
}

export interface Command extends CommandFields {
  rule: RuleSpec;
  words: Token[];
  /** `-V` or `-h`: iptables prints its version or help and exits with success, at that word. */
  printsOnly?: 'version' | 'help';
}

/**
 * What the model keeps of a command once it is parsed: a few words instead of
 * all of them (a 160k-rule file would otherwise keep millions of tokens).
 * The whole command can always be parsed again from its line.
 */
export interface CommandHead extends CommandFields {
  target?: TargetHead;
  /** What the model reads of every rule, without the tokens a rule file's head makes when asked. */
  readonly chainName?: string;
  readonly targetName?: string;
  readonly goto: boolean;
  readonly targetSpec?: KnownExtensionSpec;
}

/** A head with one layout for every command, so that code reading heads stays fast. */
export function headOf(command: Command): CommandHead {
  return new Head(command);
}

/**
 * The compact head (LineHead) of a command whose three words are written
 * as they read, on one line (a script's plain line); else undefined.
 */
export function compactHeadOf(command: Command): CommandHead | undefined {
  return writtenAsRead(command) ? new LineHead(command) : undefined;
}

/** The command's three words are written as they read, on one line: a LineHead gives them back. */
export function writtenAsRead(command: Command): boolean {
  const { flag, chain } = command;
  const target = command.rule.target;
  const line = (flag ?? chain ?? target?.nameToken)?.line;
  return !command.symbolic && asWritten(flag, line) && asWritten(chain, line) && asWritten(target?.nameToken, line);
}

/**
 * The word is its text as written on `line`, so its end is its start and its length: not quoted,
 * not `--append=NAME`, not made by the shell (an expanded word has no place of its own per character).
 */
function asWritten(token: Token | undefined, line: number | undefined): boolean {
  return !token || (token.unknown === undefined && !token.quoted && !token.expanded && token.line === line && token.end - token.start === token.text.length);
}

/**
 * The head of a command whose words are written as they read: its three words kept as strings
 * and columns, made into tokens when asked for. A 700k-rule file would otherwise keep three word
 * objects and a target object per rule (about a fifth of its model). A rule file's line is its
 * own head (saveFile.ts CommandLine extends it): one object per rule, not two.
 */
export class LineHead implements CommandHead {
  readonly kind?: CommandKind;
  /** Moved by a re-analysis when lines are added or removed above it (moveHead). */
  line: number;
  /** The model gives it its own string of the same name (shareNames). */
  chainName?: string;
  targetName?: string;
  /** The three words' columns in one number, 10 bits each, when each is below 1024 (a rule file's nearly always); else -1 and kept aside. */
  private readonly columns: number;
  readonly targetSpec: TargetHead['spec'];
  /** Also `-g`, a flag not written as its letter (`--append`) and columns past 1023: kept for each of 700k rules, a head is six fields. */
  private readonly rare?: RareLineFields;

  constructor(command: Command) {
    const { flag, chain } = command;
    const target = command.rule.target;
    this.kind = command.kind;
    this.line = (flag ?? chain ?? target?.nameToken)?.line ?? 0;
    this.chainName = chain?.text;
    this.targetName = target?.name;
    const flagStart = flag?.start ?? 0;
    const chainStart = chain?.start ?? 0;
    const targetStart = target?.nameToken.start ?? 0;
    const packed = flagStart < COLUMN_LIMIT && chainStart < COLUMN_LIMIT && targetStart < COLUMN_LIMIT;
    this.columns = packed ? flagStart | (chainStart << COLUMN_BITS) | (targetStart << (2 * COLUMN_BITS)) : -1;
    this.targetSpec = target?.spec;
    const goto = target?.goto ?? false;
    const flagText = flag && flag.text !== shortFlag(command.kind) ? flag.text : undefined;
    const starts = packed ? undefined : [flagStart, chainStart, targetStart] as const;
    const { ruleNumber, newName, policy, table, otherFamily } = command;
    this.rare = ruleNumber || newName || policy || table || otherFamily || goto || flagText || starts
      ? { ruleNumber, newName, policy, table, otherFamily, goto, flagText, starts } : undefined;
  }

  /** Where the word `k` starts: 0 the flag, 1 the chain, 2 the target. */
  private start(k: 0 | 1 | 2): number {
    const columns = this.columns;
    return columns < 0 ? this.rare!.starts![k] : (columns >>> (k * COLUMN_BITS)) & (COLUMN_LIMIT - 1);
  }

  private get flagStart(): number {
    return this.start(0);
  }

  get goto(): boolean {
    return this.rare?.goto ?? false;
  }

  /**
   * The model's own strings of the chain's and target's names, each taken where it is the same
   * text as the line's word: the rules of a chain then keep one string of its name, not a copy
   * of their line's word each. (A script's branches can leave a chain under a name that is not its own.)
   */
  shareNames(chainName: string, targetName: string | undefined): void {
    if (chainName === this.chainName) this.chainName = chainName;
    if (targetName !== undefined && targetName === this.targetName) this.targetName = targetName;
  }

  /** The flag as written: its letter (a command's flag and kind come together), else kept aside. */
  private get flagText(): string | undefined {
    return this.rare?.flagText ?? shortFlag(this.kind);
  }

  get flag(): Token | undefined {
    return this.token(this.flagText, this.flagStart);
  }

  get chain(): Token | undefined {
    return this.token(this.chainName, this.start(1));
  }

  get target(): TargetHead | undefined {
    const nameToken = this.token(this.targetName, this.start(2));
    return nameToken && { name: nameToken.text, nameToken, goto: this.goto, spec: this.targetSpec };
  }

  get ruleNumber() { return this.rare?.ruleNumber; }
  get newName() { return this.rare?.newName; }
  get policy() { return this.rare?.policy; }
  get table() { return this.rare?.table; }
  get otherFamily() { return this.rare?.otherFamily; }

  /** Both flags are at one place (see sameFlagPlace), read without making their tokens. */
  static sameFlag(a: LineHead, b: LineHead): boolean {
    return a.flagText !== undefined && b.flagText !== undefined && a.line === b.line && a.flagStart === b.flagStart;
  }

  private token(text: string | undefined, start: number): Token | undefined {
    return text === undefined ? undefined : { text, line: this.line, start, end: start + text.length };
  }
}

type RareLineFields = RareFields & { goto: boolean; flagText?: string; starts?: readonly [number, number, number] };

const COLUMN_BITS = 10;
const COLUMN_LIMIT = 1 << COLUMN_BITS;

/** `-A` for append...: the spelling most heads' flags have (see shortOption in restoreWords.ts: one string each). */
const SHORT_FLAGS = new Map<CommandKind | undefined, string>(Object.entries(COMMANDS).map(([letter, kind]) => [kind, '-' + letter]));

function shortFlag(kind: CommandKind | undefined): string | undefined {
  return SHORT_FLAGS.get(kind);
}

/**
 * A head's words moved `delta` lines down (up when negative): lines were added or removed
 * above them. `move` moves a token (once, whoever else holds it).
 */
export function moveHead(head: CommandHead, delta: number, move: (token: Token | undefined) => void): void {
  if (head instanceof LineHead) head.line += delta;
  else {
    move(head.flag);
    move(head.chain);
    move(head.target?.nameToken);
  }
  move(head.ruleNumber?.token);
  move(head.newName);
  move(head.policy);
  move(head.table);
}

/** The two commands' `-A`/`-I`... are written at one place: they are one command (of two versions of a document, or two rules of one `-s a,b`). */
export function sameFlagPlace(a: CommandHead, b: CommandHead): boolean {
  if (a instanceof LineHead && b instanceof LineHead) return LineHead.sameFlag(a, b);
  const x = a.flag;
  const y = b.flag;
  return !!x && !!y && x.line === y.line && x.start === y.start;
}

function rareFields(command: Command): RareFields | undefined {
  const { ruleNumber, newName, policy, table, otherFamily } = command;
  return ruleNumber || newName || policy || table || otherFamily ? { ruleNumber, newName, policy, table, otherFamily } : undefined;
}

/** What few commands have (a rule number, a new name, a policy...), kept aside: a rule's head is five fields. */
type RareFields = Pick<CommandFields, 'ruleNumber' | 'newName' | 'policy' | 'table' | 'otherFamily'>;

class Head implements CommandHead {
  readonly symbolic?: boolean;
  readonly kind?: CommandKind;
  readonly flag?: Token;
  readonly chain?: Token;
  readonly target?: TargetHead;
  private readonly rare?: RareFields;

  constructor(command: Command) {
    this.symbolic = command.symbolic;
    this.kind = command.kind;
    this.flag = command.flag;
    this.chain = command.chain;
    const tgt = command.rule.target;
    this.target = tgt && { name: tgt.name, nameToken: tgt.nameToken, goto: tgt.goto, spec: tgt.spec };
    this.rare = rareFields(command);
  }

  get chainName() { return this.chain?.text; }
  get targetName() { return this.target?.name; }
  get goto() { return this.target?.goto ?? false; }
  get targetSpec() { return this.target?.spec; }
  get ruleNumber() { return this.rare?.ruleNumber; }
  get newName() { return this.rare?.newName; }
  get policy() { return this.rare?.policy; }
  get table() { return this.rare?.table; }
  get otherFamily() { return this.rare?.otherFamily; }
}

export interface ParseContext {
  family: Family;
  /** Inside iptables-restore input: `-t`, `-w` and friends are refused. */
  restore: boolean;
  /** The table the command applies to (restore: the current `*table`). */
  table: string;
}

/** A match of the same name comes after the one at `k`. */
function loadedAgain(matches: readonly MatchUse[], k: number): boolean {
  for (let j = k + 1; j < matches.length; j++) if (matches[j].name === matches[k].name) return true;
  return false;
}

/** What the final check of an extension looks at: its mandatory options, and those that depend on others. */
interface OptionRules {
  mandatory: readonly string[];
  related: ReadonlySet<OptionSpec>;
  /** The extension's own rules (see ExtensionSpec), read here in one layout. */
  needsAnOption: boolean;
  needsOneOf: readonly string[] | undefined;
}

const OPTION_RULES = new WeakMap<ExtensionSpec, OptionRules | null>();

/** Null for an extension whose options are all free: no final check (most rules). */
function optionRules(spec: ExtensionSpec): OptionRules | null {
  let rules = OPTION_RULES.get(spec);
  if (rules === undefined) {
    const mandatory = spec.options.filter((o) => o.mandatory).map((o) => o.name);
    const related = new Set(spec.options.filter((o) => o.excludes?.length || o.requires?.length || o.onlyWith || o.requiresOneOf?.length || o.after?.length || o.below));
    const { needsAnOption, needsOneOf } = spec;
    rules = mandatory.length || related.size || needsAnOption || needsOneOf ? { mandatory, related, needsAnOption: !!needsAnOption, needsOneOf } : null;
    OPTION_RULES.set(spec, rules);
  }
  return rules;
}

const NOTHING_REFUSED: readonly string[] = Object.freeze([]);

/** Shared by every option without values: never pushed to. */
const EMPTY: never[] = Object.freeze([]) as never[];

/** Base options that may appear once per rule. */
const ONCE_LETTERS = 'psdiofcnx0';

/** The long name of a base option's letter, for messages: the first spelling iptables lists. */
const LONG_NAME_OF = new Map<string, string>();
for (const [name, { letter }] of BASE_LONG) if (!LONG_NAME_OF.has(letter)) LONG_NAME_OF.set(letter, `--${name}`);

/** Base criteria keep only their text; the engine asks for their meaning when it needs it. */
const VALIDATE_ONLY: Readonly<Record<Family, ValueContext>> = {
  ipv4: Object.freeze({ family: 'ipv4', validateOnly: true }),
  ipv6: Object.freeze({ family: 'ipv6', validateOnly: true }),
};

/** What options' values are checked with, one per family and protocol: most rules have options. */
const OPTION_CONTEXTS: Record<Family, Map<string | undefined, ValueContext>> = { ipv4: new Map(), ipv6: new Map() };

function optionContext(family: Family, protocol: string | undefined): ValueContext {
  const known = OPTION_CONTEXTS[family];
  let ctx = known.get(protocol);
  if (!ctx) {
    ctx = Object.freeze({ family, protocol });
    // A script's `-p` words are few; a hostile file's could be many.
    if (known.size < 256) known.set(protocol, ctx);
  }
  return ctx;
}

/** Each short option's argument kind (BASE_SHORT) by its letter's character code: a table read, not a map's, for most words of a rule. */
const SHORT_ARGS: readonly (BaseOption['arg'] | undefined)[] = Array.from({ length: 128 }, (_, code) => BASE_SHORT.get(String.fromCharCode(code)));

/** The command of each letter (COMMANDS) by its character code; for every base option given. */
const COMMAND_KINDS: readonly (CommandKind | undefined)[] = Array.from({ length: 128 }, (_, code) => COMMANDS[String.fromCharCode(code)]);

/** An option name, as the user could have typed it, resolved against what is loaded. */
interface Resolved {
  kind: 'base';
  letter: string;
  arg: BaseOption['arg'];
}

/** Each base option's resolution, made once: one is looked up for nearly every word of a rule. */
const BASE_RESOLVED: ReadonlyMap<string, Resolved> = new Map([...BASE_LONG].map(([name, { letter, arg }]) => [name, Object.freeze({ kind: 'base' as const, letter, arg })]));

/**
 * What the parser reads of a module's option at each use, in one layout: option specs have a layout
 * per set of fields they give, and reading theirs made megamorphic loads for every option of a rule.
 */
interface OptionFacts {
  spec: KnownOptionSpec;
  value: ValueSpec | undefined;
  second: ValueSpec | undefined;
  invert: boolean;
  repeatable: boolean;
  removed: boolean;
}

const OPTION_FACTS = new WeakMap<KnownOptionSpec, OptionFacts>();

function optionFacts(spec: KnownOptionSpec): OptionFacts {
  let facts = OPTION_FACTS.get(spec);
  if (!facts) {
    facts = { spec, value: spec.value, second: spec.second, invert: !!spec.invert, repeatable: !!spec.repeatable, removed: !!spec.removed };
    OPTION_FACTS.set(spec, facts);
  }
  return facts;
}

/**
 * An extension's options by their full names, in the order optionNamed finds them, without the
 * names of base options (getopt takes those as the base option's). The parser compares a written
 * word with these names: a rule's long options are found without a slice of each word and its hash.
 */
interface OptionNames {
  names: readonly string[];
  options: readonly OptionFacts[];
}

const OPTION_NAMES = new WeakMap<KnownExtensionSpec, OptionNames>();

/** The extension's option whose full name is `text` from `from` to `end`, unless a base option has that name. */
function writtenOption(ext: KnownExtensionSpec, text: string, from: number, end: number): OptionFacts | undefined {
  let table = OPTION_NAMES.get(ext);
  if (!table) {
    const names: string[] = [];
    const options: OptionFacts[] = [];
    for (const spec of ext.options) {
      for (const name of optionNames(spec)) {
        if (BASE_RESOLVED.has(name) || names.includes(name)) continue;
        names.push(name);
        options.push(optionFacts(spec));
      }
    }
    OPTION_NAMES.set(ext, (table = { names, options }));
  }
  const { names, options } = table;
  const length = end - from;
  for (let k = 0; k < names.length; k++) {
    const name = names[k];
    if (name.length === length && text.startsWith(name, from)) return options[k];
  }
  return undefined;
}

interface ResolvedExt {
  kind: 'ext';
  owner: MatchUse | TargetUse;
  option: OptionFacts;
}

/**
 * A rule with all its fields from the start, as undefined: the parser then reads and writes
 * one layout of object, where fields added as they come made a layout per order of options.
 */
function newRule(): RuleSpec {
  return {
    protocol: undefined, source: undefined, destination: undefined, inInterface: undefined, outInterface: undefined,
    fragment: undefined, matches: [], target: undefined, counters: undefined, unattributed: undefined,
  };
}

/** A command with all its fields from the start (see newRule). */
function newCommand(rule: RuleSpec, words: Token[]): Command {
  return {
    symbolic: undefined, kind: undefined, flag: undefined, chain: undefined, ruleNumber: undefined, newName: undefined,
    policy: undefined, table: undefined, otherFamily: undefined, rule, words, printsOnly: undefined,
  };
}

class CommandParser {
  private readonly cmd: Command;
  private readonly rule: RuleSpec = newRule();
  private i = 0;
  private negation?: Token;
  private protocolUsed = false;
  /** A `-m` whose module only the running script knows: the options after it may be its own. */
  private unknownModule = false;
  /** The last word in an option's place was one only the running script knows: it may be options that take the words after it. */
  private afterUnknown = false;
  /** Base options given so far, as bits of ONCE_LETTERS (a Map per rule costs too much). */
  private seen = 0;
  private countersFlag?: Token;
  private readonly valueContext: ValueContext;
  /** What module options' values are checked with (the rule's protocol as given so far); reset by `-p`. */
  private optionContext?: ValueContext;
  /** The last answer of exactOption. */
  private found?: ResolvedExt;

  constructor(
    private readonly words: Token[],
    private readonly ctx: ParseContext,
    private readonly diagnostics: Diagnostic[],
  ) {
    this.cmd = newCommand(this.rule, words);
    this.valueContext = VALIDATE_ONLY[ctx.family];
  }

  private report(code: DiagnosticCode, span: { line: number; start: number; end: number }, message: string, severity: Severity = 'error', fix?: FixFacts): void {
    this.diagnostics.push(diagnostic(code, span, message, severity, fix));
  }

  parse(): Command {
    const words = this.words;
    while (this.i < words.length) {
      const word = words[this.i++];
      const text = word.text;
      if (word.unknown) {
        // A word only the running script knows (`$OPTS` from the environment): nothing to judge.
        this.cmd.symbolic = true;
        this.afterUnknown = true;
        continue;
      }
      if (this.afterUnknown && text !== '!' && !text.startsWith('-')) continue;
      this.afterUnknown = false;
      if (text.length > 1 && text.charCodeAt(0) === 45 /* - */) {
        if (text.charCodeAt(1) === 45) {
          if (text.length === 2) {
            this.report('bad-argument', word, t('`--` ends the options; iptables then refuses every word after it'));
            continue;
          }
          this.longOption(word);
        } else {
          this.shortOptions(word);
        }
        if (this.cmd.otherFamily) return this.cmd;
        if (this.cmd.printsOnly) break;
        continue;
      }
      if (text === '!') {
        if (this.negation) this.report('bad-argument', word, t('two `!` in a row are not allowed'));
        this.negation = word;
        continue;
      }
      this.badArgument(word);
    }
    this.finish();
    return this.cmd;
  }

  private badArgument(word: Token): void {
    const at = this.words.indexOf(word);
    const prev = this.words[at - 1];
    const option = this.words[at - 2];
    if (prev?.text === '!' && option?.text.startsWith('-')) {
      this.report('bad-argument', word, t('`{0}` is not an option: `{1} ! value` is no longer accepted; write `! {1} {0}`', word.text, option.text),
        'error', { negation: { option, bang: prev } });
    } else if (/^-?\d/.test(word.text) && prev && /^-[DIR]$|^--(delete|insert|replace)$/.test(prev.text)) {
      this.report('bad-argument', word, t('`{0}` is not a valid rule number', word.text));
    } else {
      this.report('bad-argument', word, t('`{0}` is not an option or the value of one', word.text));
    }
  }

  // ---- getopt -------------------------------------------------------------

  private longOption(word: Token): void {
    const text = word.text;
    const eq = text.indexOf('=');
    const end = eq >= 0 ? eq : text.length;
    const inline = eq >= 0 ? text.slice(eq + 1) : undefined;
    const flag: Token = eq >= 0 ? { ...word, ...partOf(word, 0, eq) } : word;
    // Nearly every long option of a rule is its modules' own, found by the word as written.
    const resolved = this.exactOption(text, 2, end) ?? this.resolveLongName(text.slice(2, end), flag, inline !== undefined);
    if (!resolved) return;
    if (resolved.kind === 'base') {
      const arg = resolved.arg === 'required' || (resolved.arg === 'optional' && inline !== undefined) ? this.valueToken(word, eq, inline) : undefined;
      if (resolved.arg === 'required' && !arg) {
        this.report('missing-value', flag, t('`--{0}` needs a value', text.slice(2, end)));
        return;
      }
      if (resolved.arg === 'none' && inline !== undefined) {
        this.report('bad-argument', word, t('`--{0}` takes no value', text.slice(2, end)));
      }
      this.baseOption(resolved.letter, flag, arg, resolved.arg === 'optional' && inline === undefined);
    } else {
      const option = resolved.option;
      if (option.value === undefined && inline !== undefined) {
        this.report('bad-argument', word, t('`--{0}` takes no value', option.spec.name));
      }
      this.extensionOption(resolved.owner, option, flag, option.value ? this.valueToken(word, eq, inline) : undefined);
    }
  }

  /**
   * A long option that is not a loaded module's own by its full name: a base option, a name's unique
   * prefix, or either once the protocol's match is loaded. Undefined once an unknown or ambiguous
   * name is reported (and its values skipped).
   */
  private resolveLongName(name: string, flag: Token, hadInline: boolean): Resolved | ResolvedExt | undefined {
    let resolved = this.resolveLong(name);
    // getopt fails on unknown and on ambiguous names alike; either way iptables
    // then loads the protocol's match and tries again.
    if (!resolved || 'ambiguous' in resolved) {
      const loaded = this.loadProtocolMatch();
      if (loaded) {
        resolved = this.resolveLong(name);
        // iptables stops at this error anyway; dropping the match avoids follow-up noise.
        if (!resolved || 'ambiguous' in resolved) this.rule.matches.splice(this.rule.matches.indexOf(loaded), 1);
      }
    }
    if (resolved && 'ambiguous' in resolved) {
      this.takeNegation();
      this.report('unknown-option', flag, t('`--{0}` is ambiguous: it could be {1}', name, resolved.ambiguous.map((n) => '`--' + n + '`').join(t(' or '))));
      this.skipValues(hadInline);
      return undefined;
    }
    if (!resolved) {
      this.unknownOption(flag, name);
      this.skipValues(hadInline);
      return undefined;
    }
    return resolved;
  }

  /** A long option's value: after its `=`, else the next word. */
  private valueToken(word: Token, eq: number, inline: string | undefined): Token | undefined {
    if (inline !== undefined) return { ...word, ...partOf(word, eq + 1), text: inline };
    return this.words[this.i] ? this.words[this.i++] : undefined;
  }

  private shortOptions(word: Token): void {
    const text = word.text;
    for (let k = 1; k < text.length; k++) {
      const letter = text[k];
      const flag: Token = text.length === 2 ? word
        : { text: '-' + letter, ...partOf(word, k === 1 ? 0 : k, k + 1) };
      const code = text.charCodeAt(k);
      const arg = code < 128 ? SHORT_ARGS[code] : undefined;
      if (arg === undefined) {
        this.unknownOption(flag, letter, true);
        return;
      }
      const rest = text.slice(k + 1);
      if (arg === 'none') {
        this.baseOption(letter, flag, undefined, false);
        continue;
      }
      let value: Token | undefined;
      if (rest !== '') value = { ...word, ...partOf(word, k + 1), text: rest };
      else if (arg === 'required') value = this.words[this.i] ? this.words[this.i++] : undefined;
      if (arg === 'required' && !value) {
        this.report('missing-value', word, t('`-{0}` needs a value', letter));
        return;
      }
      this.baseOption(letter, rest === '' ? word : flag, value, arg === 'optional' && rest === '');
      return;
    }
  }

  /** getopt_long's lookup: exact name first (base options, then newest module), else a unique prefix. */
  private resolveLong(name: string): Resolved | ResolvedExt | { ambiguous: string[] } | undefined {
    const base = BASE_RESOLVED.get(name);
    if (base) return base;
    const exact = this.exactOption(name, 0, name.length);
    if (exact) return exact;
    if (name === '') return undefined;
    const owners = this.loadedNewestFirst();
    const candidates: (Resolved | ResolvedExt)[] = [];
    const fullNames: string[] = [];
    for (const [long, b] of BASE_LONG) {
      if (long.startsWith(name) && !candidates.some((c) => c.kind === 'base' && c.letter === b.letter)) {
        candidates.push({ kind: 'base', letter: b.letter, arg: b.arg });
        fullNames.push(long);
      }
    }
    for (const owner of owners) {
      for (const spec of owner.spec?.options ?? []) {
        const hit = optionNames(spec).find((n) => n.startsWith(name));
        if (hit) { candidates.push({ kind: 'ext', owner, option: optionFacts(spec) }); fullNames.push(hit); }
      }
    }
    if (candidates.length === 1) return candidates[0];
    return candidates.length > 1 ? { ambiguous: fullNames } : undefined;
  }

  /**
   * The loaded module (target first, then the newest match) that has an option named by
   * `text` from `from` to `end` (the whole name, not a prefix), unless a base option has that name.
   * The answer is one object, overwritten by the next lookup: nearly every option of a rule is found here.
   */
  private exactOption(text: string, from: number, end: number): ResolvedExt | undefined {
    const target = this.rule.target;
    const own = target?.spec && writtenOption(target.spec, text, from, end);
    if (own) return this.foundOption(target!, own);
    const matches = this.rule.matches;
    for (let k = matches.length - 1; k >= 0; k--) {
      const m = matches[k];
      // A module loaded again closes its earlier copy: only the newest copy of a name counts.
      if (!m.spec || loadedAgain(matches, k)) continue;
      const option = writtenOption(m.spec, text, from, end);
      if (option) return this.foundOption(m, option);
    }
    return undefined;
  }

  private foundOption(owner: MatchUse | TargetUse, option: OptionFacts): ResolvedExt {
    const found = this.found;
    if (!found) return (this.found = { kind: 'ext', owner, option });
    found.owner = owner;
    found.option = option;
    return found;
  }

  private loadedNewestFirst(): (MatchUse | TargetUse)[] {
    // Loading a module again closes the earlier copy: its options go to the new one.
    const seen = new Set<string>();
    const list: (MatchUse | TargetUse)[] = [];
    for (let k = this.rule.matches.length - 1; k >= 0; k--) {
      const m = this.rule.matches[k];
      if (!seen.has(m.name)) list.push(m);
      seen.add(m.name);
    }
    // A target's options are looked up before the matches' (command_default).
    if (this.rule.target?.spec) list.unshift(this.rule.target);
    return list;
  }

  /** `-p tcp --dport 22`: the protocol's match is loaded when an unknown option appears. */
  private loadProtocolMatch(): MatchUse | undefined {
    const proto = this.rule.protocol;
    if (!proto || this.protocolUsed) return undefined;
    this.protocolUsed = true;
    const name = protocolMatchName(proto.value.text.toLowerCase(), this.ctx.family);
    const spec = name ? findMatch(name, this.ctx.family) : undefined;
    if (!spec) return undefined;
    const use: MatchUse = { name: spec.name, spec, implicit: true, options: [] };
    this.rule.matches.push(use);
    return use;
  }

  private unknownOption(flag: Token, name: string, short = false): void {
    const negation = this.takeNegation();
    if (!short && (this.rule.protocol?.value.unknown || this.unknownModule || this.rule.target?.nameToken.unknown)) {
      // `-p $proto --dport 22`: the option may belong to a module only the running script names.
      this.cmd.symbolic = true;
      const words = (this.rule.unattributed ??= []);
      if (negation) words.push(negation);
      words.push(flag);
      while (this.i < this.words.length && !this.words[this.i].text.startsWith('-') && this.words[this.i].text !== '!') words.push(this.words[this.i++]);
      return;
    }
    if (short) {
      this.report('unknown-option', flag, t('unknown option `-{0}`', name));
      return;
    }
    const owners = modulesDefining(name, this.ctx.family);
    const loadedNames = new Set(this.rule.matches.map((m) => m.name));
    const removed = owners.flatMap((o) => o.options.filter((opt) => optionNames(opt).includes(name)).flatMap((opt) => opt.removed ?? []));
    if (removed.length && owners.some((o) => loadedNames.has(o.name) || o.name === this.rule.target?.name)) {
      this.report('removed', flag, t('`--{0}` was removed from iptables: {1}', name, localized(removed[0])));
      return;
    }
    if (owners.length) {
      // Options of protocol matches (tcp, udp...) come with `-p`, which loads the match.
      const protocolOnly = owners.every((o) => o.kind === 'match' && o.protocols?.includes(o.name));
      const needs = owners.map((o) => (protocolOnly ? `\`-p ${o.name}\`` : o.kind === 'match' ? `\`-m ${o.name}\`` : `\`-j ${o.name}\``));
      const list = needs.length > 2 ? t('{0} or {1}', needs.slice(0, -1).join(t(', ')), needs[needs.length - 1]) : needs.join(t(' or '));
      const words = [...new Set(owners.flatMap((o) => this.wordsLoading(o)))];
      this.report('unknown-option', flag, t('`--{0}` needs {1} before it', name, list), 'error', words.length ? { insert: { words, at: negation ?? flag } } : undefined);
      return;
    }
    const protocolMatch = this.rule.protocol ? findMatch(protocolMatchName(this.rule.protocol.value.text.toLowerCase(), this.ctx.family) ?? '', this.ctx.family) : undefined;
    const known = [...BASE_LONG.keys(), ...[...this.loadedNewestFirst().map((o) => o.spec), protocolMatch].flatMap((spec) => spec?.options.flatMap(optionNames) ?? [])];
    const meant = closest(name, known);
    const replaceWith = meant && `--${meant}`;
    this.report('unknown-option', flag, t('unknown option `--{0}`{1}', name, didYouMean(replaceWith)), 'error', replaceWith ? { replaceWith } : undefined);
  }

  /**
   * The words that would load a match's options here: `-p tcp` for a protocol
   * match (and only where the rule has no `-p` yet), `-m NAME` for the others.
   * Targets are left out: a rule has one `-j`, and it is the user's choice.
   */
  private wordsLoading(ext: ExtensionSpec): string[] {
    if (ext.kind !== 'match') return [];
    const protocol = ext.protocols?.[0];
    if (protocol && protocolMatchName(protocol, this.ctx.family) === ext.name) return this.rule.protocol ? [] : [`-p ${protocol}`];
    return [`-m ${ext.name}`];
  }

  /** After an unknown option, skip the words that are evidently its values. */
  private skipValues(hadInline: boolean): void {
    if (hadInline) return;
    while (this.i < this.words.length && !this.words[this.i].text.startsWith('-') && this.words[this.i].text !== '!') this.i++;
  }

  private takeNegation(): Token | undefined {
    const neg = this.negation;
    this.negation = undefined;
    return neg;
  }

  // ---- base options ----------------------------------------------------------

  private baseOption(letter: string, flag: Token, value: Token | undefined, optionalArg: boolean): void {
    const negation = this.takeNegation();
    const command = COMMAND_KINDS[letter.charCodeAt(0)];
    if (command) {
      this.command(command, flag, value, optionalArg, negation);
      return;
    }
    switch (letter) {
      case 'p': case 's': case 'd': case 'i': case 'o': case 'f':
        this.criterion(letter, flag, value, negation);
        return;
      case 'j': case 'g':
        this.jump(flag, value!, letter === 'g', negation);
        return;
      case 'm':
        this.match(flag, value!, negation);
        return;
      case 'c':
        this.counters(flag, value!, negation);
        return;
      case 't':
        if (negation) this.report('cannot-invert', negation, t('`!` cannot negate `-t`'));
        if (this.ctx.restore) this.report('restore-only', flag, t('iptables-restore takes the table from the `*table` line; `-t` is refused here'));
        this.cmd.table = value;
        return;
      case 'w': case 'W':
        if (this.ctx.restore) this.report('restore-only', flag, t('iptables-restore refuses `-{0}` inside its input; pass it to iptables-restore itself', letter));
        // `-w 5`: the seconds may follow as a word of their own.
        if (optionalArg && this.hasPlainArg()) this.i++;
        return;
      case '4': case '6': {
        const mine = this.ctx.family === 'ipv4' ? '4' : '6';
        if (letter !== mine) {
          if (this.ctx.restore) this.cmd.otherFamily = true;
          else this.report('wrong-family', flag, t('`-{0}` marks a command for the other address family', letter));
        }
        return;
      }
      case 'h': case 'V':
        // iptables prints and exits right there: the words after it are never read.
        this.cmd.printsOnly = letter === 'h' ? 'help' : 'version';
        if (letter === 'h' && optionalArg && this.hasPlainArg()) this.i++;
        return;
      case 'v': case 'n': case 'x': case '0': case 'M':
        if (negation) this.report('cannot-invert', negation, t('`!` cannot negate `-{0}`', letter));
        if ('nx0'.includes(letter)) this.once(letter, flag);
        return;
    }
  }

  private once(letter: string, flag: Token): boolean {
    const bit = 1 << ONCE_LETTERS.indexOf(letter);
    if (this.seen & bit) {
      this.report('duplicate-option', flag, t('`{0}` can be given only once per rule', LONG_NAME_OF.get(letter) ?? '-' + letter));
      return false;
    }
    this.seen |= bit;
    return true;
  }

  private command(kind: CommandKind, flag: Token, value: Token | undefined, optionalArg: boolean, negation?: Token): void {
    if (negation) this.report('cannot-invert', negation, t('`!` cannot negate a command'));
    if (this.cmd.kind) {
      this.report('command-conflict', flag, t('only one command per line: `{0}` after `{1}`', flag.text, this.cmd.flag!.text));
      return;
    }
    this.cmd.kind = kind;
    this.cmd.flag = flag;
    let chain = value;
    if (optionalArg && !chain && this.hasPlainArg()) chain = this.words[this.i++];
    if (chain) {
      this.cmd.chain = chain;
      this.checkChainName(chain, kind === 'newChain');
    }
    switch (kind) {
      case 'insert':
      case 'delete':
      case 'replace':
        if (this.hasPlainArg()) {
          const tok = this.words[this.i++];
          const n = /^\d+$/.test(tok.text) ? Number(tok.text) : NaN;
          if (!(n >= 1 && n <= 2147483647)) {
            this.report('rule-number', tok, t('`{0}` is not a rule number (1 or more)', tok.text));
          } else {
            this.cmd.ruleNumber = { value: n, token: tok };
          }
        } else if (kind === 'replace') {
          this.report('missing-value', flag, t('`-R` needs a rule number after the chain name'));
        }
        return;
      case 'renameChain':
        if (this.hasPlainArg()) {
          this.cmd.newName = this.words[this.i++];
          this.checkChainName(this.cmd.newName, true);
        } else {
          this.report('missing-value', flag, t('`-E` needs the old and the new chain name'));
        }
        return;
      case 'policy':
        if (this.hasPlainArg()) this.cmd.policy = this.words[this.i++];
        else this.report('missing-value', flag, t('`-P` needs a chain and a policy (ACCEPT or DROP)'));
        return;
      case 'list': case 'listRules': case 'zero':
        if (chain && this.hasPlainArg()) this.i++;
        return;
    }
  }

  /** xs_has_arg: the next word exists and starts with neither `-` nor `!`. */
  private hasPlainArg(): boolean {
    const next = this.words[this.i];
    return next !== undefined && !next.text.startsWith('-') && !next.text.startsWith('!');
  }

  private checkChainName(token: Token, creating: boolean): void {
    if (token.unknown) return;
    const problem = chainNameProblem(token.text, this.ctx.family, creating);
    if (problem) this.report('chain-name', token, problem);
  }

  private criterion(letter: string, flag: Token, value: Token | undefined, negation?: Token): void {
    if (!this.once(letter, flag)) return;
    const negated = negation !== undefined;
    const rule = this.rule;
    if (letter === 'f') {
      if (this.ctx.family === 'ipv6') this.report('wrong-family', flag, t('`-f` does not exist for IPv6; use `-m frag`'));
      rule.fragment = { flag, negated };
      return;
    }
    const v = value!;
    if (v.unknown) {
      this.cmd.symbolic = true;
      if (letter === 'p') {
        rule.protocol = { flag, value: v, negated };
        this.optionContext = undefined;
      } else if (letter === 's' || letter === 'd') rule[letter === 's' ? 'source' : 'destination'] = { flag, value: v, negated, plain: -1 };
      else if (letter === 'i' || letter === 'o') rule[letter === 'i' ? 'inInterface' : 'outInterface'] = { flag, value: v, negated };
      return;
    }
    const ctx = this.valueContext;
    switch (letter) {
      case 'p': {
        const r = checkValue('protocol', v.text.toLowerCase(), ctx);
        if (r.error) this.report('invalid-value', v, r.error);
        rule.protocol = { flag, value: v, negated };
        this.optionContext = undefined;
        if (negated && r.value === 0) this.report('invalid-value', v, t('`! -p {0}` can never match: every packet has some protocol', v.text));
        return;
      }
      case 's': case 'd': {
        // `-d ! addr` (the old syntax): the stray address is reported as a bad argument.
        if (v.text === '!') return;
        // A plain network is read once, here, for the check and for the model: checkValue only for the rest.
        const plain = this.ctx.family === 'ipv4' ? plainIPv4(v.text) : -1;
        if (!plainNetworkValid(plain)) {
          const r = checkValue('addressList', v.text, ctx);
          if (r.error) this.report('invalid-value', v, r.error);
          else if (r.warning) this.report('machine-dependent', v, r.warning, 'warning');
          if (negated && Array.isArray(r.value)) {
            this.report('invalid-value', negation!, t('`!` cannot negate a list of several addresses; write one rule per address'));
          }
        }
        rule[letter === 's' ? 'source' : 'destination'] = { flag, value: v, negated, plain };
        return;
      }
      case 'i': case 'o': {
        if (v.text === '') this.report('invalid-value', v, t('empty interface name'));
        const r = checkValue('interface', v.text, ctx);
        if (r.error) this.report('invalid-value', v, r.error);
        else if (/[/ ]/.test(v.text)) this.report('invalid-value', v, t('interface name `{0}` contains `/` or a space, which the kernel never uses', v.text), 'warning');
        rule[letter === 'i' ? 'inInterface' : 'outInterface'] = { flag, value: v, negated };
        return;
      }
    }
  }

  private jump(flag: Token, name: Token, goto: boolean, negation?: Token): void {
    if (negation) this.report('cannot-invert', negation, t('`!` cannot negate `{0}`', flag.text));
    if (this.rule.target) {
      this.report('duplicate-option', flag, t('only one `-j` or `-g` per rule (already `{0} {1}`)', this.rule.target.flag.text, this.rule.target.name));
      return;
    }
    if (name.unknown) {
      this.cmd.symbolic = true;
      this.rule.target = { name: name.text, flag, nameToken: name, goto, options: [] };
      return;
    }
    if (name.text === '') {
      this.report('invalid-value', name, t('empty target name'));
    } else if (name.text.length > MAX_CHAIN_NAME) {
      this.report('invalid-value', name, t('target name `{0}` is longer than {1} characters', name.text, MAX_CHAIN_NAME));
    } else if (hasWhiteSpace(name.text)) {
      this.report('invalid-value', name, t('target name `{0}` contains white space', name.text));
    }
    // `-j CONTINUE` is accepted and means "no target".
    if (!goto && name.text === 'CONTINUE') return;
    const spec = goto ? undefined : findTarget(name.text, this.ctx.family);
    if (spec?.removed) this.report('removed', name, t('the {0} target no longer exists: {1}', spec.name, localized(spec.removed)));
    this.rule.target = { name: name.text, flag, nameToken: name, goto, spec, options: [] };
  }

  private match(flag: Token, name: Token, negation?: Token): void {
    if (name.unknown) {
      this.cmd.symbolic = true;
      this.unknownModule = true;
      this.rule.matches.push({ name: name.text, flag, nameToken: name, implicit: false, options: [] });
      return;
    }
    if (negation) this.report('cannot-invert', negation, t('`!` cannot come before `-m`; put it before the module\'s option'));
    const spec = findMatch(name.text, this.ctx.family);
    const use: MatchUse = { name: name.text, spec, flag, nameToken: name, implicit: false, options: [] };
    this.rule.matches.push(use);
    if (spec) {
      if (spec.removed) this.report('removed', name, t('the {0} match no longer exists: {1}', spec.name, localized(spec.removed)));
      else if (spec.deprecated) this.report('deprecated', name, localized(spec.deprecated), 'hint');
      return;
    }
    const other = otherFamilyExtension(name.text, 'match', this.ctx.family);
    if (other) {
      this.report('wrong-family', name, t('`-m {0}` exists only for {1}', name.text, other.family === 'ipv6' ? t('IPv6 (ip6tables)') : t('IPv4 (iptables)')));
    } else {
      const lower = findMatch(name.text.toLowerCase(), this.ctx.family);
      const meant = lower?.name ?? closest(name.text, matchesFor(this.ctx.family).map((m) => m.name));
      const hint = lower ? t('; module names are lower case: `-m {0}`', lower.name) : didYouMean(meant);
      this.report('unknown-match', name, t('iptables has no match module `{0}`{1}', name.text, hint), 'error', meant ? { replaceWith: meant } : undefined);
    }
  }

  private counters(flag: Token, first: Token, negation?: Token): void {
    if (negation) this.report('cannot-invert', negation, t('`!` cannot negate `-c`'));
    if (!this.once('c', flag)) return;
    this.countersFlag = flag;
    const values = [first];
    if (!first.text.includes(',') && this.hasPlainArg()) values.push(this.words[this.i++]);
    const joined = values.map((v) => v.text).join(',');
    if (!/^\d+,\d+$/.test(joined)) {
      this.report('invalid-value', spanOf(first, values[values.length - 1]), t('`-c` needs two numbers: `-c packets bytes` or `-c packets,bytes`'));
    }
    this.rule.counters = values;
  }

  // ---- module options --------------------------------------------------------

  private extensionOption(owner: MatchUse | TargetUse, option: OptionFacts, flag: Token, value: Token | undefined): void {
    const negation = this.takeNegation();
    const spec = option.spec;
    if (option.value && !value) {
      this.report('missing-value', flag, t('{0} needs a value: {1}', optionLabel(spec), describeValue(option.value)));
      return;
    }
    if (option.removed) this.report('removed', flag, t('{0} was removed from iptables: {1}', optionLabel(spec), localized(spec.removed!)), 'error', spec.renamedTo ? { replaceWith: `--${spec.renamedTo}` } : undefined);
    if (negation && !option.invert) this.report('cannot-invert', negation, t('{0} cannot be negated with `!`', optionLabel(spec)));
    if (!option.repeatable && usesOption(owner.options, spec)) {
      this.report('duplicate-option', flag, t('{0} can be given only once', optionLabel(spec)));
    }
    let values: Token[] = value ? [value] : EMPTY;
    const ctx = this.optionContext ??= optionContext(this.ctx.family, this.ruleProtocol());
    let parsed: OptionUse['parsed'] = value && option.value ? [this.checkOptionValue(option.value, value, ctx)] : EMPTY;
    if (option.second) {
      const next = this.words[this.i];
      if (!next || next.text.startsWith('-') || next.text.startsWith('!')) {
        this.report('missing-value', flag, t('{0} needs two values: {1}, then {2}', optionLabel(spec), describeValue(option.value!), describeValue(option.second)));
      } else {
        this.i++;
        values = [...values, next];
        parsed = [...parsed, this.checkOptionValue(option.second, next, ctx)];
      }
    }
    const use: OptionUse = { spec, flag, values, negated: negation !== undefined, parsed };
    // Most modules get one option: a list of one, not a pushed list's room for seventeen.
    if (owner.options.length === 0) owner.options = [use];
    else owner.options.push(use);
  }

  private checkOptionValue(spec: ValueSpec, token: Token, ctx: ValueContext): ParsedValue | undefined {
    if (token.unknown) {
      this.cmd.symbolic = true;
      return undefined;
    }
    const r = checkValue(spec, token.text, ctx);
    if (r.error) this.report('invalid-value', token, r.error);
    else if (r.warning) this.report(spec === 'addressList' || spec === 'host' || spec === 'hostMask' ? 'machine-dependent' : 'invalid-value', token, r.warning, 'warning');
    else if (r.note) this.report('machine-dependent', token, r.note, 'information');
    return r.value;
  }

  /** The rule's protocol by name (`-p 6` is tcp), unless negated. */
  private ruleProtocol(): string | undefined {
    const p = this.rule.protocol;
    if (!p || p.negated) return undefined;
    const text = p.value.text.toLowerCase();
    return /^\d+$/.test(text) ? protocolName(Number(text)) ?? text : text;
  }

  // ---- after the last word: what iptables checks once everything is parsed ----

  private finish(): void {
    const { cmd, rule, ctx } = this;
    if (cmd.printsOnly) {
      // A probe such as `iptables -w -V` is fine; a rule with `-V` in it is never applied.
      const rest = this.words.slice(this.i);
      if (cmd.kind || rest.length) {
        const letter = cmd.printsOnly === 'help' ? 'h' : 'V';
        this.report('bad-argument', cmd.kind ? cmd.flag! : rest[0], t('`-{0}` prints {1} and exits: the rest is never applied', letter, letter === 'h' ? t('the help') : t('the version')), 'warning');
      }
      return;
    }
    if (this.negation) this.report('bad-argument', this.negation, t('`!` at the end of the line negates nothing'));
    const table = cmd.table?.text ?? ctx.table;
    const refused = findTable(table)?.refuses ?? NOTHING_REFUSED;
    if (rule.target && !rule.target.goto && refused.includes(rule.target.name)) {
      this.report('nat-drop', rule.target.nameToken, t('the {0} table is not for filtering: iptables refuses {1} here; drop in the filter table (or raw/mangle) instead', table, rule.target.name));
    }
    if (cmd.kind === 'policy' && cmd.policy && refused.includes(cmd.policy.text)) {
      this.report('nat-drop', cmd.policy, t('the {0} table is not for filtering: iptables refuses a {1} policy here', table, cmd.policy.text));
    }
    for (const m of rule.matches) if (m.spec) this.finalCheck(m.spec, m.options, m.nameToken ?? rule.protocol?.value ?? cmd.flag ?? this.words[0]);
    if (rule.target?.spec) this.finalCheck(rule.target.spec, rule.target.options, rule.target.nameToken);
    if (!cmd.kind) {
      if (this.words.length) this.report('no-command', spanOf(this.words[0], this.words[this.words.length - 1]), t('no command: start the rule with `-A CHAIN` (append) or another command such as `-I`, `-N`, `-P`'));
      return;
    }
    const isRule = RULE_COMMANDS.has(cmd.kind);
    if (!isRule) {
      for (const [key, c] of [['-s', rule.source], ['-d', rule.destination], ['-p', rule.protocol], ['-i', rule.inInterface], ['-o', rule.outInterface]] as const) {
        if (c) this.report('option-not-allowed', c.flag, t('`{0}` has no meaning with `{1}`', key, cmd.flag!.text));
      }
      if (rule.target) this.report('option-not-allowed', rule.target.flag, t('`{0}` has no meaning with `{1}`', rule.target.flag.text, cmd.flag!.text));
      if (rule.counters && cmd.kind !== 'policy') this.report('option-not-allowed', this.countersFlag!, t('`-c` has no meaning with `{0}`', cmd.flag!.text));
    } else if (rule.counters && (cmd.kind === 'delete' || cmd.kind === 'check')) {
      this.report('option-not-allowed', this.countersFlag!, t('`-c` has no meaning with `{0}`', cmd.flag!.text));
    }
    if (cmd.chain && isRule && (rule.inInterface || rule.outInterface)) {
      const chain = cmd.chain.text as Hook;
      const hook = HOOKS.includes(chain);
      if (hook && rule.outInterface && !OUTPUT_INTERFACE_HOOKS.includes(chain)) {
        this.report('interface-direction', rule.outInterface.flag, t('packets in {0} have no output interface yet: iptables refuses `-o` here', chain));
      }
      if (hook && rule.inInterface && !INPUT_INTERFACE_HOOKS.includes(chain)) {
        this.report('interface-direction', rule.inInterface.flag, t('packets in {0} have no input interface: iptables refuses `-i` here', chain));
      }
    }
  }

  /** The extension's final check: mandatory options, conflicts, options that need each other. */
  private finalCheck(spec: ExtensionSpec, options: OptionUse[], anchor: Token): void {
    const rules = optionRules(spec);
    if (!rules) return;
    // Index loops and no closure: this runs for most rules (tcp, statistic, DNAT... have such rules).
    const mandatory = rules.mandatory;
    for (let k = 0; k < mandatory.length; k++) {
      if (!hasOption(options, mandatory[k])) this.report('missing-option', anchor, t('{0} needs `--{1}`', extensionLabel(spec), mandatory[k]));
    }
    if (rules.needsAnOption && options.length === 0) {
      this.report('missing-option', anchor, t('{0} needs at least one of its options: {1}', extensionLabel(spec), spec.options.filter((o) => !o.removed).slice(0, 6).map((o) => '`--' + o.name + '`').join(t(', '))));
    }
    const oneOfThese = rules.needsOneOf;
    if (oneOfThese && !hasOneOf(options, oneOfThese)) {
      this.report('missing-option', anchor, t('{0} needs one of {1}', extensionLabel(spec), oneOfThese.map((n) => '`--' + n + '`').join(t(', '))));
    }
    let reported: Set<string> | undefined;
    for (let u = 0; u < options.length; u++) {
      const use = options[u];
      const own = use.spec;
      if (!rules.related.has(own)) continue;
      const excludes = own.excludes;
      if (excludes) {
        for (const other of excludes) {
          if (!hasOption(options, other)) continue;
          const key = [own.name, other].sort().join(' ');
          reported ??= new Set();
          if (!reported.has(key)) {
            reported.add(key);
            this.report('option-conflict', use.flag, t('`--{0}` cannot be combined with `--{1}`', own.name, other));
          }
        }
      }
      const requires = own.requires;
      if (requires) {
        for (let k = 0; k < requires.length; k++) {
          if (!hasOption(options, requires[k])) this.report('missing-option', use.flag, t('`--{0}` also needs `--{1}`', own.name, requires[k]));
        }
      }
      const w = own.onlyWith;
      if (w && !hasOptionValue(options, w.option, w.value)) {
        const option = `--${w.option} ${w.value}`;
        this.report('missing-option', use.flag, hasOption(options, w.option)
          ? t('`--{0}` works only with `{1}`', own.name, option)
          : t('`--{0}` also needs `{1}`', own.name, option));
      }
      const oneOf = own.requiresOneOf;
      if (oneOf && !hasOneOf(options, oneOf)) {
        this.report('missing-option', use.flag, t('`--{0}` needs at least one of {1}', own.name, oneOf.map((n) => '`--' + n + '`').join(t(', '))));
      }
      const after = own.after;
      if (after) {
        for (const earlier of after) {
          if (hasOption(options, earlier) && !hasOption(options.slice(0, u), earlier)) {
            this.report('missing-option', use.flag, t('`--{0}` must come after `--{1}`: iptables reads the options in order', own.name, earlier));
          }
        }
      }
      const limit = own.below && options.find((o) => o.spec.name === own.below);
      if (limit && typeof use.parsed[0] === 'number' && typeof limit.parsed[0] === 'number' && use.parsed[0] >= limit.parsed[0]) {
        this.report('invalid-value', use.values[0], t('`--{0}` must be below `--{1}` ({2}): it counts from 0', own.name, limit.spec.name, limit.parsed[0]));
      }
    }
  }
}

/** `-m NAME` or `-j NAME` in backquotes, for a message. */
function extensionLabel(spec: ExtensionSpec): string {
  return spec.kind === 'match' ? `\`-m ${spec.name}\`` : `\`-j ${spec.name}\``;
}

/** The rule gives one of these options. */
function hasOneOf(options: readonly OptionUse[], names: readonly string[]): boolean {
  for (let k = 0; k < names.length; k++) if (hasOption(options, names[k])) return true;
  return false;
}

/** The rule gives `--name value`, not negated. */
function hasOptionValue(options: readonly OptionUse[], name: string, value: string): boolean {
  for (let k = 0; k < options.length; k++) {
    const o = options[k];
    if (o.spec.name === name && !o.negated && o.values[0]?.text === value) return true;
  }
  return false;
}

/** `--name` in backquotes, for a message (made only when there is one). */
function optionLabel(spec: OptionSpec): string {
  return `\`--${spec.name}\``;
}

function usesOption(options: readonly OptionUse[], spec: OptionSpec): boolean {
  for (let k = 0; k < options.length; k++) if (options[k].spec === spec) return true;
  return false;
}

/** A rule has a few options: a scan costs less than a set. */
export function hasOption(options: readonly OptionUse[], name: string): boolean {
  for (let k = 0; k < options.length; k++) if (options[k].spec.name === name) return true;
  return false;
}

/**
 * Why iptables refuses `name` as a chain name, or undefined. `creating`: the
 * name of a new chain (`-N`, `-E`), which must also be one a rule can jump to.
 */
export function chainNameProblem(name: string, family: Family, creating: boolean): string | undefined {
  if (name.length > MAX_CHAIN_NAME) return t('chain name `{0}` is {1} characters long; iptables allows at most {2}', name, name.length, MAX_CHAIN_NAME);
  if (!creating) return undefined;
  if (name.startsWith('-') || name.startsWith('!')) return t('a chain name cannot start with `{0}`', name[0]);
  if (hasWhiteSpace(name)) return t('chain name `{0}` contains white space', name);
  if (name === '') return t('empty chain name');
  if (isStandardTarget(name) || findTarget(name, family)) return t('`{0}` is the name of a target; a chain cannot be called that', name);
  return undefined;
}

/** `\s` somewhere in the name: asked of every target name, so the pattern only where a character could be one (all are below 33 or above 126). */
function hasWhiteSpace(name: string): boolean {
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (c < 33 || c > 126) return /\s/.test(name);
  }
  return false;
}

/** The match `-p NAME` loads on demand, by protocol name or number. */
export function protocolMatchName(protocol: string, family: Family): string | undefined {
  const byNumber: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmp6', '132': 'sctp', '33': 'dccp', '50': 'esp', '51': 'ah', '135': 'mh' };
  const name = byNumber[protocol] ?? (protocol === 'ipv6-icmp' || protocol === 'icmpv6' ? 'icmp6' : protocol);
  if (name === 'icmp6' && family === 'ipv4') return undefined;
  return name;
}

export function parseCommand(words: Token[], ctx: ParseContext, diagnostics: Diagnostic[]): Command {
  return new CommandParser(words, ctx, diagnostics).parse();
}
