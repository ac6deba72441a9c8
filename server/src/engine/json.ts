// Reading the scenario JSON (host, packet, state) with messages that name the
// field and say what is expected, for the CLI and the trace panel alike.
import { formatAddress, parseIPv4, parseIPv6 } from '../knowledge/addresses';
import type { Family } from '../knowledge';

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
    if (!isObject(v)) throw new ScenarioError(path, `expected an object, got ${describe(v)}`);
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
    if (typeof v !== 'string') this.fail(key, `expected a string, got ${describe(v)}`);
    return v;
  }

  int(key: string, min: number, max: number): number | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      this.fail(key, `expected a whole number from ${min} to ${max}, got ${describe(v)}`);
    }
    return n;
  }

  number(key: string, min: number, max: number): number | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !(v >= min && v <= max)) this.fail(key, `expected a number from ${min} to ${max}, got ${describe(v)}`);
    return v;
  }

  boolean(key: string): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') this.fail(key, `expected true or false, got ${describe(v)}`);
    return v;
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    const hit = values.find((x) => x.toLowerCase() === v.toLowerCase());
    if (!hit) this.fail(key, `expected one of ${values.join(', ')}, got "${v}"`);
    return hit;
  }

  array(key: string): unknown[] | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) this.fail(key, `expected a list, got ${describe(v)}`);
    return v;
  }

  /** Refuses keys the format does not know: a typo must not be silently ignored. */
  only(keys: readonly string[]): void {
    for (const k of Object.keys(this.obj)) {
      if (!keys.includes(k)) {
        const near = keys.find((x) => x.toLowerCase() === k.toLowerCase());
        throw new ScenarioError(this.at(k), `unknown field${near ? ` (did you mean "${near}"?)` : `; known fields: ${keys.join(', ')}`}`);
      }
    }
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `"${v}"`;
  if (typeof v === 'object') return 'an object';
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
  if (!a) throw new ScenarioError(path, `"${text}" is not an IPv4 or IPv6 address`);
  if (family && a.family !== family) {
    throw new ScenarioError(path, `"${text}" is an ${a.family === 'ipv4' ? 'IPv4' : 'IPv6'} address, but the packet is ${family === 'ipv4' ? 'IPv4' : 'IPv6'}`);
  }
  return a;
}

export function showAddress(address: bigint, family: Family): string {
  return formatAddress(address, family);
}

export function readMac(path: string, text: string): string {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text)) throw new ScenarioError(path, `"${text}" is not a MAC address such as 02:00:00:00:00:01`);
  return text.toLowerCase();
}
