// The trace panel in the real VS Code: its webview frame, and the same
// scenario through the iptables-trace CLI for comparison.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { REPO } from '../../support/shared';

/** The panel's page: webviews are two nested iframes (see the real-VS-Code notes, section d). */
export function traceFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

export interface CliTrace {
  /** The `Verdict:` line's text. */
  verdict: string;
  hits: string[];
  /** The hooks in the order the text output lists them. */
  hooks: string[];
}

/** `iptables-trace RULES --scenario FILE`, as a user would run it. */
export function cliTrace(rules: string, scenario: string): CliTrace {
  // A walk through thousands of rules prints megabytes.
  const run = (format: string) => spawnSync(process.execPath, [path.join(REPO, 'server', 'out', 'trace.js'), rules, '--scenario', scenario, '--format', format], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const text = run('text');
  if (text.status !== 0) throw new Error(`iptables-trace failed: ${text.stderr}`);
  const json = JSON.parse(run('json').stdout) as { hits: string[] };
  const lines = text.stdout.split('\n');
  return {
    verdict: lines.find((l) => l.startsWith('Verdict: '))!.slice('Verdict: '.length),
    hits: json.hits,
    hooks: lines.filter((l) => /^(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING)$/.test(l)),
  };
}
