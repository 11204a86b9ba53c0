/**
 * The sandbox process: runs model-written cells in an SES Compartment.
 *
 * It is a child process of the host, not a worker thread: V8 aborts the whole process when a
 * single allocation overshoots the heap limit (`new Array(1e8).fill(0)`), or on some size
 * checks (`"ab".repeat(2 ** 26).split("")`), and a worker's resourceLimits cannot catch that
 * (nodejs/node#47224). Here such an abort ends this process only; the host sees it exit and
 * starts another. `lockdown()` freezes every built-in of the realm it runs in, which is why
 * it runs here and never in the extension host that other extensions share.
 *
 * Everything the guest can touch is created below and hardened; host functions are stubs
 * that encode their arguments as JSON (plainData.ts), measured and capped as they are
 * produced, send them to the host and await its reply. CPU and heap are bounded from outside
 * (the host's timer, V8's --max-old-space-size); typed-array memory by guestMemory.ts.
 */
// First: it wraps the allocators that SES and its shims capture when they load.
import './runtimeFlags';
import { configureGuestMemory } from './guestMemory';
import 'ses';
import { inspect } from 'node:util';
import { Worker } from 'node:worker_threads';
import { transformCell } from './cellTransform';
import { LineReader, encodeLine } from './channel';
import { encodeArguments, encodeValue } from './plainData';
import type { AnswerState, GuestVariable, HostToWorker, WorkerInit, WorkerToHost } from './protocol';

// Guest promises that reject unobserved must not end the process (Node's default).
process.on('unhandledRejection', () => {});
process.on('uncaughtException', () => {});

// On POSIX the zygote ends this process when the host is gone; on Windows it watches itself.
if (process.argv.includes('--rlm-watchdog')) startWatchdog();

lockdown({
  errorTaming: 'safe',
  // Without these, SES installs its own handlers that exit the process on an uncaught error.
  errorTrapping: 'none',
  unhandledRejectionTrapping: 'none',
  consoleTaming: 'unsafe',
  overrideTaming: 'moderate',
  reporting: 'none',
} as Parameters<typeof lockdown>[0]);

/**
 * Ends this process when the host is gone, even while a guest loop holds the main thread:
 * a thread of its own checks the parent every second. Without it, a host that crashed while
 * a cell spun would leave the loop running for good. Windows only: on POSIX the zygote that
 * started this process ends it when the host goes (zygote.ts).
 */
function startWatchdog(): void {
  const source = `
    const { workerData: parent } = require('node:worker_threads');
    setInterval(() => {
      let alive = process.ppid === parent;
      if (alive) {
        try { process.kill(parent, 0); } catch (e) { alive = e.code === 'EPERM'; }
      }
      if (!alive) process.kill(process.pid, 'SIGKILL');
    }, 1000);`;
  const watchdog = new Worker(source, {
    eval: true,
    workerData: process.ppid,
    env: {},
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
  });
  watchdog.unref();
}

const INSPECT_OPTIONS = {
  // Never run guest-defined inspection hooks or getters from trusted code.
  customInspect: false,
  getters: false,
  showProxy: true,
  depth: 4,
  maxArrayLength: 200,
  maxStringLength: 20_000,
  breakLength: 120,
  compact: 3,
} as const;

function send(message: WorkerToHost): void {
  process.stdout.write(encodeLine(message));
}

let init!: WorkerInit;

// ---- per-cell state -------------------------------------------------------------------

let currentCell = -1;
let repoName = '';
let output = '';
let cutChars = 0;
let answer: { content: unknown; ready: unknown } = { content: '', ready: false };
/** Host calls this cell has sent, and the bytes of their arguments. */
let cellCalls = 0;
let cellBytes = 0;

function append(text: string): void {
  const room = init.maxOutputChars - output.length;
  if (text.length <= room) {
    output += text;
  } else {
    output += text.slice(0, Math.max(0, room));
    cutChars += text.length - Math.max(0, room);
  }
}

function format(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return inspect(value, INSPECT_OPTIONS);
  } catch {
    return '[value that cannot be shown]';
  }
}

const MAX_ERROR_CHARS = 4_000;

function describeError(error: unknown): string {
  return describeErrorUncapped(error).slice(0, MAX_ERROR_CHARS);
}

function describeErrorUncapped(error: unknown): string {
  try {
    if (error !== null && typeof error === 'object') {
      const name: unknown = (error as { name?: unknown }).name;
      const message: unknown = (error as { message?: unknown }).message;
      if (typeof message === 'string') return `${typeof name === 'string' ? name : 'Error'}: ${message}`;
    }
    return `Uncaught ${format(error)}`;
  } catch {
    return 'Error: a value was thrown that cannot be described';
  }
}

