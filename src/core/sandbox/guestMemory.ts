/**
 * Bounds what typed arrays and ArrayBuffers may hold in the sandbox process. V8's heap limit
 * does not count their backing stores (they live outside the heap), so without this a cell
 * could allocate gigabytes with `new Uint8Array(2 ** 31)`.
 *
 * Every path the guest has to new backing-store memory is wrapped, before SES loads:
 * worker.ts imports this module first, so SES and its shims (`sliceToImmutable`,
 * `transferToImmutable`) capture the wrapped functions, and lockdown() then freezes them
 * with every other built-in. The paths: the ArrayBuffer and typed-array constructors (which
 * `TypedArray.from`/`of` and species constructors call), `ArrayBuffer.prototype.slice`,
 * `transfer` and `transferToFixedLength`, the typed-array methods that copy (`slice`, `map`,
 * `filter`, `toReversed`, `toSorted`, `with`) and `TextEncoder.prototype.encode`. A resizable
 * buffer counts at its `maxByteLength` from the start (V8 reserves that much), so `resize`
 * needs no wrapper. WebAssembly is switched off for the process and removed from its
 * globals (runtimeFlags.ts), and is not among the compartment's globals anyway.
 *
 * Accounting: each allocation reserves its size against an estimate of what is live. When
 * the estimate would pass the budget, it is replaced by the true figure
 * (process.memoryUsage().arrayBuffers, which counts this process only, plus live resizable
 * buffers, plus allocations still in progress); if that is over too, a full collection
 * frees dead buffers and it is measured again; only then is the allocation refused with a
 * RangeError the model can act on. Arguments are converted to primitives
 * once, here, and the primitives passed on, so a valueOf that answers differently the
 * second time cannot change the size after it was checked.
 */

const MiB = 1024 * 1024;

let budget = Infinity;
let baseline = 0;
/** Bytes believed live: the last measurement plus what was reserved since. */
let estimate = 0;
/** Bytes reserved by wrapped calls still running (their memory is not yet measurable). */
let pending = 0;

const memoryUsage = process.memoryUsage.bind(process);
// The sandbox process runs with --expose-gc, for this module: a refusal must not come while
// dead buffers wait for a collection (V8 frees their memory lazily, and sweeps it on another
// thread after a scavenge). The global is the start compartment's, which the guest's
// compartment does not share; it is cleared anyway (V8 makes it non-configurable).
const forceGc = (globalThis as { gc?: () => void }).gc;
(globalThis as { gc?: unknown }).gc = undefined;
/**
 * Resizable buffers, which process.memoryUsage() does not count (V8 reserves their memory
 * itself, outside the allocator it reports): each counts at its maxByteLength while alive.
 */
const resizables: Array<{ ref: WeakRef<object>; bytes: number }> = [];
/** What the resizable buffers not yet seen collected reserve. */
let resizableBytes = 0;

/**
 * Drops the resizable buffers that were collected. Only right after a collection: deref()
 * keeps its target alive until the current job ends, so a sweep before the collection would
 * keep every dead buffer of this cell alive through it.
 */
function sweepResizables(): void {
  let kept = 0;
  let bytes = 0;
  for (const entry of resizables) {
    if (entry.ref.deref() === undefined) continue;
    resizables[kept++] = entry;
    bytes += entry.bytes;
  }
  resizables.length = kept;
  resizableBytes = bytes;
}

/** A resizable buffer reserves at least a page, whatever its maxByteLength. */
const PAGE = 4096;

function trackResizable(buffer: object, maxByteLength: number): void {
  const bytes = Math.max(PAGE, maxByteLength);
  resizables.push({ ref: new WeakRef(buffer), bytes });
  resizableBytes += bytes;
}

const live = (): number => Math.max(0, memoryUsage().arrayBuffers - baseline) + resizableBytes;

/** Sets the budget; called once the host has said it, before any guest code runs. */
export function configureGuestMemory(options: { budgetBytes: number }): void {
  budget = options.budgetBytes;
  baseline = memoryUsage().arrayBuffers;
  estimate = 0;
}

/** What typed arrays and ArrayBuffers hold now, for tests and the variables summary. */
export function guestArrayBufferBytes(): number {
  return live();
}

function mib(bytes: number): string {
  return bytes >= 10 * MiB ? `${Math.round(bytes / MiB)} MiB` : `${(bytes / MiB).toFixed(1)} MiB`;
}

function refusal(bytes: number, inUse: number): RangeError {
  return new RangeError(
    `Typed arrays and ArrayBuffers may hold at most ${mib(budget)} in this sandbox; this allocation of ${mib(bytes)} was refused ` +
      `(${mib(inUse)} in use). Work on smaller pieces, or use strings and plain arrays.`,
  );
}

