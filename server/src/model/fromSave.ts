// The ruleset an iptables-save file loads into (iptables-restore without --noflush).
import type { Diagnostic } from '../diagnostics';
import type { Family } from '../knowledge';
import type { SaveFile, SaveFileVisitor } from '../syntax/saveFile';
import { BuildOptions, RulesetBuilder } from './build';
import type { Ruleset, Table } from './ruleset';

export function rulesetFromSave(file: SaveFile, options: BuildOptions, diagnostics: Diagnostic[]): Ruleset {
  const builder = new RulesetBuilder(file.family, options, diagnostics);
  for (const block of file.blocks) {
    const table = builder.beginTable(block.name);
    if (table) builder.loadBlock(table, block);
  }
  return builder.finish();
}

/**
 * The same, built while the file is read (give `visit` to parseSaveFile): each
 * command is applied while its words are at hand, not in a second pass over
 * a file that may have 160k of them.
 */
export function rulesetBuilder(family: Family, options: BuildOptions, diagnostics: Diagnostic[]): { visit: SaveFileVisitor; finish(): Ruleset } {
  const builder = new RulesetBuilder(family, options, diagnostics);
  let table: Table | undefined;
  return {
    visit: {
      block: (block) => { table = builder.beginTable(block.name); },
      statement: (statement, command) => (table ? builder.statement(table, statement, command) : 0),
    },
    finish: () => builder.finish(),
  };
}
