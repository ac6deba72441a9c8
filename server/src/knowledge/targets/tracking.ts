import type { ExtensionSpec } from '../schema';

const CT_EVENTS = [
  'new', 'related', 'destroy', 'reply', 'assured', 'protoinfo', 'helper', 'mark', 'natseqinfo', 'secmark',
];

export const TRACKING_TARGETS: readonly ExtensionSpec[] = [
  {
    name: 'CT',
    starts: { what: 'conntrack', unless: 'notrack' },
    kind: 'target',
    complete: true,
    tables: ['raw'],
    terminating: false,
    changes: ['conntrack'],
    doc: 'Sets up how connection tracking treats the packet\'s connection before it is tracked: exempt it (`--notrack`), attach a helper or timeout policy, or place it in a zone.',
    options: [
      { name: 'notrack',
        doc: 'Do not track this packet at all; it shows up as `UNTRACKED` in the state match. The other options are then ignored.' },
      { name: 'helper', value: { kind: 'string', maxLength: 15 },
        doc: 'Attach this conntrack helper to the new connection, such as `ftp` or `tftp`. The rule needs `-p` with the helper\'s protocol, and the helper must exist in the kernel.' },
      { name: 'timeout', value: { kind: 'string', maxLength: 31 },
        doc: 'Use a timeout policy defined beforehand with `nfct timeout add NAME ...`.' },
      { name: 'ctevents', value: { kind: 'enumList', values: CT_EVENTS }, save: { form: 'sorted' },
        doc: 'Only report these connection events to listeners such as `conntrack -E`: `new,destroy` for example (lower case).' },
      { name: 'expevents', value: { kind: 'enumList', values: ['new'] },
        doc: 'Only report these expectation events; `new` is the only one.' },
      { name: 'zone', value: { kind: 'uint', max: 65535, words: ['mark'] },
        doc: 'Conntrack zone 0-65535 for both directions, or `mark` to take it from the packet mark; zones keep overlapping address spaces apart.' },
      { name: 'zone-orig', value: { kind: 'uint', max: 65535, words: ['mark'] },
        doc: 'Conntrack zone (0-65535 or `mark`) for the original direction only.' },
      { name: 'zone-reply', value: { kind: 'uint', max: 65535, words: ['mark'] },
        doc: 'Conntrack zone (0-65535 or `mark`) for the reply direction only.' },
    ],
  },
  {
    name: 'NOTRACK',
    kind: 'target',
    complete: true,
    tables: ['raw'],
    terminating: false,
    changes: ['conntrack'],
    deprecated: 'NOTRACK is an old alias; write `-j CT --notrack`.',
    doc: 'Exempts the packet from connection tracking, exactly like `-j CT --notrack`.',
    options: [],
  },
  {
    name: 'TRACE',
    kind: 'target',
    complete: true,
    tables: ['raw'],
    terminating: false,
    changes: [],
    doc: 'Logs every rule the packet hits in every table from here on, for debugging a ruleset. Read the trace with `xtables-monitor --trace` (nft-based iptables) or in the kernel log (legacy).',
    options: [],
  },
];