function collect(): void {
  // gc() without options: V8's full collection, which also clears weak references (the
  // resizable buffers' WeakRefs); gc({ type: 'major' }) was seen to leave them set. Without
  // --expose-gc (not how the host starts it) nothing is collected and refusals come early.
  forceGc?.();
  sweepResizables();
}

function reserve(bytes: number): void {
  if (!(bytes > 0)) return; // zero, or a value the native call rejects itself
  if (bytes > budget) throw refusal(bytes, Math.min(estimate, live() + pending));
  if (estimate + bytes > budget) {
    estimate = live() + pending;
    if (estimate + bytes > budget) {
      collect();
      estimate = live() + pending;
    }
    if (estimate + bytes > budget) throw refusal(bytes, estimate);
  }
  estimate += bytes;
}

/** Runs one allocating call with `bytes` reserved for it. */
function guarded<T>(bytes: number, call: () => T): T {
  reserve(bytes);
  if (!(bytes > 0)) return call();
  pending += bytes;
  try {
    return call();
  } finally {
    pending -= bytes;
  }
}

/** ToIndex's count, for sizing only: NaN and negatives count as nothing (the call throws or allocates nothing). */
function count(n: number): number {
  return n > 0 && n !== Infinity ? Math.floor(n) : n === Infinity ? Infinity : 0;
}

const { apply, construct, getOwnPropertyDescriptor, defineProperty, ownKeys, setPrototypeOf, getPrototypeOf } = Reflect;
const byteLength = Buffer.byteLength;

const OriginalArrayBuffer = ArrayBuffer;
const arrayBufferProto = OriginalArrayBuffer.prototype as unknown as Record<string, unknown>;
const bufferByteLength = getOwnPropertyDescriptor(arrayBufferProto, 'byteLength')!.get!;
const bufferMaxByteLength = getOwnPropertyDescriptor(arrayBufferProto, 'maxByteLength')?.get;
const bufferResizable = getOwnPropertyDescriptor(arrayBufferProto, 'resizable')?.get;
const typedArrayProto = getPrototypeOf(Uint8Array.prototype) as Record<string, unknown>;
const typedArrayByteLength = getOwnPropertyDescriptor(typedArrayProto, 'byteLength')!.get!;
const typedArrayLength = getOwnPropertyDescriptor(typedArrayProto, 'length')!.get!;
const arrayFrom = Array.from;

function isArrayBuffer(v: object): boolean {
  try {
    apply(bufferByteLength, v, []);
    return true;
  } catch {
    return false;
  }
}

function isTypedArray(v: object): boolean {
  try {
    apply(typedArrayLength, v, []);
    return true;
  } catch {
    return false;
  }
}

/** Replaces the global constructor `Original` by `wrapper`, which the prototype, statics and SES then see as the constructor. */
function installConstructor(name: string, Original: Function, wrapper: Function, length: number): void {
  setPrototypeOf(wrapper, getPrototypeOf(Original));
  defineProperty(wrapper, 'length', { value: length, configurable: true });
  for (const key of ownKeys(Original)) {
    if (key === 'length' || key === 'name' || key === 'prototype' || key === 'arguments' || key === 'caller') continue;
    defineProperty(wrapper, key, getOwnPropertyDescriptor(Original, key)!);
  }
  defineProperty(wrapper, 'prototype', { value: Original.prototype, writable: false, enumerable: false, configurable: false });
  defineProperty(Original.prototype, 'constructor', { value: wrapper, writable: true, enumerable: false, configurable: true });
  (globalThis as Record<string, unknown>)[name] = wrapper;
}

function wrapMethod(
  target: Record<string, unknown>,
  key: string,
  size: (self: unknown, args: unknown[]) => number,
  after?: (result: unknown) => void,
): void {
  const original = target[key];
  if (typeof original !== 'function') return;
  const wrapped = {
    [key](this: unknown, ...args: unknown[]) {
      const result = guarded(size(this, args), () => apply(original, this, args));
      after?.(result);
      return result;
    },
  }[key]!;
  defineProperty(wrapped, 'length', { value: original.length, configurable: true });
  defineProperty(target, key, { ...getOwnPropertyDescriptor(target, key)!, value: wrapped });
}

