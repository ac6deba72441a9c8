// Every message has its Simplified Chinese translation, and each translation keeps
// what must not be translated: placeholders, code, iptables' own words, and the terms
// of netfilter's Chinese documentation (表 table, 链 chain, 规则 rule, 目标 target...).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { HELP } from '../server/src/diagnosticHelp';
import { CODES } from '../server/src/diagnostics';
import { BASE_OPTION_DOCS } from '../server/src/knowledge/baseOptions';
import { findMatch, findTable, findTarget, HOOK_DOCS, optionNamed, STANDARD_TARGETS } from '../server/src/knowledge';
import { NFT_KEYWORDS } from '../server/src/knowledge/nftables';
import { RULE_SNIPPETS } from '../server/src/knowledge/snippets';
import { CT_STATES } from '../server/src/knowledge/vocabulary';
import { CHAIN_OWNERS, wellKnownChain } from '../server/src/knowledge/wellKnownChains';
import { CATALOGUES } from '../server/src/l10n';
import { REPO } from './support/shared';

interface Key {
  text: string;
  where: string;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** The module a file imports `name` from, if it does. */
function importedFrom(source: ts.SourceFile, name: string): string | undefined {
  for (const s of source.statements) {
    if (!ts.isImportDeclaration(s) || !s.importClause) continue;
    const from = (s.moduleSpecifier as ts.StringLiteral).text;
    const b = s.importClause.namedBindings;
    if (b && ts.isNamespaceImport(b) && b.name.text === name) return from;
    if (b && ts.isNamedImports(b) && b.elements.some((e) => e.name.text === name)) return from;
  }
  return undefined;
}

/**
 * The first arguments of the calls `callee` (`t` or `l10n.t`) in the files that
 * import its head from a module `from` accepts. Each must be a literal: a message
 * built at run time cannot have a translation.
 */
function messages(dirs: string[], callee: 't' | 'l10n.t', from: (module: string) => boolean): { keys: Key[]; dynamic: string[] } {
  const keys: Key[] = [];
  const dynamic: string[] = [];
  for (const file of dirs.flatMap((d) => tsFiles(path.join(REPO, d)))) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    // The catalogue's own module calls t() without importing it.
    const module = importedFrom(source, callee === 't' ? 't' : 'l10n') ?? (path.basename(path.dirname(file)) === 'l10n' ? 'l10n' : undefined);
    if (module === undefined || !from(module)) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && node.expression.getText(source) === callee) {
        const where = `${path.relative(REPO, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
        const first = node.arguments[0];
        if (first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first))) keys.push({ text: first.text, where });
        else dynamic.push(`${where}: ${node.getText(source).slice(0, 80)}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { keys, dynamic };
}

const placeholders = (s: string) => [...new Set(s.match(/\{\d+\}/g) ?? [])].sort();
const codeSpans = (s: string) => s.match(/`[^`]+`/g) ?? [];
const prose = (s: string) => s.replace(/`[^`]+`/g, ' ');
/** Prose without names of fields and settings (`packet.uid`, `policy:DROP`) and upper-case names (`CHAIN`, `DROP`): those are code even without backticks. */
const words = (s: string) => prose(s).replace(/\S*\w[.:]\w\S*/g, ' ').replace(/\b[A-Z][A-Z0-9_-]*[A-Z0-9]\b/g, ' ');

/** Words of iptables outside code spans: options, upper-case names (targets, chains, states), table names. */
function iptablesWords(english: string): string[] {
  const p = prose(english);
  const options = p.match(/(?<![\w-])--?[a-z][\w-]*/g) ?? [];
  const names = p.match(/\b[A-Z][A-Z0-9_-]*[A-Z0-9]\b/g) ?? [];
  const tables = [...p.matchAll(/\b(filter|nat|mangle|raw|security) (?:table|tables)\b/g)].map((m) => m[1]);
  return [...new Set([...options, ...names, ...tables])];
}

/** English word → the term the translation must use (netfilter's Chinese documentation). */
const TERMS: [RegExp, string][] = [
  [/\btables?\b/i, '表'],
  [/\bchains?\b/i, '链'],
  [/\brules?\b/i, '规则'],
  [/\btargets?\b/i, '目标'],
  [/\b(policy|policies)\b/i, '策略'],
  [/\bpackets?\b/i, '数据包'],
];

/** What is wrong with `zh` as the translation of `en`, if anything. */
function translationProblems(en: string, zh: string | undefined): string[] {
  if (zh === undefined) return ['no translation'];
  const problems: string[] = [];
  if (!/[\u4e00-\u9fff]/.test(zh) && /[a-z]{3,} [a-z]{3,}/i.test(prose(en))) problems.push('not translated');
  if (placeholders(en).join() !== placeholders(zh).join()) problems.push(`placeholders ${placeholders(en)} vs ${placeholders(zh)}`);
  for (const span of codeSpans(en)) if (!zh.includes(span)) problems.push(`code ${span} changed`);
  for (const word of iptablesWords(en)) if (!zh.includes(word)) problems.push(`iptables word ${word} missing`);
  for (const [english, term] of TERMS) if (english.test(words(en)) && !zh.includes(term)) problems.push(`${english.source} is not ${term}`);
  return problems;
}

function checkCatalogue(name: string, keys: Key[], catalogue: Record<string, string>): void {
  const problems: string[] = [];
  const known = new Set(keys.map((k) => k.text));
  for (const k of new Map(keys.map((k) => [k.text, k])).values()) {
    for (const p of translationProblems(k.text, catalogue[k.text])) problems.push(`${k.where}: ${p}: ${JSON.stringify(k.text)}`);
  }
  for (const k of Object.keys(catalogue)) if (!known.has(k)) problems.push(`${name} has a translation nothing uses: ${JSON.stringify(k)}`);
  assert.deepEqual(problems, [], `${problems.length} problems in ${name}:\n${problems.join('\n')}`);
}

/** Properties of the knowledge base's entries that hold text for people: shown through localized(). */
const TEXT_PROPERTIES = new Set(['doc', 'removed', 'deprecated', 'none', 'note', 'notNegated']);

/** Every text of the data a module exports: `doc`-like properties at any depth, and the values of `*_DOCS` / STANDARD_TARGETS records. */
function textsOf(exports: Record<string, unknown>, where: string): Key[] {
  const keys: Key[] = [];
  const seen = new Set<unknown>();
  const walk = (value: unknown, at: string): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
    for (const [k, v] of entries) {
      if (typeof v === 'string' && TEXT_PROPERTIES.has(String(k))) keys.push({ text: v, where: `${at}.${k}` });
      else walk(v, `${at}.${k}`);
    }
  };
  for (const [name, value] of Object.entries(exports)) {
    if (/_DOCS$|^STANDARD_TARGETS$/.test(name) && typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) if (typeof v === 'string') keys.push({ text: v, where: `${where} ${name}.${k}` });
    }
    walk(value, `${where} ${name}`);
  }
  return keys;
}

