// How much work the evaluator may do for one script. A script can ask for
// anything: a loop that never ends, a value that doubles forty times, a
// function that calls itself, a brace range of a hundred million words. These
// bounds keep its analysis within a second and a few hundred MB. Where one is
// reached, evaluation stops there with one note saying which: what ran before
// is checked, what comes after is not judged. The steps and the sizes grow with
// the script's own text, so a generated script of any length (a command per
// line) is followed to its end, while the work a script can ask for beyond
// what its length pays for stays bounded.
import type { Span } from '../diagnostics';
import { grouped, t } from '../l10n';

export interface Limits {
  /** Statements run, plus the copying and matching charged to them. */
  steps: number;
  /**
   * Steps for each character of the script, where that is more than `steps`:
   * an iptables command costs about 21 and is written in more than 10.
   */
  stepsPerCharacter: number;
  /** Statements, calls, substitutions and expansions inside each other. */
  depth: number;
  /** Characters of all the values the script holds at once (variables, files), or twice the script's where that is more. */
  totalSize: number;
  /** Characters of one value (a variable, a word, a command's output, a file), or the script's where that is more. */
  valueLength: number;
  /** Words of one brace expansion, numbers of one `seq`. */
  rangeItems: number;
  /** `eval` and `source` inside each other. */
  evalNesting: number;
}

export const DEFAULT_LIMITS: Limits = {
  steps: 100_000,
  stepsPerCharacter: 2,
  depth: 200,
  totalSize: 1 << 25,
  valueLength: 1 << 24,
  rangeItems: 100_000,
  evalNesting: 50,
};

/** Characters scanned, copied or matched that cost as much as one statement. */
const CHARACTERS_PER_STEP = 1024;

/** Thrown where a limit is reached; `what` says which, for the user. */
export class TooMuchWork {
  /** The innermost statement it went through: where the note goes. */
  span?: Span;
  constructor(readonly what: string) {}
}

/** Work that pure helpers (patterns, text utilities) report as they go. */
export interface Meter {
  /** Work proportional to text: scanning, copying or matching `n` characters. */
  scan(n: number): void;
  range(items: number, what: string): void;
  /** A value of `length` characters is about to be built: refused, before it is, when longer than one value may be. */
  value(length: number): void;
}

export class Budget implements Meter {
  private steps = 0;
  private characters = 0;
  private depth = 0;
  private evalDepth = 0;
  private storedSinceCount = 0;
  private readonly allowed: number;
  private readonly valueLength: number;
  private readonly totalSize: number;

  /**
   * @param liveSize the characters of every value the script holds now: counted
   *   again only after many have been stored, so the count stays cheap.
   * @param scriptLength the characters of the script's own text.
   */
  constructor(private readonly limits: Limits, private readonly liveSize: () => number, scriptLength: number) {
    this.allowed = Math.max(limits.steps, limits.stepsPerCharacter * scriptLength);
    // A heredoc as long as the script is a value as long as the script (a generated restore input),
    // which it may also write to a file and read back.
    this.valueLength = Math.max(limits.valueLength, scriptLength);
    this.totalSize = Math.max(limits.totalSize, 2 * scriptLength);
  }

  step(n = 1): void {
    this.steps += n;
    if (this.steps > this.allowed) throw new TooMuchWork(t('more than {0} steps', grouped(this.allowed)));
  }

  scan(n: number): void {
    this.characters += n;
    if (this.characters >= CHARACTERS_PER_STEP) {
      const whole = Math.floor(this.characters / CHARACTERS_PER_STEP);
      this.characters -= whole * CHARACTERS_PER_STEP;
      this.step(whole);
    }
  }

  /** Runs `body` one level deeper. */
  nested<T>(body: () => T): T {
    if (++this.depth > this.limits.depth) {
      this.depth--;
      throw new TooMuchWork(t('calls, substitutions and blocks nested more than {0} deep', grouped(this.limits.depth)));
    }
    try {
      return body();
    } finally {
      this.depth--;
    }
  }

  /** Runs code from `eval` or `source`. */
  evaluating<T>(body: () => T): T {
    if (++this.evalDepth > this.limits.evalNesting) {
      this.evalDepth--;
      throw new TooMuchWork(t('eval and source nested more than {0} deep', grouped(this.limits.evalNesting)));
    }
    try {
      return body();
    } finally {
      this.evalDepth--;
    }
  }

  range(items: number, what: string): void {
    if (items > this.limits.rangeItems) throw new TooMuchWork(t('{0} of {1} words, more than {2}', what, grouped(items), grouped(this.limits.rangeItems)));
    this.step(Math.ceil(items / 16));
  }

  value(length: number): void {
    if (length <= this.valueLength) return;
    throw new TooMuchWork(this.valueLength > this.limits.valueLength
      ? t('a value of more than {0} characters, the length of the script', grouped(this.valueLength))
      : t('a value of more than {0} characters', grouped(this.valueLength)));
  }

  /** `n` characters were stored in a variable or file. */
  stored(n: number): void {
    this.storedSinceCount += n;
    if (this.storedSinceCount < this.totalSize / 8) return;
    this.storedSinceCount = 0;
    const size = this.liveSize();
    if (size > this.totalSize) throw new TooMuchWork(t('values of more than {0} characters in all', grouped(this.totalSize)));
  }
}