function readAnswer(): { answer: AnswerState; problem: string | null } {
  const fallback = { answer: { content: '', ready: false }, problem: null as string | null };
  const max = init.maxAnswerChars;
  try {
    const content = Object.getOwnPropertyDescriptor(answer, 'content');
    const ready = Object.getOwnPropertyDescriptor(answer, 'ready');
    if ((content && !('value' in content)) || (ready && !('value' in ready))) {
      return { ...fallback, problem: 'answer.content and answer.ready must be plain values, not getters.' };
    }
    let text: string;
    const v = content?.value;
    const tooLong = (n: string) => `answer.content is ${n} characters; keep it under ${withThousands(max)}.`;
    if (v === undefined || v === null) text = '';
    else if (typeof v === 'string') {
      if (v.length > max) return { ...fallback, problem: tooLong(withThousands(v.length)) };
      text = v;
    } else if (typeof v === 'number' || typeof v === 'boolean') text = String(v);
    else if (typeof v === 'object') {
      // Bounded as it is written: an answer object of gigabytes is refused at the cap.
      const encoded = encodeValue(v, 'answer.content', max);
      if (!encoded.ok) return { ...fallback, problem: encoded.tooBig ? tooLong(`over ${withThousands(max)}`) : `${encoded.message}.` };
      text = JSON.stringify(JSON.parse(encoded.json), null, 2);
      if (text.length > max) return { ...fallback, problem: tooLong(withThousands(text.length)) };
    } else return { ...fallback, problem: `answer.content must be a string, got ${typeof v}.` };
    const r = ready?.value;
    // Only the boolean ends the run: "false", 0 or "no" must not finish it by accident, and a
    // string "true" is most likely a slip the model can fix in one line.
    if (r !== undefined && r !== true && r !== false) {
      return { answer: { content: text, ready: false }, problem: `answer.ready must be the boolean true to finish (it is ${describeValue(r)}); write answer.ready = true.` };
    }
    return { answer: { content: text, ready: r === true }, problem: null };
  } catch (error) {
    return { ...fallback, problem: `answer could not be read: ${describeError(error)}` };
  }
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v.slice(0, 40))}`;
  if (v === null) return 'null';
  if (typeof v === 'object' || typeof v === 'function') return `a${Array.isArray(v) ? 'n array' : typeof v === 'function' ? ' function' : 'n object'}`;
  return `${typeof v} ${String(v)}`;
}

// ---- host functions ---------------------------------------------------------------------

let nextCallId = 1;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();

function makeError(name: string, message: string): Error {
  const error = new Error(message);
  Object.defineProperty(error, 'name', { value: name, configurable: true, writable: true });
  return error;
}

/** 50000000 → "50,000,000" (toLocaleString is tamed after lockdown). */
function withThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function megabytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}

/** Why a call cannot be sent, or null when it can; `encoded` is set when it can. */
function callProblem(name: string, encoded: ReturnType<typeof encodeArguments>, room: number): string | null {
  if (encoded.ok) return null;
  if (!encoded.tooBig) return `${name}: ${encoded.message}.`;
  if (room < init.maxCallBytes) {
    return (
      `${name}: this cell has sent ${megabytes(cellBytes)} to the host and these arguments do not fit in the ` +
      `${megabytes(init.maxCellBytes)} one cell may send. Continue in the next cell (variables persist), or send less.`
    );
  }
  return `${name}: the arguments are over ${megabytes(init.maxCallBytes)} as JSON, the most one call may send. Send less per call, e.g. split the batch or the text into several calls.`;
}

function hostFunction(name: string, params: string[]): (...args: unknown[]) => Promise<unknown> {
  const leaf = name.split('.').pop()!;
  const fns: Record<string, (...args: unknown[]) => Promise<unknown>> = {
    [leaf]: (...args: unknown[]) => {
      // A call made after its cell ended never settles: nothing runs in the background.
      if (currentCell < 0) return new Promise(() => {});
      return new Promise((resolve, reject) => {
        if (cellCalls >= init.maxCallsPerCell) {
          reject(
            makeError(
              'RangeError',
              `${name}: this cell has made ${withThousands(cellCalls)} sandbox calls, the most one cell may make. ` +
                'Continue in the next cell (variables persist), or narrow down first (repo.grep, filters) so that fewer calls are needed.',
            ),
          );
          return;
        }
        const room = Math.min(init.maxCallBytes, init.maxCellBytes - cellBytes);
        let encoded: ReturnType<typeof encodeArguments>;
        try {
          encoded = encodeArguments(args, params, room);
        } catch {
          encoded = { ok: false, message: 'the arguments could not be read', tooBig: false };
        }
        const problem = callProblem(name, encoded, room);
        if (problem !== null || !encoded.ok) {
          reject(makeError(!encoded.ok && encoded.tooBig ? 'RangeError' : 'TypeError', problem ?? `${name}: the arguments could not be sent.`));
          return;
        }
        cellCalls++;
        cellBytes += encoded.bytes;
        const callId = nextCallId++;
        pending.set(callId, { resolve, reject });
        // The arguments go as the JSON just measured, not encoded a second time.
        const head = JSON.stringify({ type: 'rpc', cellId: currentCell, callId, name, undefinedAt: encoded.undefinedAt });
        process.stdout.write(`${head.slice(0, -1)},"args":${encoded.json}}\n`);
      });
    },
  };
  return fns[leaf]!;
}

function buildEndowments(): Record<string, unknown> {
  const roots: Record<string, any> = {};
  const functions = new Map(init.hostFunctions.map((f) => [f.name, hostFunction(f.name, f.params)]));
  for (const [name, fn] of functions) {
    const parts = name.split('.');
    if (parts.length === 1) {
      roots[name] = fn;
      continue;
    }
    const parentName = parts.slice(0, -1).join('.');
    const parent = functions.get(parentName) ?? (roots[parentName] ??= {});
    (parent as Record<string, unknown>)[parts.at(-1)!] = fn;
  }
  // repo.name follows the workspace of the cell being run: a session's sandbox outlives one question.
  const repo: Record<string, unknown> = { ...(roots.repo ?? {}) };
  Object.defineProperty(repo, 'name', { get: harden(() => repoName), enumerable: true });
  roots.repo = repo;

  const print = (...values: unknown[]) => {
    if (currentCell >= 0) append(values.map(format).join(' ') + '\n');
  };
  roots.print = print;
  roots.console = { log: print, info: print, warn: print, error: print, debug: print, dir: print, table: print };
  for (const key of Object.keys(roots)) harden(roots[key]);
  return roots;
}

let compartment!: Compartment;
let guestGlobal!: Record<string, unknown>;
/** Every global the compartment has before any cell runs: builtins and endowments. */
let baselineGlobals = new Set<string | symbol>();

function buildCompartment(): void {
  compartment = new Compartment({ __options__: true, globals: { Date, Math } } as any);
  guestGlobal = compartment.globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(buildEndowments())) {
    Object.defineProperty(guestGlobal, name, { value, writable: false, enumerable: true, configurable: false });
  }
  limitCompilers();
  // `answer` is a fresh object each cell, reached through a getter the guest cannot replace.
  // The getter is reachable through the property descriptor, so it is hardened like every endowment.
  Object.defineProperty(guestGlobal, 'answer', { get: harden(() => answer), enumerable: true, configurable: false });
  baselineGlobals = new Set(Reflect.ownKeys(guestGlobal));
}

/**
 * Compiling code costs memory outside V8's heap limit, many times the source (a 20 MB array
 * literal took 340 MB of the parser's own memory). Code a cell builds at run time
 * (Function, indirect eval) is held to the size of a cell; nested Compartments, which
 * would bring evaluators of their own, are not offered: model code has no use for them.
 */
function limitCompilers(): void {
  const max = init.maxCellChars;
  const tooLong = (what: string, chars: number) =>
    new RangeError(`${what} was given ${withThousands(chars)} characters of code, more than the ${withThousands(max)} a cell may have. Write the code in the cell instead.`);
  const OriginalFunction = guestGlobal.Function as (...args: string[]) => unknown;
  const originalEval = guestGlobal.eval as (source: unknown) => unknown;
  const Function = function Function(this: unknown, ...args: unknown[]) {
    // Converted once, here: a toString that answers differently the second time cannot change the size checked.
    const sources = args.map((a) => `${a as string}`);
    const chars = sources.reduce((n, t) => n + t.length, 0);
    if (chars > max) throw tooLong('Function', chars);
    return Reflect.apply(OriginalFunction, this, sources);
  };
  Object.defineProperty(Function, 'prototype', { value: (OriginalFunction as { prototype: unknown }).prototype });
  const evaluate = {
    eval(source: unknown) {
      if (typeof source === 'string' && source.length > max) throw tooLong('eval', source.length);
      return originalEval(source);
    },
  }.eval;
  for (const [name, value] of [['Function', Function], ['eval', evaluate]] as const) {
    Object.defineProperty(guestGlobal, name, { value: harden(value), writable: false, enumerable: false, configurable: false });
  }
  delete guestGlobal.Compartment;
}

// ---- what earlier cells left behind ---------------------------------------------------------

const MAX_VARIABLES = 60;

/**
 * Summaries of the globals cells created, for a follow-up question. Nothing here runs guest
 * code that could be avoided: accessors are not called, and what a proxy's traps do is
 * bounded by the host's deadline on this request.
 */
function describeVariables(): GuestVariable[] {
  const out: GuestVariable[] = [];
  for (const key of Reflect.ownKeys(guestGlobal)) {
    if (out.length >= MAX_VARIABLES || typeof key !== 'string' || baselineGlobals.has(key) || key.length > 80) continue;
    let summary: string;
    try {
      const d = Object.getOwnPropertyDescriptor(guestGlobal, key);
      summary = d === undefined ? 'unknown' : 'value' in d ? summarise(d.value) : 'getter';
    } catch {
      summary = 'unknown';
    }
    if (summary !== 'undefined') out.push({ name: key, summary });
  }
  return out;
}

function summarise(v: unknown): string {
  if (typeof v === 'string') return `string of ${withThousands(v.length)} characters`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v).slice(0, 30)}`;
  if (typeof v === 'function') return 'function';
  if (v === null || typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return `array of ${withThousands(v.length)}`;
  if (v instanceof Map) return `Map of ${withThousands(v.size)}`;
  if (v instanceof Set) return `Set of ${withThousands(v.size)}`;
  return `object with ${withThousands(Object.keys(v).length)} keys`;
}

