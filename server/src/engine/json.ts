// Reading the scenario JSON (host, packet, state) with messages that name the
// field and say what is expected, for the CLI and the trace panel alike.
import { formatAddress, parseIPv4, parseIPv6 } from '../knowledge/addresses';
import type { Family } from '../knowledge';
import { t } from '../l10n';

/** Bad scenario input: `path` names the field (`packet.source`). */
export class ScenarioError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
  }
}

export type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A reader for one JSON object: every getter names `path.key` in its error. */
export class Fields {
  constructor(readonly path: string, readonly obj: JsonObject) {}

  static of(path: string, v: unknown): Fields {
    if (!isObject(v)) throw new ScenarioError(path, t('expected an object, got {0}', describe(v)));
    return new Fields(path, v);
  }

  at(key: string): string {
    return `${this.path}.${key}`;
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  fail(key: string, message: string): never {
    throw new ScenarioError(this.at(key), message);
  }

  string(key: string): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.fail(key, t('expected a string, got {0}', describe(v)));
    return v;
  }

  int(key: string, min: number, max: number): number | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      this.fail(key, t('expected a whole number from {0} to {1}, got {2}', min, max, describe(v)));
    }
    return n;
  }

  number(key: string, min: number, max: number): number | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !(v >= min && v <= max)) this.fail(key, t('expected a number from {0} to {1}, got {2}', min, max, describe(v)));
    return v;
  }

  boolean(key: string): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') this.fail(key, t('expected true or false, got {0}', describe(v)));
    return v;
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    const hit = values.find((x) => x.toLowerCase() === v.toLowerCase());
    if (!hit) this.fail(key, t('expected one of {0}, got "{1}"', values.join(', '), v));
    return hit;
  }

  array(key: string): unknown[] | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) this.fail(key, t('expected a list, got {0}', describe(v)));
    return v;
  }

  /** Refuses keys the format does not know: a typo must not be silently ignored. */
  only(keys: readonly string[]): void {
    for (const k of Object.keys(this.obj)) {
      if (!keys.includes(k)) {
        const near = keys.find((x) => x.toLowerCase() === k.toLowerCase());
        throw new ScenarioError(this.at(k), t('unknown field{0}', near ? t(' (did you mean "{0}"?)', near) : t('; known fields: {0}', keys.join(', '))));
      }
    }
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `"${v}"`;
  if (typeof v === 'object') return t('an object');
  return String(v);
}

const V4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** A numeric address as written in scenarios (dotted quad or IPv6), with its family. */
export function parseHostAddress(text: string): { family: Family; address: bigint } | undefined {
  if (V4.test(text)) {
    const a = parseIPv4(text);
    return a === undefined ? undefined : { family: 'ipv4', address: a };
  }
  const a = text.includes(':') ? parseIPv6(text) : undefined;
  return a === undefined ? undefined : { family: 'ipv6', address: a };
}

export function readAddress(path: string, text: string, family?: Family): { family: Family; address: bigint } {
  const a = parseHostAddress(text);
  if (!a) throw new ScenarioError(path, t('"{0}" is not an IPv4 or IPv6 address', text));
  if (family && a.family !== family) {
    throw new ScenarioError(path, t('"{0}" is an {1} address, but the packet is {2}', text, a.family === 'ipv4' ? 'IPv4' : 'IPv6', family === 'ipv4' ? 'IPv4' : 'IPv6'));
  }
  return a;
}

export function showAddress(address: bigint, family: Family): string {
  return formatAddress(address, family);
}

export function readMac(path: string, text: string): string {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text)) throw new ScenarioError(path, t('"{0}" is not a MAC address such as 02:00:00:00:00:01', text));
  return text.toLowerCase();
}
