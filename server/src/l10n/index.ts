// Every message a user reads from the language core, the server and the CLIs goes
// through here. The English text in the code is the key, as in VS Code's l10n bundles;
// a catalogue per language maps it to the translation, with the same {0}, {1} slots.
// The adapters pick the language: the server from the editor's, the CLIs from LANG,
// the trace panel from VS Code's.
import zhCn from './zh-cn.json';

type Catalogue = Readonly<Record<string, string>>;

/** Languages with a catalogue, by the tag VS Code uses. */
export const CATALOGUES: Readonly<Record<string, Catalogue>> = { 'zh-cn': zhCn };

let current: Catalogue | undefined;

/**
 * The catalogue's tag for a VS Code locale (`zh-cn`) or a POSIX one (`zh_CN.UTF-8`);
 * undefined for English and for languages we have no catalogue for.
 */
export function catalogueTag(locale: string | undefined): string | undefined {
  const tag = (locale ?? '').toLowerCase().replace(/[.@].*$/, '').replace(/_/g, '-');
  // Simplified Chinese: mainland, Singapore, or the script named.
  if (/^zh(-(cn|sg|hans(-.*)?))?$/.test(tag)) return 'zh-cn';
  return undefined;
}

/** The language of every message from now on (English when there is no catalogue for it). */
export function setLocale(locale: string | undefined): void {
  const tag = catalogueTag(locale);
  current = tag ? CATALOGUES[tag] : undefined;
}

/** The locale of a process's environment, as gettext reads it: LC_ALL, then LC_MESSAGES, then LANG. */
export function environmentLocale(env: Readonly<Record<string, string | undefined>>): string | undefined {
  return env.LC_ALL || env.LC_MESSAGES || env.LANG || undefined;
}

/**
 * A message in the current language: `message` is English, written as a literal
 * (a test collects every one and checks each catalogue has it), with `{0}`... for `args`.
 */
export function t(message: string, ...args: unknown[]): string {
  return fill(current?.[message] ?? message, args);
}

/** A number of rules: English has two forms, Chinese one. */
/** A large number as the messages write it: 100,000. */
export function grouped(n: number): string {
  return n.toLocaleString('en-US');
}

export function ruleCount(n: number): string {
  return n === 1 ? t('1 rule') : t('{0} rules', n);
}

/** Alternatives in a sentence: `a or b or c`. */
export function orList(items: readonly string[]): string {
  return items.join(t(' or '));
}

/**
 * Text that is data rather than code (a module's description in the knowledge base,
 * a diagnostic code's help), in the current language. The test finds these through
 * the data, not through the calls.
 */
export function localized(text: string): string {
  return current?.[text] ?? text;
}

function fill(template: string, args: readonly unknown[]): string {
  return args.length === 0 ? template : template.replace(/\{(\d+)\}/g, (slot, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : slot));
}