// ---- running cells ------------------------------------------------------------------------

async function runCell(message: Extract<HostToWorker, { type: 'run' }>): Promise<void> {
  currentCell = message.cellId;
  if (typeof message.repoName === 'string') repoName = message.repoName;
  // Calls left over from an earlier cell never settle; forget them.
  pending.clear();
  output = '';
  cutChars = 0;
  cellCalls = 0;
  cellBytes = 0;
  answer = { content: message.answer.content, ready: message.answer.ready };
  let error: string | null = null;
  try {
    // Parsed here, not on the host: the parse of a hostile cell costs this process's time,
    // which the host's cell timer bounds, never the host's event loop.
    const transformed = transformCell(message.source, init.reservedGlobals);
    if (!transformed.ok) error = transformed.message;
    else {
      for (const name of transformed.declaredNames) {
        if (!Object.prototype.hasOwnProperty.call(guestGlobal, name)) {
          Object.defineProperty(guestGlobal, name, { value: undefined, writable: true, enumerable: true, configurable: true });
        }
      }
      await compartment.evaluate(transformed.script);
    }
  } catch (e) {
    error = describeError(e);
  }
  const { answer: finalAnswer, problem } = readAnswer();
  currentCell = -1;
  const unawaitedCalls = pending.size;
  // Their results are dropped, so guest callbacks on them never run after the cell.
  pending.clear();
  send({ type: 'done', cellId: message.cellId, output, cutChars, error, answer: finalAnswer, answerProblem: problem, unawaitedCalls });
}

