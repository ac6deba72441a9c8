// iptables-lint's findings as a SARIF 2.1.0 log, the format GitHub code scanning
// and other review tools read: one rule per diagnostic code, one result per finding.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HELP } from '../diagnosticHelp';
import { CODES, DiagnosticCode, Severity } from '../diagnostics';
import { localized } from '../l10n';

export interface Finding {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  code: DiagnosticCode;
  message: string;
}

/** A file that could not be read: a notification of the run, not a result. */
export interface ReadFailure {
  file: string;
  message: string;
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/**
 * Files under the working directory are given relative to it (`%SRCROOT%`), so a
 * CI run's results point into the repository whatever folder it was checked out in.
 */
function artifactLocation(file: string, cwd: string): { uri: string; uriBaseId?: string } {
  if (file === '<stdin>') return { uri: 'stdin' };
  const abs = resolve(cwd, file);
  const rel = relative(cwd, abs);
  if (rel && !rel.startsWith('..') && !isAbsolute(rel)) {
    return { uri: rel.split(sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
  }
  return { uri: pathToFileURL(abs).href };
}

export function sarifLog(findings: readonly Finding[], failures: readonly ReadFailure[], version: string, cwd: string): object {
  const codes = Object.keys(CODES) as DiagnosticCode[];
  const rules = codes.map((id) => ({
    id,
    shortDescription: { text: localized(CODES[id]) },
    fullDescription: { text: localized(CODES[id]) },
    help: { text: localized(HELP[id]), markdown: localized(HELP[id]) },
    properties: { tags: ['iptables'] },
  }));
  const results = findings.map((f) => ({
    ruleId: f.code,
    ruleIndex: codes.indexOf(f.code),
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [{
      physicalLocation: {
        artifactLocation: artifactLocation(f.file, cwd),
        region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn },
      },
    }],
  }));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'iptables-lint', semanticVersion: version, version, rules } },
      originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(cwd.endsWith(sep) ? cwd : cwd + sep).href } },
      // Our columns are those of LSP and VS Code: UTF-16 code units.
      columnKind: 'utf16CodeUnits',
      results,
      invocations: [{
        executionSuccessful: failures.length === 0,
        toolExecutionNotifications: failures.map((r) => ({
          level: 'error',
          message: { text: r.message },
          locations: [{ physicalLocation: { artifactLocation: artifactLocation(r.file, cwd) } }],
        })),
      }],
    }],
  };
}
