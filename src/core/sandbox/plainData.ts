/**
 * Turns the arguments of a guest's host call into JSON text inside the sandbox, so that what
 * crosses to the host is measured as it is produced and nothing else crosses.
 *
 * Structured clone (what postMessage used) copies Maps, Sets, Errors, typed arrays and the
 * values getters return at copy time, so a size check made beforehand could be lied to or
 * simply not see the bytes. This walker reads own data properties through their descriptors
 * (no getter is ever called), refuses anything that is not plain data (strings, finite
 * numbers, booleans, null, plain arrays and plain objects) with a message naming it, counts
 * the UTF-8 bytes of the JSON it writes, and stops at the cap: it never builds more text than
 * the cap allows.
 *
 * Runs in the sandbox process on the guest's behalf, after lockdown: every built-in it calls
 * is frozen, and none of them runs guest code (proxies are refused before a trap could run).
 */
import { types } from 'node:util';

export const MAX_DEPTH = 64;

export type Encoded =
  | { ok: true; json: string; bytes: number; undefinedAt: number[] }
  | { ok: false; message: string; tooBig: boolean };

class Refusal extends Error {
  constructor(
    message: string,
    readonly tooBig: boolean,
  ) {
    super(message);
  }
}

const { getOwnPropertyDescriptor, ownKeys, getPrototypeOf } = Reflect;
const { isArray } = Array;
const { isFinite } = Number;
const stringify = JSON.stringify;
const byteLength = Buffer.byteLength;
const objectPrototype = Object.prototype;
const arrayPrototype = Array.prototype;
// The typed-array brand's own getter: names a typed array without looking anything up on it.
const typedArrayTag = getOwnPropertyDescriptor(getPrototypeOf(Uint8Array.prototype) as object, Symbol.toStringTag)!.get!;

const PLAIN = 'only plain data can: strings, finite numbers, booleans, null, arrays and plain objects';

/**
 * Encodes `args` (the positional arguments of one call) as a JSON array of at most
 * `maxBytes` UTF-8 bytes. A top-level `undefined` becomes null and is listed in
 * `undefinedAt`; inside arrays it becomes null and in objects it is left out, as
 * JSON.stringify does.
 */
export function encodeArguments(args: readonly unknown[], params: readonly string[], maxBytes: number): Encoded {
  const walker = new Walker(maxBytes);
  const undefinedAt: number[] = [];
  try {
    walker.add('[');
    for (let i = 0; i < args.length; i++) {
      if (i > 0) walker.add(',');
      const value = args[i];
      if (value === undefined) {
        undefinedAt.push(i);
        walker.add('null');
      } else {
        walker.top = params[i] ?? `argument ${i + 1}`;
        walker.value(value, walker.top, 1);
      }
    }
    walker.add(']');
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, message: error.message, tooBig: error.tooBig };
    throw error;
  }
  return { ok: true, json: walker.parts.join(''), bytes: walker.bytes, undefinedAt };
}

/** Encodes one value (an answer object) as JSON of at most `maxBytes`, or says why not. */
export function encodeValue(value: unknown, where: string, maxBytes: number): { ok: true; json: string } | { ok: false; message: string; tooBig: boolean } {
  const walker = new Walker(maxBytes);
  walker.top = where;
  try {
    walker.value(value, where, 1);
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, message: error.message, tooBig: error.tooBig };
    throw error;
  }
  return { ok: true, json: walker.parts.join('') };
}

class Walker {
  readonly parts: string[] = [];
  bytes = 0;
  /** The argument being written, named in messages where the full path would be too long. */
  top = '';
  private readonly path = new Set<object>();

  constructor(private readonly maxBytes: number) {}

  add(text: string, bytes = text.length): void {
    this.bytes += bytes;
    if (this.bytes > this.maxBytes) throw new Refusal('', true);
    this.parts.push(text);
  }

  value(v: unknown, where: string, depth: number): void {
    switch (typeof v) {
      case 'string': {
        // A lower bound of its JSON's UTF-8 size, known without copying it.
        if (this.bytes + v.length > this.maxBytes) throw new Refusal('', true);
        const json = stringify(v);
        this.add(json, byteLength(json, 'utf8'));
        return;
      }
      case 'number':
        if (!isFinite(v)) throw refuse(where, String(v), 'only finite numbers can be sent');
        this.add(stringify(v));
        return;
      case 'boolean':
        this.add(v ? 'true' : 'false');
        return;
      case 'undefined':
        this.add('null');
        return;
      case 'object':
        if (v === null) {
          this.add('null');
          return;
        }
        this.object(v, where, depth);
        return;
      case 'function':
        throw refuse(where, 'a function', PLAIN);
      case 'bigint':
        throw refuse(where, 'a BigInt', `${PLAIN}; convert it with Number() or String()`);
      default:
        throw refuse(where, `a ${typeof v}`, PLAIN);
    }
  }

