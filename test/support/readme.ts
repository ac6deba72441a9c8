// The README's fenced code blocks, for tests that check what it shows is true.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { REPO } from './shared';

const README = readFileSync(path.join(REPO, 'README.md'), 'utf8');

/** The text of the README section under `## heading`. */
export function section(heading: string): string {
  const start = README.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `README.md has no section "## ${heading}"`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

/** The fenced blocks of the README section under `## heading`, each as its lines. */
export function blocks(heading: string): string[][] {
  return [...section(heading).matchAll(/^```[^\n]*\n([\s\S]*?)^```$/gm)].map((m) => m[1].replace(/\n$/, '').split('\n'));
}

/** The one block of a section whose text contains `marker`. */
export function blockWith(heading: string, marker: string): string {
  const found = blocks(heading).map((b) => b.join('\n')).filter((b) => b.includes(marker));
  assert.equal(found.length, 1, `README "## ${heading}": expected one block with ${marker}`);
  return found[0];
}
