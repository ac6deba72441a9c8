// What a rule's translation is written into: its tests, its statements (after
// `counter`), notes and declarations, and the application of the knowledge
// base's `nft` facts to an option or a target. Forms (forms.ts) get the writer
// to add what they make of their options.
import type { ExtensionSpec, Family, Hook, NftMatchForm, NftTest } from '../knowledge';
import { protocolNumber } from '../knowledge/vocabulary';
import { localized, t } from '../l10n';
import type { MatchUse, OptionUse, RuleSpec, TargetUse } from '../syntax/command';
import { forFamily, hex, range } from './text';
import { optionValue, protocolText, TestValue, Untranslatable } from './values';

/** A set or object a rule needs, declared once in its table. */
export interface NftDeclaration {
  /** What it is and its name (`set blocklist`): the same key is declared once. */
  key: string;
  /** The declaration as it stands in the table block. */
  text: string;
}

export interface RuleContext {
  family: Family;
  table: string;
  /** The built-in hooks that reach the rule's chain (NETMAP maps the destination or the source by hook). */
  hooks: ReadonlySet<Hook>;
  /** The nft name of a chain of this table; undefined when the table has no such chain. */
  chainName(name: string): string | undefined;
  /** Unique within the table, for sets a single rule owns (connlimit's). */
  ruleId: string;
  /** `-s a,b` is one rule per address: this rule's (from the model). */
  addresses?: { source?: string; destination?: string };
}

/** A translation that writes a whole match, or an option with its companions. */
export type Form = (w: RuleWriter, use: MatchUse | TargetUse, option?: OptionUse) => void;
/** A translation that writes a whole target. */
export type TargetForm = (w: RuleWriter, use: TargetUse) => void;

export class RuleWriter {
  readonly tests: string[] = [];
  readonly statements: string[] = [];
  readonly notes: string[] = [];
  readonly declarations: NftDeclaration[] = [];
  readonly comments: string[] = [];
  /** Statements of a second rule with the same tests, for what one nft rule cannot do (it carries no counter). */
  readonly followUp: string[] = [];

  constructor(readonly spec: RuleSpec, readonly ctx: RuleContext, private readonly forms: Readonly<Record<NftMatchForm, Form>>) {}

  get family(): Family {
    return this.ctx.family;
  }

  /** The rule's `-p` as nft names it, unless negated or absent. */
  protocol(): string | undefined {
    const p = this.spec.protocol;
    if (!p || p.negated) return undefined;
    const n = protocolNumber(p.value.text);
    return n === undefined ? p.value.text.toLowerCase() : protocolText(n);
  }

  test(text: string): void {
    this.tests.push(text);
  }

  statement(text: string): void {
    this.statements.push(text);
  }

  note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  declare(key: string, text: string): void {
    if (!this.declarations.some((d) => d.key === key)) this.declarations.push({ key, text });
  }

  fail(reason: string): never {
    throw new Untranslatable(reason);
  }

  /** A match: its form, its test when it has no option, or each option's own fact. */
  match(m: MatchUse): void {
    const ext = m.spec;
    if (!ext) this.fail(t('`-m {0}` is not a match module we know', m.name));
    const nft = ext.nft;
    if (nft && 'none' in nft) this.fail(t('`-m {0}` has no nft equivalent: {1}', ext.name, localized(nft.none)));
    if (nft && 'form' in nft) return this.forms[nft.form](this, m);
    if (m.options.length === 0 && nft && 'alone' in nft) return this.test(forFamily(nft.alone, this.family));
    for (const o of m.options) this.option(ext, m, o);
  }

  /** An option by its own fact (a statement argument is written by statementText). */
  option(ext: ExtensionSpec, owner: MatchUse | TargetUse, o: OptionUse): void {
    const fact = o.spec.nft;
    const label = `\`--${o.spec.name}\` of \`${ext.kind === 'match' ? '-m' : '-j'} ${ext.name}\``;
    if (!fact) this.fail(t('{0} has no nft equivalent we know of', label));
    if ('none' in fact) this.fail(t('{0} has no nft equivalent: {1}', label, localized(fact.none)));
    if ('note' in fact) return this.note(t('{0} is left out: {1}', label, localized(fact.note ?? '')));
    if ('with' in fact) return;
    if ('form' in fact) return this.forms[fact.form](this, owner, o);
    if (!('expr' in fact)) this.fail(t('{0} is a statement argument, not a test', label));
    const text = this.testText(fact, o, ext);
    if (text !== '') this.test(text);
  }

