// Access to ../shared (the corpus, kernel cases): read in place, never copied.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..');
/** ../shared beside the repository; from a git worktree in a folder of worktrees, one level further up. */
export const SHARED = [path.resolve(REPO, '..', 'shared'), path.resolve(REPO, '..', '..', 'shared')].find((p) => existsSync(p)) ?? path.resolve(REPO, '..', 'shared');
export const CORPUS = path.join(SHARED, 'corpus');

/** A reason to skip, or undefined when the corpus is here. */
export function corpusMissing(): string | undefined {
  return existsSync(path.join(CORPUS, 'save')) ? undefined : `../shared/corpus is not present beside the repository (${CORPUS})`;
}

export interface CorpusFile {
  /** Relative to the corpus, e.g. `save/nn-veroneau.rules`. */
  name: string;
  path: string;
}

export function corpusSaveFiles(): CorpusFile[] {
  if (corpusMissing()) return [];
  return ['save', 'save6'].flatMap((dir) =>
    readdirSync(path.join(CORPUS, dir)).sort().map((f) => ({ name: `${dir}/${f}`, path: path.join(CORPUS, dir, f) })),
  );
}

/** The corpus files iptables-restore loads, as recorded beside the corpus (save/..., save6/...). */
export function loadingCorpusFiles(): string[] {
  return readFileSync(path.join(CORPUS, 'restore-verdicts.tsv'), 'utf8').split('\n').slice(1)
    .map((row) => row.split('\t')).filter((f) => f[1] === 'yes').map((f) => f[0]);
}
