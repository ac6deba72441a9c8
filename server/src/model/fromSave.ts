// The ruleset an iptables-save file loads into (iptables-restore without --noflush).
import type { Diagnostic } from '../diagnostics';
import type { SaveFile } from '../syntax/saveFile';
import { BuildOptions, RulesetBuilder } from './build';
import type { Ruleset } from './ruleset';

export function rulesetFromSave(file: SaveFile, options: BuildOptions, diagnostics: Diagnostic[]): Ruleset {
  const builder = new RulesetBuilder(file.family, options, diagnostics);
  for (const block of file.blocks) {
    const table = builder.beginTable(block.name);
    if (table) builder.loadBlock(table, block);
  }
  return builder.finish();
}