/** Texts that are data, shown through localized(): each source and where it is. Every module of the knowledge base counts. */
async function dataKeys(): Promise<Key[]> {
  const modules = tsFiles(path.join(REPO, 'server/src/knowledge'));
  const knowledge = await Promise.all(modules.map(async (f) => textsOf(await import(f), path.relative(REPO, f))));
  return [
    ...Object.entries(CODES).map(([code, text]) => ({ text, where: `server/src/diagnostics.ts CODES['${code}']` })),
    ...Object.entries(HELP).map(([code, text]) => ({ text, where: `server/src/diagnosticHelp.ts HELP['${code}']` })),
    ...knowledge.flat(),
  ];
}

test('every message of the language core, the server and the CLIs has its translation in server/src/l10n/zh-cn.json', async () => {
  const { keys, dynamic } = messages(['server/src', 'client/webview'], 't', (m) => /(^|\/)l10n$/.test(m));
  assert.deepEqual(dynamic, [], 'messages built at run time cannot be translated: give t() a literal');
  checkCatalogue('server/src/l10n/zh-cn.json', [...keys, ...await dataKeys()], CATALOGUES['zh-cn']);
});

test('the knowledge base\'s texts are all collected: tables, hooks, verdicts, base options, modules, options, values, snippets, chains of other tools', async () => {
  const texts = new Set((await dataKeys()).map((k) => k.text));
  const conntrack = findMatch('conntrack', 'ipv4')!;
  const owner = findMatch('owner', 'ipv4')!;
  const wanted = [
    findTable('raw')!.doc, HOOK_DOCS.FORWARD, STANDARD_TARGETS.RETURN, BASE_OPTION_DOCS.g.doc, conntrack.doc, optionNamed(conntrack, 'ctdir')!.doc,
    findMatch('state', 'ipv4')!.deprecated, optionNamed(owner, 'pid-owner')!.removed, findTarget('ULOG', 'ipv4')!.removed,
    CT_STATES.find((s) => s.name === 'RELATED')!.doc, RULE_SNIPPETS[0].doc, wellKnownChain('DOCKER-USER')!.doc, CHAIN_OWNERS[0].doc,
  ];
  assert.deepEqual(wanted.filter((text) => !text || !texts.has(text)), []);
});

