// The TextMate grammars: one for iptables-save / iptables-restore files, and an
// injection that colours iptables commands inside shell scripts with the same
// scopes. Every name they know (tables, chains, targets, modules, options) comes
// from the knowledge base; scripts/bundles.mjs writes them to syntaxes/*.json.
import {
  BUILTIN_CHAIN_NAMES, MATCH_ALIASES, MATCHES, OptionSpec, POLICIES, STANDARD_TARGETS, TABLES, TARGETS, optionNames,
} from '../knowledge';
import { BASE_LONG_OPTIONS, BASE_SHORT_OPTIONS, COMMAND_LETTERS } from '../knowledge/baseOptions';

export const SAVE_SCOPE = 'source.iptables';
export const INJECTION_SCOPE = 'iptables.injection.shell';
/** Shell code outside comments and strings, and outside what the injection itself already covers. */
const INJECTION_SELECTOR = 'L:source.shell -comment -string -meta.command.iptables -meta.embedded.block.iptables';

export interface CaptureRule {
  name?: string;
  patterns?: Rule[];
}

export interface Rule {
  name?: string;
  contentName?: string;
  match?: string;
  begin?: string;
  end?: string;
  captures?: Record<string, CaptureRule>;
  beginCaptures?: Record<string, CaptureRule>;
  endCaptures?: Record<string, CaptureRule>;
  applyEndPatternLast?: boolean;
  patterns?: Rule[];
  include?: string;
}

export interface Grammar {
  name?: string;
  scopeName: string;
  injectionSelector?: string;
  patterns: Rule[];
  repository: Record<string, Rule>;
}

// ---- scope names -------------------------------------------------------------

const SCOPE = {
  comment: 'comment.line.number-sign.iptables',
  commentMark: 'punctuation.definition.comment.iptables',
  tableMark: 'punctuation.definition.table.iptables',
  table: 'entity.name.type.table.iptables',
  commit: 'keyword.control.commit.iptables',
  chainMark: 'punctuation.definition.chain.iptables',
  chain: 'entity.name.function.chain.iptables',
  builtinChain: 'support.function.chain.builtin.iptables',
  verdict: 'constant.language.verdict.iptables',
  target: 'constant.language.target.iptables',
  noPolicy: 'constant.language.policy.none.iptables',
  counters: 'meta.counters.iptables',
  countersBegin: 'punctuation.section.counters.begin.iptables',
  countersEnd: 'punctuation.section.counters.end.iptables',
  countersSeparator: 'punctuation.separator.counters.iptables',
  counter: 'constant.numeric.integer.counter.iptables',
  command: 'keyword.control.command.iptables',
  option: 'variable.parameter.option.iptables',
  equals: 'punctuation.separator.key-value.iptables',
  module: 'support.type.module.iptables',
  negation: 'keyword.operator.negation.iptables',
  string: 'string.quoted.double.iptables',
  stringBegin: 'punctuation.definition.string.begin.iptables',
  stringEnd: 'punctuation.definition.string.end.iptables',
  escape: 'constant.character.escape.iptables',
  ipv4: 'constant.numeric.ipv4.iptables',
  ipv6: 'constant.numeric.ipv6.iptables',
  mac: 'constant.numeric.mac.iptables',
  mask: 'constant.numeric.mask.iptables',
  slash: 'punctuation.separator.mask.iptables',
  decimal: 'constant.numeric.integer.decimal.iptables',
  hex: 'constant.numeric.integer.hexadecimal.iptables',
  float: 'constant.numeric.float.iptables',
  port: 'constant.numeric.integer.port.iptables',
  service: 'support.constant.service.iptables',
  range: 'punctuation.separator.range.iptables',
  list: 'punctuation.separator.list.iptables',
  badOption: 'invalid.illegal.option.iptables',
  badModule: 'invalid.illegal.module.iptables',
  badTable: 'invalid.illegal.table.iptables',
  badPolicy: 'invalid.illegal.policy.iptables',
  badLine: 'invalid.illegal.line.iptables',
  badComment: 'invalid.illegal.comment.iptables',
  badWhitespace: 'invalid.illegal.whitespace.iptables',
  shellCommand: 'meta.command.iptables.shell',
  shellRestore: 'meta.command.iptables.restore.shell',
  program: 'support.function.command.iptables',
  heredoc: 'meta.heredoc.iptables.shell',
  heredocBody: 'meta.embedded.block.iptables source.iptables',
  // The shell grammar's own names, so the heredoc markers keep the shell's colours.
  heredocOperator: 'keyword.operator.heredoc.shell',
  heredocQuote: 'punctuation.definition.string.heredoc.quote.shell',
  heredocDelimiter: 'punctuation.definition.string.heredoc.delimiter.shell',
  backtick: 'punctuation.definition.evaluation.backticks.shell',
  shellComment: 'comment.line.number-sign.shell',
  redirect: 'keyword.operator.redirect.shell',
  shellArgument: 'string.unquoted.argument.shell',
} as const;

