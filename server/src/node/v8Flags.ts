// The V8 flags the language server and the CLIs run with, in one place: the
// extension passes them to the server, the build writes them into each
// executable's `#!` line, and the benchmarks measure with them.
// - A 64 MB young generation: the model of a large ruleset survives, and a
//   small one copies it again and again (half the analysis time on 8k rules).
// - The old generation grows by at most 2x its live size between full
//   collections: V8 otherwise lets it reach 4x, and a 700k-rule file peaked
//   at 1.7 GB of which half was garbage.
import flags from './v8Flags.json';

export const V8_FLAGS: readonly string[] = flags;
