// iptables-lint: the extension's checks on the command line, for terminals and CI.
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { DEFAULT_OPTIONS } from '../analysis/analyse';
import { analyseDocument, documentKind } from '../analysis/document';
import { escapeControls } from '../display';
import type { Family } from '../knowledge';
import type { Ruleset } from '../model/ruleset';
import { rulesetText } from '../model/saveText';
import { nftScript } from '../nft/script';
import { environmentLocale, setLocale, t } from '../l10n';
import { nodeBashParser } from '../node/bashWasm';
import { version } from '../../../package.json';
import { Arguments, UsageError } from './arguments';
import { print, printError, runCommandLine, terminalText } from './input';
import { Finding, ReadFailure, sarifLog } from './sarif';

const usage = () => t(`usage: iptables-lint [--format text|json|sarif] [--family 4|6] [--external CHAIN]... [--print-ruleset | --to-nft] [--max-size MB] FILE... | -

Checks iptables-save / iptables-restore files the way iptables-restore would
load them, and shell scripts that run iptables the way their commands would
run, and prints one line per problem:
  file:line:column: severity: message [code]

  --format json      print a JSON array of {file, line, column, endLine, endColumn,
                     severity, code, message} (1-based positions)
  --format sarif     print a SARIF 2.1.0 log, for GitHub code scanning and other
                     review tools (paths relative to the current directory)
  --family 4|6       IPv4 or IPv6 (default: from the header comment, file name or content)
  --external CHAIN   a chain created elsewhere (wildcard *); jumps to it are not errors
                     (repeatable; adds to the defaults for Docker, kube-proxy, ufw, fail2ban)
  --print-ruleset    instead of problems, print the ruleset each file loads or builds,
                     in iptables-save format (a "# ip6tables" line before the IPv6 part);
                     errors still go to standard error
  --to-nft           instead of problems, print the ruleset as an nft script (nft -f),
                     one table per iptables table and family; rules nft has no
                     equivalent for are comments saying why; errors go to standard error
  --max-size MB      refuse a file larger than MB megabytes (default: no limit)
  -                  read standard input

Exit status: 0 no errors, 1 errors found, 2 usage or read error.`);

function parseArgs(argv: string[]) {
  let format: 'text' | 'json' | 'sarif' = 'text';
  let printRuleset = false;
  let toNft = false;
  let family: Family | undefined;
  let maxBytes = Infinity;
  const external = [...DEFAULT_OPTIONS.externalChains];
  const files: string[] = [];
  const words = new Arguments(argv);
  for (let a = words.next(); a !== undefined; a = words.next()) {
    if (a === '--help' || a === '-h') { print(usage() + '\n'); process.exit(0); }
    else if (a === '--format') {
      const f = words.value();
      if (f !== 'text' && f !== 'json' && f !== 'sarif') throw new UsageError(t('unknown format `{0}` (text, json or sarif)', f));
      format = f;
    } else if (a === '--family') family = words.family();
    else if (a === '--max-size') {
      const mb = words.value();
      if (!/^\d+(\.\d+)?$/.test(mb) || Number(mb) <= 0) throw new UsageError(t('--max-size takes a number of megabytes, not `{0}`', mb));
      maxBytes = Number(mb) * 1048576;
    } else if (a === '--external') external.push(words.value());
    else if (a === '--print-ruleset') printRuleset = true;
    else if (a === '--to-nft') toNft = true;
    else if (a.startsWith('-') && a !== '-') throw new UsageError(t('unknown option {0}', a));
    else files.push(a);
  }
  if (files.length === 0) throw new UsageError(t('no file given'));
  if (printRuleset && toNft) throw new UsageError(t('--print-ruleset and --to-nft exclude each other'));
  return { format, family, external, files, printRuleset, toNft, maxBytes };
}

/** Reads a file or stdin; refuses what is not text, or larger than `maxBytes`, before decoding it all. */
function readInput(file: string, maxBytes: number): string {
  const tooLarge = (size: number) => new Error(t('{0} MB is larger than --max-size {1}: not analysed', (size / 1048576).toFixed(1), maxBytes / 1048576));
  if (file !== '-' && statSync(file).size > maxBytes) throw tooLarge(statSync(file).size);
  const bytes = readFileSync(file === '-' ? 0 : file);
  if (bytes.length > maxBytes) throw tooLarge(bytes.length);
  if (bytes.subarray(0, 65536).includes(0)) throw new Error(t('this is a binary file, not iptables-save text'));
  return new TextDecoder('utf-8').decode(bytes);
}

/** One finding, one line: the file's name and the message escaped (the message is already cut). */
function findingLine(f: Finding): string {
  return `${escapeControls(f.file)}:${f.line}:${f.column}: ${f.severity}: ${escapeControls(f.message)} [${f.code}]\n`;
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    printError(`iptables-lint: ${(e as Error).message}\n\n${usage()}\n`);
    return 2;
  }
  const findings: Finding[] = [];
  const failures: ReadFailure[] = [];
  for (const file of args.files) {
    const name = file === '-' ? '<stdin>' : file;
    let text: string;
    try {
      text = readInput(file, args.maxBytes);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = err.code === 'ENOENT' ? t('no such file') : err.code === 'EISDIR' ? t('is a directory') : err.code === 'EACCES' ? t('permission denied') : err.message;
      printError(`${escapeControls(name)}: error: ${escapeControls(why)}\n`);
      failures.push({ file: name, message: why });
      continue;
    }
    const fileName = file === '-' ? undefined : file;
    const kind = documentKind(text, fileName) ?? 'script';
    const analysis = await analyseDocument(text, kind, { ...DEFAULT_OPTIONS, externalChains: args.external, family: args.family, fileName }, nodeBashParser);
    const { diagnostics } = analysis;
    if (args.printRuleset) {
      const v4 = analysis.rulesets.ipv4;
      const v6 = analysis.rulesets.ipv6;
      // A comment's control characters are escaped: iptables-save would print them raw, to the terminal.
      if (v4?.tables.size) print(terminalText(rulesetText(v4)));
      if (v6?.tables.size) print(terminalText(`# ip6tables\n${rulesetText(v6)}`));
    }
    if (args.toNft) {
      const rulesets = [analysis.rulesets.ipv4, analysis.rulesets.ipv6].filter((r): r is Ruleset => !!r?.tables.size);
      print(terminalText(nftScript(rulesets, { source: fileName ? basename(fileName) : undefined, text }).text));
    }
    for (const d of diagnostics) {
      findings.push({
        file: name, line: d.span.line + 1, column: d.span.start + 1, endLine: d.span.line + 1, endColumn: d.span.end + 1,
        severity: d.severity, code: d.code, message: d.message,
      });
    }
  }
  if (args.printRuleset || args.toNft) {
    for (const f of findings.filter((x) => x.severity === 'error')) printError(findingLine(f));
  } else if (args.format === 'sarif') {
    print(JSON.stringify(sarifLog(findings, failures, version, process.cwd()), null, 2) + '\n');
  } else if (args.format === 'json') {
    print(JSON.stringify(findings, null, 2) + '\n');
  } else {
    for (const f of findings) print(findingLine(f));
  }
  if (failures.length) return 2;
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}

setLocale(environmentLocale(process.env));
runCommandLine('iptables-lint', () => main(process.argv.slice(2)));
