// Long work in steps: a generator that yields between them. The command line
// runs the steps to their end at once; the language server runs a few at a
// time and answers requests in between (lsp/timeSlices.ts).

export type Steps<T> = Generator<void, T, void>;

export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}
