// One iptables rule as an nftables rule: the base criteria, each match and
// the target, written from the `nft` facts of the knowledge base, with
// `counter` before the target since iptables counts every rule. A rule with
// something nft cannot say comes back untranslatable, with the reason.
import type { Cidr } from '../knowledge/addresses';
import { NFT_VERDICTS } from '../knowledge/nftables';
import { checkValue } from '../knowledge/values';
import { protocolNumber } from '../knowledge/vocabulary';
import { localized, t } from '../l10n';
import type { RuleSpec, TargetUse } from '../syntax/command';
import { MATCH_FORMS, TARGET_FORMS } from './forms';
import { addressValue, commentText, forFamily, interfaceName, setOf } from './text';
import { protocolText, Untranslatable } from './values';
import { comparison, NftDeclaration, RuleContext, RuleWriter } from './writer';

export type { NftDeclaration, RuleContext };

export interface NftRule {
  /**
   * The rule's nft text after `add rule FAMILY TABLE CHAIN`; absent when there
   * is no equivalent. A second line is a rule of its own that finishes what the
   * first cannot do, without a counter of its own.
   */
  text?: string;
  /** Why nft has no equivalent. */
  untranslatable?: string;
  /** Where nft behaves differently, or something must be done by hand. */
  notes: string[];
  declarations: NftDeclaration[];
}

/** `symbolic`: a word of the command is only known when its script runs. */
export function translateRule(spec: RuleSpec, ctx: RuleContext, symbolic = false): NftRule {
  try {
    if (symbolic) throw new Untranslatable(t('a word of the command is only known when the script runs'));
    const w = new RuleWriter(spec, ctx, MATCH_FORMS);
    const protocol = baseCriteria(w);
    for (const m of spec.matches) w.match(m);
    // nft reads `tcp dport` only in TCP packets: a test of the protocol's header says `-p` already.
    const said = protocol?.implied && w.tests.some((t) => t.startsWith(`${protocol.implied} `));
    if (protocol && !said) w.tests.splice(protocol.at, 0, protocol.text);
    target(w, spec.target);
    const comment = w.comments.length ? commentText(w.comments.join('; ')) : undefined;
    for (const note of comment?.notes ?? []) w.note(note);
    const text = [...w.tests, 'counter', ...w.statements, ...(comment ? [`comment ${comment.text}`] : [])].join(' ')
      + (w.followUp.length ? `\n${[...w.tests, ...w.followUp].join(' ')}` : '');
    return { text, notes: w.notes, declarations: w.declarations };
  } catch (e) {
    if (e instanceof Untranslatable) return { untranslatable: e.message, notes: [], declarations: [] };
    throw e;
  }
}

/** The interfaces, fragment and addresses; the protocol's test comes back to be placed once the matches are known. */
function baseCriteria(w: RuleWriter): { text: string; at: number; implied?: string } | undefined {
  const s = w.spec;
  const not = (c: { negated: boolean }) => (c.negated ? '!= ' : '');
  for (const [c, expr] of [[s.inInterface, 'iifname'], [s.outInterface, 'oifname']] as const) {
    if (!c) continue;
    // `+` alone is every name: no test, or (negated) a rule that never matches.
    if (c.value.text === '+') {
      if (c.negated) w.fail(t('`! {0} +` excludes every interface: the rule never matches', c.flag.text));
      continue;
    }
    w.test(`${expr} ${not(c)}${interfaceName(c.value.text)}`);
  }
  if (s.fragment) w.test(`ip frag-off & 0x1fff ${s.fragment.negated ? '==' : '!='} 0`);
  let protocol: { text: string; at: number; implied?: string } | undefined;
  if (s.protocol) {
    const n = protocolNumber(s.protocol.value.text);
    if (n === undefined) w.fail(t('`-p {0}` is not a protocol nft knows by name; write its number', s.protocol.value.text));
    const name = protocolText(n);
    if (n !== 0) protocol = { text: `${w.family === 'ipv4' ? 'ip protocol' : 'meta l4proto'} ${not(s.protocol)}${name}`, at: w.tests.length, implied: s.protocol.negated ? undefined : name };
  }
  address(w, 'saddr', s.source, w.ctx.addresses?.source);
  address(w, 'daddr', s.destination, w.ctx.addresses?.destination);
  return protocol;
}

function address(w: RuleWriter, field: string, c: RuleSpec['source'], split: string | undefined): void {
  if (!c) return;
  const text = split ?? c.value.text;
  const r = checkValue('addressList', text, { family: w.family });
  if (r.error || r.value === undefined) w.fail(`\`${text}\`: ${r.error ?? t('not an address')}`);
  const items = (Array.isArray(r.value) ? r.value : [r.value]) as (Cidr | { hostname: string })[];
  const expr = `${w.family === 'ipv4' ? 'ip' : 'ip6'} ${field}`;
  if (items.length === 1 && 'prefix' in items[0] && items[0].prefix === 0 && !c.negated) return;
  const values = items.map((v) => ('hostname' in v ? { value: v.hostname } : addressValue(v)));
  if (items.some((v) => 'hostname' in v)) w.note(t('nft looks a host name up when it loads the rules, as iptables does, and refuses one with several addresses'));
  if (values.length > 1) {
    if (values.some((v) => v.mask)) w.fail(t('`{0}` mixes masks nft cannot hold in one set', text));
    w.note(t('iptables makes one rule per address of the list; nft tests them as one set'));
    w.test(comparison(expr, { value: setOf(values.map((v) => v.value)) }, c.negated));
    return;
  }
  w.test(comparison(expr, values[0], c.negated));
}

function target(w: RuleWriter, use: TargetUse | undefined): void {
  if (!use) return;
  const ext = use.spec;
  if (!ext) {
    if (!use.goto && NFT_VERDICTS[use.name]) return w.statement(NFT_VERDICTS[use.name]);
    const chain = w.ctx.chainName(use.name);
    if (chain === undefined) w.fail(use.goto ? t('it goes to `{0}`, which this file does not define; an nft table holds all the chains its rules jump to', use.name) : t('it jumps to `{0}`, which this file does not define; an nft table holds all the chains its rules jump to', use.name));
    return w.statement(`${use.goto ? 'goto' : 'jump'} ${chain}`);
  }
  const nft = ext.nft;
  if (!nft) w.fail(t('`-j {0}` has no nft equivalent we know of', ext.name));
  if ('none' in nft) w.fail(t('`-j {0}` has no nft equivalent: {1}', ext.name, localized(nft.none)));
  if ('targetForm' in nft) return TARGET_FORMS[nft.targetForm](w, use);
  if ('alone' in nft || 'form' in nft) w.fail(t('`-j {0}` is described as a match', ext.name));
  w.statement(w.statementText(ext, use, forFamily(nft.statement, w.family)));
}