test('every message of the extension and the trace panel has its translation in l10n/bundle.l10n.zh-cn.json', () => {
  const host = messages(['client/src'], 'l10n.t', (m) => m === 'vscode');
  const page = messages(['client/webview'], 'l10n.t', (m) => m === '@vscode/l10n');
  assert.deepEqual([...host.dynamic, ...page.dynamic], [], 'messages built at run time cannot be translated: give l10n.t() a literal');
  const bundle = JSON.parse(readFileSync(path.join(REPO, 'l10n', 'bundle.l10n.zh-cn.json'), 'utf8'));
  checkCatalogue('l10n/bundle.l10n.zh-cn.json', [...host.keys, ...page.keys], bundle);
});

test('every %key% of the manifest is in package.nls.json and translated in package.nls.zh-cn.json', () => {
  const manifest = readFileSync(path.join(REPO, 'package.json'), 'utf8');
  const en = JSON.parse(readFileSync(path.join(REPO, 'package.nls.json'), 'utf8'));
  const zh = JSON.parse(readFileSync(path.join(REPO, 'package.nls.zh-cn.json'), 'utf8'));
  const used = [...manifest.matchAll(/"%([^"%]+)%"/g)].map((m) => m[1]).sort();
  assert.deepEqual(Object.keys(en).sort(), used);
  const problems = used.flatMap((k) => translationProblems(en[k], zh[k]).map((p) => `${k}: ${p}`));
  assert.deepEqual(problems, []);
  assert.deepEqual(Object.keys(zh).sort(), used);
});

test('the checks catch a missing, an untranslated or a damaged translation', () => {
  assert.deepEqual(translationProblems('the rule jumps to `web`', undefined), ['no translation']);
  assert.deepEqual(translationProblems('the rule jumps to `web`', 'the rule jumps to `web`'), ['not translated', '\\brules?\\b is not 规则']);
  assert.deepEqual(translationProblems('chain {0} has no rule', '链 {1} 没有规则'), ['placeholders {0} vs {1}']);
  assert.deepEqual(translationProblems('`-j DROP` in the nat table', '在 nat 表中使用 `-j 丢弃`'), ['code `-j DROP` changed']);
  assert.deepEqual(translationProblems('DROP is refused in PREROUTING', '预路由链中拒绝 DROP'), ['iptables word PREROUTING missing']);
  assert.deepEqual(translationProblems('no such chain', '没有这个链条'), []);
  assert.deepEqual(translationProblems('the target of a rule', '一条规则的靶子'), ['\\btargets?\\b is not 目标']);
});

/** Calls whose text is for a log or a bug report, not for the user: they stay English. */
const LOG_CALL = /^(console\.\w+|[\w.]*\b(output|console|log|logger)\.(info|warn|error|debug|trace|log|appendLine))$/;
/** Calls that write code (nft statements and tests), not words. */
const CODE_CALL = /(^|\.)(test|statement|declare|protocol|testText|comparison)$/;
/** nft code: every word an nft keyword (`ct original saddr`, `meta mark`). */
const nftCode = (s: string) => (s.match(/[a-z][a-z0-9-]*/gi) ?? []).every((w) => NFT_KEYWORDS.has(w) || ['secpath', 'and', 'or', 'xor'].includes(w));

/** Literals that read like words but are not messages, and why each stays as it is. */
const NOT_MESSAGES: [RegExp, string][] = [
  [/^(opener reply|fragment offset \{\}|-m statistic |ICMP id \{\} →)/, 'packet and rule notation, as --packet and iptables write it'],
  [/^no match$/, 'the kind of an assumption (data)'],
  [/^meta\.embedded\./, 'TextMate scope names'],
  [/ scope global .* valid_lft forever/, 'the `ip address` output of the shell model'],
  [/^(the document changed|semantic tokens|nft script|compare with live|service matrix|code lens|the analysis of version \{\} was stopped: the document changed)$/, 'log lines and LSP protocol errors'],
  [/^iptables language server$/, 'the language client\'s name'],
  [/^row row-\{\}/, 'CSS class names'],
  [/^img-src /, 'the panel\'s Content-Security-Policy'],
];