  private object(v: object, where: string, depth: number): void {
    if (types.isProxy(v)) throw refuse(where, 'a Proxy', PLAIN);
    if (depth > MAX_DEPTH) throw new Refusal(`${this.top} is nested more than ${MAX_DEPTH} levels deep; flatten it before sending`, false);
    if (this.path.has(v)) throw new Refusal(`${where} refers back to an object that contains it (a cycle); send a copy without the cycle`, false);
    const proto = getPrototypeOf(v);
    this.path.add(v);
    try {
      if (isArray(v)) {
        if (proto !== arrayPrototype) throw refuse(where, describeObject(v, proto), hintFor(v));
        this.array(v as unknown[], where, depth);
      } else if (proto === objectPrototype || proto === null) this.plainObject(v, where, depth);
      else throw refuse(where, describeObject(v, proto), hintFor(v));
    } finally {
      this.path.delete(v);
    }
  }

  private array(v: unknown[], where: string, depth: number): void {
    const length = getOwnPropertyDescriptor(v, 'length')!.value as number;
    this.add('[');
    for (let i = 0; i < length; i++) {
      if (i > 0) this.add(',');
      const d = getOwnPropertyDescriptor(v, i);
      if (d === undefined) this.add('null');
      else if (!('value' in d)) throw refuse(`${where}[${i}]`, 'a getter', `${PLAIN}; copy the values first, e.g. [...array]`);
      else this.value(d.value, `${where}[${i}]`, depth + 1);
    }
    this.add(']');
  }

  private plainObject(v: object, where: string, depth: number): void {
    this.add('{');
    let first = true;
    for (const key of ownKeys(v)) {
      if (typeof key !== 'string') continue;
      const d = getOwnPropertyDescriptor(v, key)!;
      if (!d.enumerable) continue;
      const at = /^[A-Za-z_$][\w$]*$/.test(key) ? `${where}.${key}` : `${where}[${stringify(key).slice(0, 60)}]`;
      if (!('value' in d)) throw refuse(at, 'a getter', `${PLAIN}; copy the values first, e.g. {...object}`);
      if (d.value === undefined) continue;
      if (!first) this.add(',');
      first = false;
      const name = stringify(key);
      this.add(name, byteLength(name, 'utf8'));
      this.add(':');
      this.value(d.value, at, depth + 1);
    }
    this.add('}');
  }
}

function refuse(where: string, what: string, rule: string): Refusal {
  return new Refusal(`${where} is ${what}, which cannot be sent to the host: ${rule}`, false);
}

function describeObject(v: object, proto: object | null): string {
  if (types.isMap(v)) return 'a Map';
  if (types.isSet(v)) return 'a Set';
  if (types.isWeakMap(v) || types.isWeakSet(v)) return 'a WeakMap or WeakSet';
  if (types.isNativeError(v)) return 'an Error';
  if (types.isTypedArray(v)) return `a ${String(typedArrayTag.call(v))}`;
  if (types.isAnyArrayBuffer(v)) return 'an ArrayBuffer';
  if (types.isDataView(v)) return 'a DataView';
  if (types.isDate(v)) return 'a Date';
  if (types.isRegExp(v)) return 'a RegExp';
  if (types.isPromise(v)) return 'a Promise (await it first)';
  if (types.isBoxedPrimitive(v)) return 'a boxed primitive';
  if (isArray(v)) return 'an array with a changed prototype';
  // A class instance: name its class without calling anything on it.
  const ctor = proto === null ? undefined : getOwnPropertyDescriptor(proto, 'constructor');
  const fn: unknown = ctor && 'value' in ctor ? ctor.value : undefined;
  const name = typeof fn === 'function' ? getOwnPropertyDescriptor(fn, 'name') : undefined;
  if (name && 'value' in name && typeof name.value === 'string' && /^[A-Za-z_$][\w$]{0,40}$/.test(name.value)) return `an instance of ${name.value}`;
  return 'an object whose prototype is not Object.prototype';
}

function hintFor(v: object): string {
  if (types.isMap(v)) return `${PLAIN}; convert it first, e.g. Object.fromEntries(map) or [...map]`;
  if (types.isSet(v)) return `${PLAIN}; convert it first, e.g. [...set]`;
  if (types.isNativeError(v)) return `${PLAIN}; send error.message instead`;
  if (types.isTypedArray(v) || types.isAnyArrayBuffer(v)) return `${PLAIN}; convert it first, e.g. Array.from(bytes) or a string`;
  return `${PLAIN}; convert it first`;
}