function onMessage(message: HostToWorker): void {
  switch (message.type) {
    case 'init':
      init = message;
      repoName = message.repoName;
      configureGuestMemory({ budgetBytes: message.arrayBufferBytes });
      buildCompartment();
      send({ type: 'ready' });
      break;
    case 'run':
      void runCell(message);
      break;
    case 'rpc-result': {
      const call = pending.get(message.callId);
      if (!call) break;
      pending.delete(message.callId);
      if (message.ok) call.resolve(message.value);
      else call.reject(makeError(message.error.name, message.error.message));
      break;
    }
    case 'ping':
      send({ type: 'pong', seq: message.seq });
      break;
    case 'variables': {
      let variables: GuestVariable[] = [];
      try {
        variables = describeVariables();
      } catch {
        // a hostile object: tell nothing rather than fail
      }
      send({ type: 'variables', seq: message.seq, variables });
      break;
    }
  }
}

// The host is trusted: its lines are not capped here (this process's heap bounds them).
const reader = new LineReader(
  Number.MAX_SAFE_INTEGER,
  (line) => onMessage(JSON.parse(line) as HostToWorker),
  () => {},
);
process.stdin.on('data', (chunk: Buffer) => reader.push(chunk));
// The host closed the pipe: it is done with this sandbox, or gone.
process.stdin.on('end', () => process.exit(0));