/**
 * String literals that read as English prose (two words or more outside code
 * spans) and reach no t(), l10n.t() or localized(): a message that would stay
 * English in Chinese. Not counted: imports, property names, comparisons and
 * switch labels, types, log lines, internal errors (`throw new Error`: a bug),
 * HTML markup, nft code, and the data of the knowledge base, CODES, HELP and
 * `*_DOCS` (their texts for people are collected by dataKeys and checked above).
 */
function englishLiterals(dirs: string[]): string[] {
  const found: string[] = [];
  const prose = (s: string) => /[A-Za-z]{2,}[,;:]? [a-z]{2,}/.test(s.replace(/`[^`]*`/g, ' ').replace(/ ?\{\} ?/g, ' ')) && !/<[/?]?[a-z][\w-]*[\s>]/.test(s)
    && !nftCode(s) && !NOT_MESSAGES.some(([re]) => re.test(s));
  for (const file of dirs.flatMap((d) => tsFiles(path.resolve(REPO, d)))) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const knowledge = file.includes(`${path.sep}knowledge${path.sep}`);
    /** `code`: inside a function, where a knowledge module builds messages rather than data. */
    const visit = (node: ts.Node, code = false): void => {
      if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node) || ts.isLiteralTypeNode(node)) return;
      if (ts.isCallExpression(node)) {
        const callee = node.expression.getText(source);
        if (callee === 't' || callee === 'l10n.t' || callee === 'localized') return node.arguments.slice(1).forEach((a) => visit(a, code));
        if (LOG_CALL.test(callee) || CODE_CALL.test(callee)) return;
      }
      if (ts.isThrowStatement(node) && node.expression && ts.isNewExpression(node.expression) && node.expression.expression.getText(source) === 'Error') return;
      // The knowledge base's data (its records and tables, and the texts for people that textsOf collects, TEXT_PROPERTIES).
      if (knowledge && ts.isPropertyAssignment(node) && TEXT_PROPERTIES.has(node.name.getText(source))) return;

      if (ts.isVariableDeclaration(node) && /^(CODES|HELP|\w+_DOCS|STANDARD_TARGETS)$/.test(node.name.getText(source))) return;
      let text: string | undefined;
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) text = node.text;
      else if (ts.isTemplateExpression(node)) text = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join('{}');
      const parent = node.parent;
      const key = parent && ((ts.isPropertyAssignment(parent) && parent.name === node) || ts.isElementAccessExpression(parent) || ts.isCaseClause(parent)
        || (ts.isBinaryExpression(parent) && /^[!=]==?$/.test(parent.operatorToken.getText(source))));
      // In the knowledge base, outside functions, and what a helper only returns (`rateSpec`), is data.
      const data = knowledge && (!code || (parent !== undefined && ts.isArrowFunction(parent)));
      if (text !== undefined && !key && !data && prose(text)) {
        found.push(`${path.relative(REPO, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.getText(source).slice(0, 100)}`);
      }
      ts.forEachChild(node, (child) => visit(child, code || ts.isFunctionLike(node)));
    };
    visit(source);
  }
  return found;
}

test('the search for English literals finds a message that skips t(), and only that', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'l10n-'));
  try {
    writeFileSync(path.join(dir, 'cli.ts'), [
      "if (bad) throw new UsageError(`${word} does not go with --matrix`);",
      "process.stderr.write(t('{0} does not go with --test', word));",
      "console.error(`analysis of ${uri} failed`);",
      "if (broken) throw new Error('an accepted piece is not a leaf');",
      "w.test('ct original saddr');",
    ].join('\n'));
    assert.deepEqual(englishLiterals([dir]).map((f) => f.replace(/^.*cli\.ts:/, '')), ['1: `${word} does not go with --matrix`']);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('no English message reaches a user without the catalogue: every prose literal of the server, the CLIs, the extension and the panel goes through t() or l10n.t()', () => {
  const found = englishLiterals(['server/src', 'client/src', 'client/webview']);
  assert.deepEqual(found, [], `${found.length} English literals (give them to t() / l10n.t() with their Chinese):\n${found.join('\n')}`);
});
