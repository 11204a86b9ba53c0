/**
 * The sandbox worker: runs model-written cells in an SES Compartment.
 *
 * `lockdown()` freezes every built-in of the realm it runs in, which is why it runs here,
 * in a worker thread of its own, and never in the extension host that other extensions
 * share. Everything the guest can touch is created below and hardened; host functions
 * are stubs that post plain data to the host and await its reply. CPU and memory are
 * bounded from outside (the host's timer and the worker's resourceLimits).
 */
import 'ses';
import { parentPort, workerData } from 'node:worker_threads';
import { inspect } from 'node:util';
import type { AnswerState, GuestVariable, HostToWorker, WorkerInit, WorkerToHost } from './protocol';

const init = workerData as WorkerInit;
const port = parentPort!;

// Guest promises that reject unobserved must not crash the worker (Node's default).
process.on('unhandledRejection', () => {});
process.on('uncaughtException', () => {});

lockdown({
  errorTaming: 'safe',
  // Without these, SES installs its own handlers that exit the process on an uncaught error.
  errorTrapping: 'none',
  unhandledRejectionTrapping: 'none',
  consoleTaming: 'unsafe',
  overrideTaming: 'moderate',
  reporting: 'none',
} as Parameters<typeof lockdown>[0]);

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
  port.postMessage(message);
}

// ---- per-cell state -------------------------------------------------------------------

let currentCell = -1;
let repoName = init.repoName;
let output = '';
let cutChars = 0;
let answer: { content: unknown; ready: unknown } = { content: '', ready: false };

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

const MAX_ANSWER_CHARS = 1_000_000;

function readAnswer(): { answer: AnswerState; problem: string | null } {
  const fallback = { answer: { content: '', ready: false }, problem: null as string | null };
  try {
    const content = Object.getOwnPropertyDescriptor(answer, 'content');
    const ready = Object.getOwnPropertyDescriptor(answer, 'ready');
    if ((content && !('value' in content)) || (ready && !('value' in ready))) {
      return { ...fallback, problem: 'answer.content and answer.ready must be plain values, not getters.' };
    }
    let text: string;
    const v = content?.value;
    if (v === undefined || v === null) text = '';
    else if (typeof v === 'string') text = v;
    else if (typeof v === 'number' || typeof v === 'boolean') text = String(v);
    else if (typeof v === 'object') text = JSON.stringify(v, null, 2) ?? '';
    else return { ...fallback, problem: `answer.content must be a string, got ${typeof v}.` };
    if (text.length > MAX_ANSWER_CHARS) {
      return { ...fallback, problem: `answer.content is ${text.length} characters; keep it under ${MAX_ANSWER_CHARS}.` };
    }
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

/** Characters all arguments of one host call may hold together (the host copies every one). */
const MAX_CALL_CHARS = 50_000_000;
const MAX_CALL_DEPTH = 64;

/**
 * Refuses arguments too big or too deep to send: structured clone copies every string
 * onto the host's heap before the host can look at it, and a host with a smaller stack
 * than this worker fails to read deeply nested data. Null when the arguments may go.
 */
function oversize(args: unknown[]): string | null {
  let chars = 0;
  const stack: Array<[unknown, number]> = [[args, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value === 'string') chars += value.length;
    else if (value !== null && typeof value === 'object') {
      if (depth >= MAX_CALL_DEPTH) return `arguments are nested more than ${MAX_CALL_DEPTH} levels deep`;
      const items = Array.isArray(value) ? value : Object.values(value);
      chars += items.length;
      if (chars > MAX_CALL_CHARS) break;
      for (const item of items) stack.push([item, depth + 1]);
    } else chars += 8;
    if (chars > MAX_CALL_CHARS) return `arguments hold more than ${withThousands(MAX_CALL_CHARS)} characters in all; send less per call`;
  }
  return null;
}

function hostFunction(name: string): (...args: unknown[]) => Promise<unknown> {
  const leaf = name.split('.').pop()!;
  const fns: Record<string, (...args: unknown[]) => Promise<unknown>> = {
    [leaf]: (...args: unknown[]) => {
      // A call made after its cell ended never settles: nothing runs in the background.
      if (currentCell < 0) return new Promise(() => {});
      const callId = nextCallId++;
      return new Promise((resolve, reject) => {
        let tooBig: string | null;
        try {
          tooBig = oversize(args);
        } catch {
          tooBig = 'arguments could not be measured';
        }
        if (tooBig !== null) {
          reject(makeError('RangeError', `${name}: ${tooBig}.`));
          return;
        }
        try {
          send({ type: 'rpc', cellId: currentCell, callId, name, args });
        } catch {
          reject(makeError('TypeError', `${name}: arguments must be plain data (strings, numbers, booleans, arrays and plain objects).`));
          return;
        }
        pending.set(callId, { resolve, reject });
      });
    },
  };
  return fns[leaf]!;
}

function buildEndowments(): Record<string, unknown> {
  const roots: Record<string, any> = {};
  const functions = new Map(init.hostFunctions.map((name) => [name, hostFunction(name)]));
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

const compartment = new Compartment({ __options__: true, globals: { Date, Math } } as any);
const guestGlobal = compartment.globalThis as Record<string, unknown>;
for (const [name, value] of Object.entries(buildEndowments())) {
  Object.defineProperty(guestGlobal, name, { value, writable: false, enumerable: true, configurable: false });
}
// `answer` is a fresh object each cell, reached through a getter the guest cannot replace.
// The getter is reachable through the property descriptor, so it is hardened like every endowment.
Object.defineProperty(guestGlobal, 'answer', { get: harden(() => answer), enumerable: true, configurable: false });

// ---- what earlier cells left behind ---------------------------------------------------------

/** Every global the compartment has before any cell runs: builtins and endowments. */
const baselineGlobals = new Set(Reflect.ownKeys(guestGlobal));
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
  answer = { content: message.answer.content, ready: message.answer.ready };
  let error: string | null = null;
  try {
    for (const name of message.declaredNames) {
      if (!Object.prototype.hasOwnProperty.call(guestGlobal, name)) {
        Object.defineProperty(guestGlobal, name, { value: undefined, writable: true, enumerable: true, configurable: true });
      }
    }
    await compartment.evaluate(message.script);
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

port.on('message', (message: HostToWorker) => {
  switch (message.type) {
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
});

send({ type: 'ready' });