  /**
   * A test fact applied to an option. A range of every value of a field of the
   * protocol's own header (ports, SPIs) tests no more than `-p` does: nothing
   * is written for it.
   */
  testText(fact: NftTest, use: OptionUse, ext?: ExtensionSpec): string {
    const expr = forFamily(fact.expr, this.family);
    const label = `\`${use.negated ? '! ' : ''}--${use.spec.name} ${use.values.map((v) => v.text).join(' ')}\``;
    if (use.negated && fact.notNegated) this.fail(`\`! --${use.spec.name}\`: ${localized(fact.notNegated)}`);
    const never = fact.neverMatches?.find((w) => use.values.some((v) => v.text.toUpperCase().split(',').includes(w)));
    if (never) this.fail(t('{0} never matches in the kernel (`{1}` is no flag it can find), and is not translated', label, never));
    if (!use.negated && ext?.protocols?.includes(ext.name) && fullRange(use)) return '';
    let v: TestValue;
    if (fact.value !== undefined) v = { value: fact.value };
    else if (fact.masked) v = maskedValue(use.values[0].text);
    else v = optionValue(use.spec, use, this.family, fact);
    if (fact.max !== undefined) v = { value: clamp(v.value, fact.max, label) };
    const aligned = fact.aligned?.[this.family];
    if (aligned) {
      const mask = v.mask === undefined ? (1n << BigInt(aligned.width)) - 1n : BigInt(v.mask);
      v = { value: hex(BigInt(v.value) << BigInt(aligned.shift)), mask: hex(mask << BigInt(aligned.shift)) };
    }
    if (fact.bytes) {
      const field = headerField(Number(v.value), fact.bytes);
      if (field === undefined) {
        // No header of this kind has that length: the test never matches, negated it asks only for the header.
        if (!use.negated) this.fail(t('{0} is a length no such header has (a whole number of units of {1} bytes, at least {2}): the rule never matches', label, fact.bytes.unit, fact.bytes.unit * fact.bytes.less));
        return `exthdr ${expr.split(' ')[0]} exists`;
      }
      v = { value: field };
    }
    if (fact.presence) return `${expr} ${v.value} ${use.negated ? 'missing' : 'exists'}`;
    return comparison(expr, v, use.negated, fact.op, fact.flags);
  }

  /** A target's statement with its arguments (in the knowledge base's option order), then its flags. */
  statementText(ext: ExtensionSpec, t: TargetUse, head: string): string {
    const parts = head === '' ? [] : [head];
    const flags: string[] = [];
    for (const spec of ext.options) {
      const use = t.options.find((o) => o.spec === spec);
      const fact = spec.nft;
      if (!use) {
        if (fact && 'absent' in fact && fact.absent) parts.push(fact.absent);
        continue;
      }
      if (!fact || !('keyword' in fact)) {
        this.option(ext, t, use);
        continue;
      }
      if (fact.note) this.note(`\`--${spec.name}\`: ${localized(fact.note)}`);
      if (fact.flag) {
        flags.push(fact.keyword);
        continue;
      }
      const value = spec.value ? optionValue(spec, use, this.family, fact).value : '';
      if (spec.value && value === '') continue;
      parts.push([fact.keyword, value].filter((p) => p !== '').join(' '));
    }
    if (flags.length) parts.push(flags.join(','));
    return parts.join(' ');
  }
}

/** `expr value`, negated `expr != value`; a list of flags negated is `expr ! a,b`. */
export function comparison(expr: string, v: TestValue, negated: boolean, op?: '<' | '>', flags?: boolean): string {
  if (v.mask) return `${expr} & ${v.mask} ${negated ? '!=' : '=='} ${v.value}`;
  if (op) return `${expr} ${negated ? (op === '<' ? '>=' : '<=') : op} ${v.value}`;
  // After `&`, nft needs the operator: a bare value would be read as a flag test.
  if (!negated) return expr.includes(' & ') ? `${expr} == ${v.value}` : `${expr} ${v.value}`;
  return flags && v.value.includes(',') ? `${expr} ! ${v.value}` : `${expr} != ${v.value}`;
}

/** `value[/mask]` as written (names nft looks up itself stay names). */
function maskedValue(text: string): TestValue {
  const [value, mask] = text.split('/');
  return mask === undefined ? { value } : { value, mask };
}

/** A header length iptables gives in bytes, as nft's length field; undefined when no header has that length. */
function headerField(bytes: number, unit: { unit: number; less: number }): string | undefined {
  const field = bytes / unit.unit - unit.less;
  return Number.isInteger(field) && field >= 0 && field <= 255 ? String(field) : undefined;
}

/** A range of uint or port values that holds every value its kind allows. */
function fullRange(use: OptionUse): boolean {
  const spec = use.spec.value;
  const r = use.parsed[0];
  if (!r || typeof r !== 'object' || !('from' in r)) return false;
  const max = spec === 'portRange' ? 65535 : typeof spec === 'object' && spec.kind === 'uintRange' ? spec.max : undefined;
  return max !== undefined && r.from === (typeof spec === 'object' && spec.kind === 'uintRange' ? spec.min ?? 0 : 0) && r.to === max;
}

/** A value or `from-to` range cut at the field's largest value. */
function clamp(value: string, max: number, label: string): string {
  const [from, to = from] = value.split('-').map(Number);
  if (from > max) throw new Untranslatable(t('{0}: nft\'s field holds at most {1}, so the rule never matches', label, max));
  return range(from, Math.min(to, max));
}
