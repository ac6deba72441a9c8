// The ruleset an iptables-save file loads into (iptables-restore without --noflush).
import type { Diagnostic } from '../diagnostics';
import type { SaveFile } from '../syntax/saveFile';
import type { Token } from '../syntax/token';
import { BuildOptions, RulesetBuilder } from './build';
import type { Ruleset } from './ruleset';

export function rulesetFromSave(file: SaveFile, options: BuildOptions, diagnostics: Diagnostic[]): Ruleset {
  const builder = new RulesetBuilder(file.family, options, diagnostics);
  for (const block of file.blocks) {
    const table = builder.beginTable(block.name);
    if (!table) continue;
    const declared = new Map<string, Token>();
    for (const s of block.statements) {
      if (s.kind === 'chain') declared.set(s.name.text, s.name);
      else if (s.command.kind === 'newChain' && s.command.chain) declared.set(s.command.chain.text, s.command.chain);
    }
    builder.declareAhead(declared);
    for (const s of block.statements) {
      if (s.kind === 'chain') builder.declareChain(table, s.name, s.policy);
      else builder.apply(table, s.command, s.counters);
    }
  }
  return builder.finish();
}