// ---- building regular expressions with their captures ------------------------

/** A regex piece: raw text (no capturing groups), a sequence, a capture, an optional part, alternatives. */
type Part = string | Part[] | { capture: CaptureRule; parts: Part[] } | { optional: Part[] } | { alternatives: Part[] };

const cap = (rule: string | CaptureRule, ...parts: Part[]): Part =>
  ({ capture: typeof rule === 'string' ? { name: rule } : rule, parts });
const opt = (...parts: Part[]): Part => ({ optional: parts });
const alt = (...alternatives: Part[]): Part => ({ alternatives });

/** The regex text and its numbered captures; groups are numbered in the order they open. */
function compile(parts: Part[]): { regex: string; captures: Record<string, CaptureRule> } {
  const captures: Record<string, CaptureRule> = {};
  let next = 1;
  const emit = (part: Part): string => {
    if (typeof part === 'string') {
      if (/(^|[^\\])\((?!\?)/.test(part)) throw new Error(`raw regex text must not capture: ${part}`);
      return part;
    }
    if (Array.isArray(part)) return part.map(emit).join('');
    if ('capture' in part) {
      const n = next++;
      captures[n] = part.capture;
      return `(${part.parts.map(emit).join('')})`;
    }
    if ('optional' in part) return `(?:${part.optional.map(emit).join('')})?`;
    return `(?:${part.alternatives.map(emit).join('|')})`;
  };
  return { regex: parts.map(emit).join(''), captures };
}

function match(...parts: Part[]): Rule {
  const { regex, captures } = compile(parts);
  return Object.keys(captures).length ? { match: regex, captures } : { match: regex };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Any of the words, longest first so that no word hides a longer one. */
function oneOf(words: Iterable<string>): string {
  return `(?:${[...new Set(words)].sort((a, b) => b.length - a.length || a.localeCompare(b)).map(escape).join('|')})`;
}

/**
 * Any non-empty beginning of any of the words: getopt_long accepts an option
 * abbreviated to a unique prefix, so `--to` may stand for `--to-destination`.
 * Built as a trie, so matching never backtracks more than one name deep.
 */
function prefixOf(words: Iterable<string>): string {
  type Node = Map<string, Node>;
  const root: Node = new Map();
  for (const word of words) {
    let node = root;
    for (const c of word) {
      if (!node.has(c)) node.set(c, new Map());
      node = node.get(c)!;
    }
  }
  const emit = (node: Node): string => {
    const branches = [...node].sort(([a], [b]) => a.localeCompare(b))
      .map(([c, child]) => escape(c) + (child.size ? `(?:${emit(child)})?` : ''));
    return branches.length === 1 ? branches[0] : `(?:${branches.join('|')})`;
  };
  return emit(root);
}

// ---- what the knowledge base says ------------------------------------------------

/** Long option names of the base options whose short letter is one of these. */
function baseLongNames(letters: string): string[] {
  return [...BASE_LONG_OPTIONS].filter(([, o]) => letters.includes(o.letter)).map(([name]) => name);
}

/** `-x` or `--long-name` for base options with these letters. */
function baseOption(letters: string): string {
  return `(?:-[${escape(letters)}]|--${oneOf(baseLongNames(letters))})`;
}

const EXTENSION_OPTIONS: readonly OptionSpec[] = [...MATCHES, ...TARGETS].flatMap((e) => e.options);
const LONG_OPTION_NAMES = [...BASE_LONG_OPTIONS.keys(), ...EXTENSION_OPTIONS.flatMap(optionNames)];
const PORT_VALUES = new Set(['port', 'portRange', 'portList', 'natPorts']);
const PORT_OPTION_NAMES = EXTENSION_OPTIONS
  .filter((o) => typeof o.value === 'string' && PORT_VALUES.has(o.value))
  .flatMap(optionNames);

const COMMANDS = Object.keys(COMMAND_LETTERS).join('');
const letters = (arg: (kind: string) => boolean) =>
  [...BASE_SHORT_OPTIONS].filter(([, kind]) => arg(kind)).map(([l]) => l).join('');
/** Short options that take no value, and so may be followed by more letters (`-nv`). */
const FLAG_LETTERS = letters((kind) => kind === 'none');
/** Short options that take a value, which may follow the letter directly (`-ptcp`). */
const VALUE_LETTERS = letters((kind) => kind !== 'none');

// ---- words ------------------------------------------------------------------------

/** A character of a name: nothing the shell treats specially, and no quote. */
const WORD_CHAR = '[^\\s"\'`$\\\\;|&\\(\\)<>]';
const WORD = `${WORD_CHAR}++`;
/** Not inside a word: the line start or white space before. */
const WORD_START = '(?<![^\\s])';
const WORD_END = '(?=[\\s;|&\\(\\)<>]|$)';
const GAP = '[ \\t]++';

const chainName: Part = alt(
  [cap(SCOPE.builtinChain, oneOf(BUILTIN_CHAIN_NAMES)), WORD_END],
  [cap(SCOPE.chain, WORD), WORD_END],
);

const counters: Part = cap(SCOPE.counters,
  cap(SCOPE.countersBegin, '\\['), cap(SCOPE.counter, '\\d++'), cap(SCOPE.countersSeparator, ':'),
  cap(SCOPE.counter, '\\d++'), cap(SCOPE.countersEnd, '\\]'));

const policy: Part = alt(
  [cap(SCOPE.verdict, oneOf(POLICIES)), WORD_END],
  [cap(SCOPE.noPolicy, '-'), WORD_END],
  cap(SCOPE.badPolicy, WORD),
);

const HEX = '[0-9A-Fa-f]';
const IPV4 = '\\d{1,3}(?:\\.\\d{1,3}){3}';
// Eight groups, or fewer around one `::`, optionally ending in an IPv4 address.
const IPV6 = `(?:(?:${HEX}{1,4}:){7}${HEX}{1,4}`
  + `|(?:${HEX}{1,4}(?::${HEX}{1,4})*+)?::(?:${HEX}{1,4}:)*+(?:${IPV4}|${HEX}{1,4})?)`;

// ---- the save-file grammar ------------------------------------------------------------

function ruleArguments(): Rule[] {
  const portValue: Rule[] = [
    { match: '\\d++', name: SCOPE.port },
    { match: '[A-Za-z][\\w.]*+(?:-[A-Za-z][\\w.]*+)*+', name: SCOPE.service },
    { match: '[:-]', name: SCOPE.range },
    { match: ',', name: SCOPE.list },
  ];
  return [
    match(WORD_START, cap(SCOPE.negation, '!'), WORD_END),
    // Ports, where the knowledge base says an option takes them.
    match(WORD_START, cap(SCOPE.option, '--', oneOf(PORT_OPTION_NAMES)), alt(cap(SCOPE.equals, '='), GAP),
      cap({ patterns: portValue }, '[\\w.:,-]++'), WORD_END),
    match(WORD_START, cap(SCOPE.option, baseOption('jg')), WORD_END, opt(GAP, alt(
      [cap(SCOPE.verdict, oneOf(Object.keys(STANDARD_TARGETS))), WORD_END],
      [cap(SCOPE.target, oneOf(TARGETS.map((t) => t.name))), WORD_END],
      [cap(SCOPE.chain, WORD), WORD_END],
    ))),
    match(WORD_START, cap(SCOPE.option, baseOption('m')), WORD_END, opt(GAP, alt(
      [cap(SCOPE.module, oneOf([...MATCHES.map((m) => m.name), ...Object.keys(MATCH_ALIASES)])), WORD_END],
      [cap(SCOPE.badModule, WORD), WORD_END],
    ))),
    match(WORD_START, cap(SCOPE.option, baseOption('t')), WORD_END, opt(GAP, alt(
      [cap(SCOPE.table, oneOf(TABLES.map((t) => t.name))), WORD_END],
      [cap(SCOPE.badTable, WORD), WORD_END],
    ))),
    match(WORD_START, cap(SCOPE.command, baseOption('P')), WORD_END, opt(GAP, chainName, opt(GAP, policy))),
    match(WORD_START, cap(SCOPE.command, baseOption('E')), WORD_END, opt(GAP, chainName, opt(GAP, chainName))),
    // Any command, also after flags in one word (`-nvL`), with its chain if one follows.
    match(WORD_START, cap(SCOPE.command, alt(`-[${FLAG_LETTERS}]*+[${COMMANDS}]`, `--${oneOf(baseLongNames(COMMANDS))}`)),
      WORD_END, opt(GAP, '(?![-!])', chainName)),
    match(WORD_START, cap(SCOPE.option, '--', prefixOf(LONG_OPTION_NAMES)), alt(cap(SCOPE.equals, '='), WORD_END)),
    match(WORD_START, cap(SCOPE.badOption, '--[^\\s=;|&\\(\\)<>"\'`$\\\\]*+')),
    // Short options: flags, then at most one letter whose value may follow at once.
    match(WORD_START, cap(SCOPE.option, '-', alt(`[${FLAG_LETTERS}]++${WORD_END}`, `[${FLAG_LETTERS}]*+[${VALUE_LETTERS}]`))),
    match(WORD_START, cap(SCOPE.badOption, `-[A-Za-z]${WORD_CHAR}*+`)),
    { include: '#values' },
  ];
}

function values(): Rule[] {
  const before = '(?<![\\w.:])';
  const after = '(?![\\w.:])';
  return [
    match(before, cap(SCOPE.ipv6, IPV6), opt(cap(SCOPE.slash, '/'), cap(SCOPE.mask, '\\d{1,3}')), after),
    match('(?<![\\w.])', cap(SCOPE.ipv4, IPV4), opt(cap(SCOPE.slash, '/'), cap(SCOPE.mask, `${IPV4}|\\d{1,2}`)), '(?![\\w.])'),
    match(before, cap(SCOPE.mac, `${HEX}{2}(?::${HEX}{2}){5}`), after),
    match('(?<![\\w.])', cap(SCOPE.hex, `0[xX]${HEX}++`), '(?![\\w.])'),
    match('(?<![\\w.])', cap(SCOPE.float, '\\d++\\.\\d++'), '(?![\\w.])'),
    // Not the digits that end a name such as DOCKER-ISOLATION-STAGE-1.
    match('(?<![\\w.]|[A-Za-z_]-)', cap(SCOPE.decimal, '\\d++'), '(?![\\w.<>])'),
    // value/mask, as in marks (0x10/0xff) and ICMP type/code; first-last, as in address ranges.
    match('(?<=[0-9A-Fa-f])', cap(SCOPE.slash, '/'), '(?=\\d)'),
    match('(?<=\\d)', cap(SCOPE.range, '-'), '(?=\\d)'),
  ];
}

/**
 * Line rules, anchored at `start`: `^` in a file; in a heredoc also after tabs,
 * which `<<-` removes before iptables-restore reads the line.
 */
function lineRules(start: string) {
  return {
    comment: match(start, cap(SCOPE.comment, cap(SCOPE.commentMark, '#'), '.*+')),
    misplacedComment: match(start, '[ \\t]++', cap(SCOPE.badComment, '#.*+')),
    blankWithSpaces: match(start, cap(SCOPE.badWhitespace, '[ \\t]++'), '$'),
    tableHeader: [start, cap(SCOPE.tableMark, '\\*'), '[ \\t]*+',
      alt([cap(SCOPE.table, oneOf(TABLES.map((t) => t.name))), '(?=\\s|$)'], cap(SCOPE.badTable, '\\S*+'))],
    commit: match(start, cap(SCOPE.commit, 'COMMIT'), '$'),
    /** What may stand between a `*table` line and COMMIT. */
    inTable: [
      match(start, cap(SCOPE.chainMark, ':'), opt(chainName), opt(GAP, policy), opt(GAP, counters)),
      match(start, counters),
      // iptables-restore runs every other line as a command: a line must start with an option, `!` or counters.
      match(start, '[ \\t]*+', cap(SCOPE.badLine, '[^\\s\\-!\\[#]\\S*+')),
      { include: '#rule' },
    ],
  };
}

export function saveFileGrammar(): Grammar {
  const file = lineRules('^');
  const embedded = lineRules('^\\t*+');
  const header = compile(file.tableHeader);
  const checks = [file.comment, file.misplacedComment, file.blankWithSpaces];
  return {
    name: 'iptables',
    scopeName: SAVE_SCOPE,
    // Lines outside a table get the same colours: the linter says what is missing.
    patterns: [...checks, { include: '#table' }, ...file.inTable],
    repository: {
      table: {
        name: 'meta.table.iptables',
        begin: header.regex,
        beginCaptures: header.captures,
        // A missing COMMIT is the linter's to report: the next `*table` still starts a new block.
        end: '^(COMMIT)$|^(?=\\*)',
        endCaptures: { 1: { name: SCOPE.commit } },
        patterns: [...checks, ...file.inTable],
      },
      // Save-file lines without the table blocks, for text embedded elsewhere (shell heredocs),
      // where a block must not run past the end of the embedding.
      'restore-input': {
        patterns: [embedded.comment, embedded.misplacedComment, embedded.blankWithSpaces,
          match(...embedded.tableHeader), embedded.commit, ...embedded.inTable],
      },
      rule: { patterns: [{ include: '#restore-string' }, { include: '#arguments' }] },
      // iptables-restore's quoting: double quotes only, backslash escapes inside them.
      'restore-string': {
        name: SCOPE.string,
        begin: '"',
        beginCaptures: { 0: { name: SCOPE.stringBegin } },
        end: '(")|$',
        endCaptures: { 1: { name: SCOPE.stringEnd } },
        patterns: [{ match: '\\\\.', name: SCOPE.escape }],
      },
      arguments: { patterns: ruleArguments() },
      values: { patterns: values() },
    },
  };
}

// ---- the shell injection ------------------------------------------------------------

/** Where a shell command starts: line start, after an operator, a keyword or `sudo`. */
const COMMAND_POSITION = '(?:(?<=^|[;&|\\(\\){}!`])[ \\t]*+'
  + '|(?<=\\bsudo|\\bdoas|\\bcommand|\\bexec|\\btime|\\bthen|\\bdo|\\belse|\\bif|\\belif|\\bwhile|\\buntil)[ \\t]++)';
const PATH = '(?:[\\w.~-]*+/)*+';
const PROGRAM = 'ip[46]?tables(?:-legacy|-nft)?';
/** `$IPT`, `${IPTABLES}`, `$MY_IPT6`...: a variable named for iptables; `$SCRIPT` is not one. */
const variableNamed = (suffix: string) => `(?:\\w*_)?(?i:ip6?t)\\w*${suffix}`;
const variable = (name: string) => `\\$(?:\\{${name}\\}|${name})`;
const NOT_A_TOOL = '(?!\\w*(?i:save|restore))';
const RESTORE_VARIABLE = variable(variableNamed('(?i:restore)\\w*'));
const RESTORE_PROGRAM = `(?:${PATH}${PROGRAM}-restore|${RESTORE_VARIABLE})`;
/**
 * Where the command ends: a shell operator, a comment, or a line end without `\`
 * (tested before the newline: `$` also matches after it, where no backslash precedes).
 */
const COMMAND_END = '(?=[;&|)`]|[ \\t]++#)|(?=\\n)(?<!\\\\)';

const shell = (rule: string): Rule => ({ include: `source.shell#${rule}` });
const SHELL_WORDS: Rule[] = [
  // `# comment` in backticks: a comment in the middle of a continued command.
  match(cap(SCOPE.backtick, '`'), cap(SCOPE.shellComment, '[ \\t]*+#[^`]*+'), cap(SCOPE.backtick, '`')),
  // Redirections, scoped as the shell grammar scopes them (`2>/dev/null`, `< rules.v4`).
  match(WORD_START, cap(SCOPE.redirect, '&>|\\d*+>&\\d*+|\\d*+(?:>>|>|<(?!<))'), '[ \\t]*+', cap(SCOPE.shellArgument, `${WORD_CHAR}*+`)),
  shell('string'), shell('variable'), shell('subshell_dollar'), shell('line_continuation'),
];

function heredoc(quoted: boolean, piped: boolean): Rule {
  const delimiter = '[^\\s"\'|&;<>\\(\\)]++';
  const pipedToRestore = piped ? `(?=[^\\n]*?\\|[ \\t]*+(?:sudo[ \\t]++)?${RESTORE_PROGRAM}(?=\\s|$))` : '';
  const begin = compile([
    '(?<!<)', cap(SCOPE.heredocOperator, '<<-?'), '[ \\t]*+',
    quoted
      ? [cap(SCOPE.heredocQuote, '[\'"]'), cap(SCOPE.heredocDelimiter, delimiter), cap(SCOPE.heredocQuote, '\\2')]
      : cap(SCOPE.heredocDelimiter, delimiter),
    pipedToRestore, cap({ patterns: [{ include: 'source.shell' }] }, '.*+'),
  ]);
  const delimiterGroup = quoted ? 3 : 2;
  // Without quotes around the delimiter the shell expands variables in the body.
  const expansions = quoted ? [] : [shell('variable'), shell('subshell_dollar')];
  return {
    name: SCOPE.heredoc,
    contentName: SCOPE.heredocBody,
    begin: begin.regex,
    beginCaptures: begin.captures,
    end: `^\\t*+(\\${delimiterGroup})(?=\\s|;|&|$)`,
    endCaptures: { 1: { name: SCOPE.heredocDelimiter } },
    patterns: [...expansions, { include: `${SAVE_SCOPE}#restore-input` }],
  };
}

export function shellInjectionGrammar(): Grammar {
  const iptables = compile([COMMAND_POSITION, alt(
    cap(SCOPE.program, PATH, PROGRAM),
    cap({ patterns: [shell('variable')] }, variable(NOT_A_TOOL + variableNamed(''))),
  ), '(?=[ \\t]|$)']);
  const restore = compile([COMMAND_POSITION, alt(
    cap(SCOPE.program, PATH, PROGRAM, '-restore'),
    cap({ patterns: [shell('variable')] }, RESTORE_VARIABLE),
  ), '(?=[ \\t]|$)']);
  return {
    scopeName: INJECTION_SCOPE,
    injectionSelector: INJECTION_SELECTOR,
    patterns: [{ include: '#piped-heredoc' }, { include: '#restore-command' }, { include: '#iptables-command' }],
    repository: {
      'iptables-command': {
        name: SCOPE.shellCommand,
        begin: iptables.regex,
        beginCaptures: iptables.captures,
        end: COMMAND_END,
        // The end wins only where no word starts, so a backtick comment is not taken for the end.
        applyEndPatternLast: true,
        patterns: [...SHELL_WORDS, { include: `${SAVE_SCOPE}#arguments` }],
      },
      'restore-command': {
        name: SCOPE.shellRestore,
        begin: restore.regex,
        beginCaptures: restore.captures,
        end: COMMAND_END,
        applyEndPatternLast: true,
        patterns: [
          heredoc(true, false), heredoc(false, false), ...SHELL_WORDS, shell('option'),
          match(WORD_START, cap(SCOPE.shellArgument, `(?!-)${WORD}`)),
        ],
      },
      // `cat <<EOF | iptables-restore`
      'piped-heredoc': { patterns: [heredoc(true, true), heredoc(false, true)] },
    },
  };
}