function installArrayBuffer(): void {
  const ArrayBufferWrapper = function ArrayBuffer(this: unknown, length?: unknown, options?: unknown) {
    if (new.target === undefined) return apply(OriginalArrayBuffer, this, [length, options]);
    const n = +(length as number);
    let max: number | undefined;
    if (options !== null && typeof options === 'object') {
      const m = (options as { maxByteLength?: unknown }).maxByteLength;
      if (m !== undefined) max = +(m as number);
    }
    const bytes = Math.max(count(n), max === undefined ? 0 : count(max));
    const buffer = guarded(bytes, () => construct(OriginalArrayBuffer, max === undefined ? [n] : [n, { maxByteLength: max }], new.target)) as object;
    if (max !== undefined) trackResizable(buffer, bytes);
    return buffer;
  };
  installConstructor('ArrayBuffer', OriginalArrayBuffer, ArrayBufferWrapper, 1);

  const newBufferSize = (self: unknown, args: unknown[]): number => {
    const current = apply(bufferByteLength, self, []) as number;
    const wanted = args[0] === undefined ? current : count(+(args[0] as number));
    const keepsMax = bufferResizable && bufferMaxByteLength && apply(bufferResizable, self, []) === true;
    return keepsMax ? Math.max(wanted, apply(bufferMaxByteLength, self, []) as number) : wanted;
  };
  wrapMethod(arrayBufferProto, 'slice', (self) => apply(bufferByteLength, self, []) as number);
  // transfer() keeps a resizable buffer resizable (with its maxByteLength); the other does not.
  wrapMethod(arrayBufferProto, 'transfer', newBufferSize, (result) => {
    if (bufferResizable && apply(bufferResizable, result, []) === true) trackResizable(result as object, apply(bufferMaxByteLength!, result, []) as number);
  });
  wrapMethod(arrayBufferProto, 'transferToFixedLength', (self, args) =>
    args[0] === undefined ? (apply(bufferByteLength, self, []) as number) : count(+(args[0] as number)),
  );
}

const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float16Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

function installTypedArrays(): void {
  for (const name of TYPED_ARRAYS) {
    const Original = (globalThis as Record<string, unknown>)[name] as (new (...args: unknown[]) => object) & { BYTES_PER_ELEMENT: number };
    if (typeof Original !== 'function') continue;
    const perElement = Original.BYTES_PER_ELEMENT;
    const wrapper = {
      [name]: function (this: unknown, source?: unknown, offset?: unknown, length?: unknown) {
        if (new.target === undefined) return apply(Original, this, [source, offset, length]);
        const target = new.target;
        if (source === null || typeof source !== 'object') {
          // A length. Converted once; the number is what the native constructor gets.
          const n = source === undefined ? 0 : +(source as number);
          return guarded(count(n) * perElement, () => construct(Original, [n], target));
        }
        // A view on an existing buffer: no new memory.
        if (isArrayBuffer(source)) return construct(Original, [source, offset, length], target);
        if (isTypedArray(source)) {
          const n = apply(typedArrayLength, source, []) as number;
          return guarded(n * perElement, () => construct(Original, [source], target));
        }
        // An iterable or array-like: copied into a plain array first (on the heap, which its
        // limit bounds), so that the size checked is the size allocated. A length that could
        // never fit is refused before the copy, which would only run out of heap.
        const claimed = +((source as { length?: unknown }).length as number);
        if (count(claimed) * perElement > budget) reserve(count(claimed) * perElement);
        const items = arrayFrom(source as ArrayLike<unknown>);
        return guarded(items.length * perElement, () => construct(Original, [items], target));
      },
    }[name]!;
    installConstructor(name, Original, wrapper, 3);
  }
  const copySize = (self: unknown): number => apply(typedArrayByteLength, self, []) as number;
  for (const key of ['slice', 'map', 'filter', 'toReversed', 'toSorted', 'with']) wrapMethod(typedArrayProto, key, copySize);

  // Base64/hex decoding (newer engines): at most one byte per input character.
  const uint8 = (globalThis as Record<string, unknown>).Uint8Array as unknown as Record<string, unknown>;
  for (const key of ['fromBase64', 'fromHex']) {
    wrapMethod(uint8, key, (_self, args) => (typeof args[0] === 'string' ? args[0].length : 0));
  }
}

function installTextEncoder(): void {
  const proto = (globalThis as unknown as { TextEncoder?: { prototype: Record<string, unknown> } }).TextEncoder?.prototype;
  if (!proto || typeof proto.encode !== 'function') return;
  const original = proto.encode as (input?: string) => Uint8Array;
  const encode = {
    encode(this: unknown, input?: unknown) {
      const text = input === undefined ? '' : `${input as string}`;
      return guarded(byteLength(text, 'utf8'), () => apply(original, this, [text]));
    },
  }.encode;
  defineProperty(proto, 'encode', { ...getOwnPropertyDescriptor(proto, 'encode')!, value: encode });
}

installArrayBuffer();
installTypedArrays();
installTextEncoder();
