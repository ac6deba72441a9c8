// Reading a command line: the words one at a time, an option's value from the
// word after it, and the options every command takes alike.
import type { Family } from '../knowledge';
import { t } from '../l10n';

/** A command line the command cannot run with: said with the usage, exit status 2. */
export class UsageError extends Error {}

export class Arguments {
  private at = -1;

  constructor(private readonly words: readonly string[]) {}

  /** The next word; undefined after the last. */
  next(): string | undefined {
    return this.words[++this.at];
  }

  /** The word after the option just read, which it takes as its value. */
  value(): string {
    if (this.at + 1 >= this.words.length) throw new UsageError(t('{0} needs a value', this.words[this.at]));
    return this.words[++this.at];
  }

  /** `--family 4` or `--family 6`. */
  family(): Family {
    const f = this.value();
    if (f !== '4' && f !== '6') throw new UsageError(t('--family takes 4 or 6, not `{0}`', f));
    return f === '4' ? 'ipv4' : 'ipv6';
  }
}
