/**
 * The host side of the sandbox: owns one warm sandbox process per RLM session, runs cells in
 * it, answers its host-function calls, and replaces it when a cell must be stopped.
 *
 * The sandbox is a child process (see worker.ts for why not a thread): whatever the guest
 * does to it, from an allocation V8 aborts on to a loop that never yields, ends that process
 * only. What comes back is read as lines of at most a fixed size (channel.ts), so the host
 * never buffers or parses more than that, and is checked like any untrusted input.
 *
 * The cell time limit counts only time the guest spends running: while a host call is in
 * flight (an llm() fan-out can take minutes) the clock is paused, so the limit catches
 * runaway code, not slow models. Wall time as a whole is the engine's budget.
 *
 * Host calls of one cell run at most `maxCallsInFlight` at a time; the rest wait here, in
 * order, and are dropped unanswered when the cell ends.
 */
import { setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { CORE_SANDBOX_API, type SandboxApi } from './api';
import { DEFAULT_MEMORY_PLAN, MiB } from './memory';
import { resolveBundle, startProcess, type ProcessExit, type SandboxProcess } from './processes';
import { RPC_ENVELOPE_BYTES, type AnswerState, type GuestVariable, type HostToWorker, type WorkerInit, type WorkerToHost } from './protocol';
import { scrubHostPaths } from '../util/hostPaths';
import { withDefaults } from '../util/withDefaults';

export type HostCallHandler = (name: string, args: unknown[], signal: AbortSignal) => Promise<unknown>;

export interface SandboxOptions {
  repoName: string;
  /** Answers the guest's host calls; a cell may bring its own (`runCell`'s `handleCall`). */
  handleCall?: HostCallHandler;
  /** The functions the guest gets; default the core API. Arguments are checked against it before `handleCall`. */
  api?: SandboxApi;
  /** Guest running time allowed per cell. */
  cellTimeoutMs?: number;
  maxOutputChars?: number;
  /** Longest cell source, in characters; a longer cell is refused without running. */
  maxCellChars?: number;
  /** Heap limit of the sandbox process (V8 old generation), in MiB. */
  heapMb?: number;
  /** V8 semi-space size of the sandbox process, in MiB. */
  semiSpaceMb?: number;
  /** What the guest's typed arrays and ArrayBuffers may hold at once, in MiB. */
  arrayBufferMb?: number;
  /** Bytes of JSON one host call's arguments may take. */
  maxCallBytes?: number;
  /** Bytes of JSON a cell's host calls may take together. */
  maxCellBytes?: number;
  /** Host calls one cell may make in all. */
  maxCallsPerCell?: number;
  /** Bytes of JSON the host may send back to one cell in all (the calls' results). */
  maxReturnedBytes?: number;
  /** Host calls of one cell that run at once; the rest wait their turn. */
  maxCallsInFlight?: number;
  /** How long an idle sandbox may take to answer a ping after a cell before it counts as busy. */
  idleCheckMs?: number;
  /** How long a new sandbox process may take to start. */
  startTimeoutMs?: number;
  workerPath?: string;
  /** The OS data limit (Linux) in MiB; default from the heap and typed-array shares (dataLimitMb). */
  dataLimitMb?: number;
}

export type ResetReason = 'timeout' | 'memory' | 'background' | 'crashed' | 'cancelled';

export interface CellOutcome {
  /** What the cell printed, with a note when it was cut. */
  output: string;
  /** The thrown error or refusal, as the model should read it. */
  error: string | null;
  answer: AnswerState;
  answerProblem: string | null;
  /** Set when the sandbox was replaced during or after this cell: all guest state is gone. */
  reset: ResetReason | null;
  durationMs: number;
}

export const SANDBOX_DEFAULTS = {
  cellTimeoutMs: 60_000,
  maxOutputChars: 20_000,
  maxCellChars: 100_000,
  ...DEFAULT_MEMORY_PLAN.root,
  maxCallsPerCell: 1_000,
  maxCallsInFlight: 8,
  idleCheckMs: 1_000,
  startTimeoutMs: 30_000,
} as const;

function returnedTooMuch(cap: number, returned: number, size: number): string {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(n < 10 * 2 ** 20 ? 1 : 0)} MiB`;
  return (
    `this result (${mib(size)}) would take what the host has sent this cell past ${mib(cap)} (${mib(returned)} so far), the most one cell may receive: ` +
    'more than the REPL can hold. Keep only what you need of each result (matched lines, counts, a range of lines rather than whole files), ' +
    'narrow down with repo.grep and line ranges, or continue in the next cell (variables persist).'
  );
}

/** The longest answer.content a cell may leave, in characters. */
export const MAX_ANSWER_CHARS = 1_000_000;
const MAX_ERROR_CHARS = 4_000;

/** Finds dist/sandbox-worker.js whether we run from the bundle (dist/) or from source. */
export function resolveWorkerPath(): string {
  return resolveBundle('sandbox-worker.js');
}

interface LiveWorker {
  proc: SandboxProcess;
  /** Every message the sandbox sends, in order; set by whoever is listening. */
  listeners: Set<(message: WorkerToHost, bytes: number) => void>;
  /** Set when the sandbox broke the protocol (a line too long or not JSON). */
  broken: string | null;
  onBroken: Set<() => void>;
  send(message: HostToWorker): void;
  /** Sends a message already encoded as one JSON line (no newline). */
  sendLine(line: string): void;
  /** Resolves when the process exits, for whatever reason. */
  exited: Promise<ProcessExit>;
}

export class Sandbox {
  private readonly options: Required<Omit<SandboxOptions, 'workerPath' | 'api' | 'handleCall' | 'dataLimitMb'>> & { workerPath: string | null; handleCall?: HostCallHandler };
  private readonly api: SandboxApi;
  private readonly dataLimit: number | undefined;
  private live: Promise<LiveWorker> | null = null;
  private cellCounter = 0;
  private answer: AnswerState = { content: '', ready: false };
  private disposed = false;
  /** Sandbox processes started over this sandbox's life (1 + number of resets). */
  workersStarted = 0;

  constructor(options: SandboxOptions) {
    const { api, dataLimitMb: dataLimit, ...rest } = options;
    this.options = { ...withDefaults(SANDBOX_DEFAULTS, rest), workerPath: options.workerPath ?? null };
    this.api = api ?? CORE_SANDBOX_API;
    this.dataLimit = dataLimit;
  }

  get currentAnswer(): AnswerState {
    return { ...this.answer };
  }

  /** Replaces the answer seen by the next cell (the engine owns the answer between cells). */
  setAnswer(answer: AnswerState): void {
    this.answer = { ...answer };
  }

  /** The process id of the live sandbox, if one is running (for tests that watch its memory). */
  async pid(): Promise<number | null> {
    const live = await this.live?.catch(() => null);
    const pid = live ? await live.proc.pid : -1;
    return pid > 0 ? pid : null;
  }

  /** Starts the sandbox process now, so that the first cell does not pay for it. */
  warm(): Promise<void> {
    return this.worker().then(() => undefined);
  }

  private worker(): Promise<LiveWorker> {
    if (this.disposed) return Promise.reject(new Error('The sandbox has been disposed.'));
    this.live ??= this.spawn();
    return this.live;
  }

  /** The longest line the host reads from the sandbox: one call's arguments, or a cell's result. */
  private maxLineBytes(): number {
    // A result holds output, error and answer; UTF-8 takes at most 3 bytes per UTF-16 unit.
    const done = 3 * (this.options.maxOutputChars + MAX_ANSWER_CHARS + 2 * MAX_ERROR_CHARS + 1_000);
    return Math.max(this.options.maxCallBytes + RPC_ENVELOPE_BYTES, done);
  }

  private spawn(): Promise<LiveWorker> {
    this.workersStarted++;
    const o = this.options;
    let workerPath: string;
    try {
      workerPath = o.workerPath ?? resolveWorkerPath();
    } catch (error) {
      return Promise.reject(error);
    }
    const init: WorkerInit = {
      repoName: o.repoName,
      hostFunctions: this.api.hostFunctions.map((f) => ({ name: f.name, params: [...f.params] })),
      reservedGlobals: [...this.api.reservedGlobals],
      maxOutputChars: o.maxOutputChars,
      maxCellChars: o.maxCellChars,
      maxAnswerChars: MAX_ANSWER_CHARS,
      maxCallBytes: o.maxCallBytes,
      maxCellBytes: o.maxCellBytes,
      maxCallsPerCell: o.maxCallsPerCell,
      arrayBufferBytes: o.arrayBufferMb * MiB,
    };
    // Never the host's flags (loaders, inspectors) or environment: only the limits. Under
    // Electron (the editor), its binary runs as plain Node only when told so. gc, with array
    // buffers swept as part of it (runtimeFlags.ts), is for guestMemory.ts: a typed-array
    // allocation is refused only after the dead ones are really freed.
    const args = [
      `--max-old-space-size=${o.heapMb}`,
      `--max-semi-space-size=${o.semiSpaceMb}`,
      // Only options every Node and Electron knows: an unknown one ends the process at start.
      // The other V8 settings are made inside it (runtimeFlags.ts).
      '--expose-gc',
      workerPath,
      // On POSIX the zygote ends a sandbox whose host is gone; on Windows the sandbox watches itself.
      ...(process.platform === 'win32' ? ['--rlm-watchdog'] : []),
    ];
    const limited = dataLimitWorks !== false;
    const [command, commandArgs] = limited ? withDataLimit(process.execPath, args, this.dataLimit ?? dataLimitMb(o)) : [process.execPath, args];
    // Started by the zygote (processes.ts): the host never forks itself per sandbox. Below the
    // host's priority (nice 10).
    const proc = startProcess({
      command,
      args: commandArgs,
      env: process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {},
      maxLineBytes: this.maxLineBytes(),
      niceness: 10,
    });
    const live: LiveWorker = {
      proc,
      listeners: new Set(),
      broken: null,
      onBroken: new Set(),
      send: (message) => proc.write(JSON.stringify(message) + '\n'),
      sendLine: (line) => proc.write(line + '\n'),
      exited: proc.exited,
    };
    const breakWith = (why: string) => {
      if (live.broken !== null) return;
      live.broken = why;
      proc.kill();
      for (const f of live.onBroken) f();
    };
    proc.onBroken = breakWith;
    proc.onLine = (line) => {
      let message: WorkerToHost;
      try {
        message = JSON.parse(line) as WorkerToHost;
      } catch {
        return breakWith('a message that is not JSON');
      }
      if (message === null || typeof message !== 'object') return breakWith('a message that is not an object');
      const bytes = Buffer.byteLength(line, 'utf8');
      for (const f of [...live.listeners]) f(message, bytes);
    };
    const exited = proc.exited;

    return new Promise<LiveWorker>((resolve, reject) => {
      let started = false;
      const timer = setTimeout(() => {
        proc.kill();
        reject(new Error(`The sandbox process did not start within ${o.startTimeoutMs / 1000} s.`));
      }, o.startTimeoutMs);
      const onReady = (message: WorkerToHost) => {
        if (message.type !== 'ready') return;
        started = true;
        if (limited) dataLimitWorks = true;
        clearTimeout(timer);
        live.listeners.delete(onReady);
        resolve(live);
      };
      live.listeners.add(onReady);
      void exited.then((exit) => {
        clearTimeout(timer);
        if (started) return;
        // A runtime that cannot start under the data limit (Node 24's V8 reserves its code
        // range as data: "Failed to reserve virtual memory for CodeRange"; Electron's may too):
        // from now on start without it; V8's heap limit and the typed-array budget still hold.
        // Every start that was under way with the limit retries once without it.
        if (limited) {
          dataLimitWorks = false;
          this.workersStarted--;
          this.spawn().then(resolve, reject);
          return;
        }
        // Start-up errors name files by absolute path (the bundle, Node's own modules).
        const detail = startupDetail(exit.stderr);
        reject(new Error(scrubHostPaths(`The sandbox process failed to start (exit code ${exit.code ?? exit.signal ?? 'unknown'}${detail ? `: ${detail}` : ''}).`)));
      });
      live.send({ type: 'init', ...init });
    });
  }

  /** Ends the current sandbox process and starts a fresh one in the background. */
  private async replaceWorker(): Promise<void> {
    const old = this.live;
    this.live = null;
    if (old) {
      const live = await old.catch(() => null);
      if (live) {
        live.proc.kill();
        await live.exited;
      }
    }
    if (!this.disposed) {
      this.live = this.spawn();
      this.live.catch(() => {}); // surfaced by the next cell that needs it
    }
  }

  /**
   * Runs one cell. Its host calls go to `opts.handleCall`, else to the sandbox's own handler:
   * a session's sandbox outlives the run that answers a given cell's calls.
   */
  async runCell(source: string, opts: { signal?: AbortSignal; handleCall?: HostCallHandler; repoName?: string } = {}): Promise<CellOutcome> {
    const handleCall = opts.handleCall ?? this.options.handleCall;
    const o = this.options;
    const started = performance.now();
    const finish = (partial: Partial<CellOutcome>): CellOutcome => ({
      output: '',
      error: null,
      answer: this.currentAnswer,
      answerProblem: null,
      reset: null,
      durationMs: performance.now() - started,
      ...partial,
    });

    // Checked before anything reads the text: the sandbox parses it, the host only measures it.
    if (source.length > o.maxCellChars) return finish({ error: cellTooLong(source.length, o.maxCellChars) });
    if (opts.signal?.aborted) return finish({ error: 'Cancelled.', reset: null });

    const live = await this.worker();
    // Cancelled while the sandbox was starting: nothing has run.
    if (opts.signal?.aborted) return finish({ error: 'Cancelled.', reset: null });
    const cellId = ++this.cellCounter;
    const calls = new AbortController();
    // One listener per queued or in-flight host call (a 200-prompt llm.batch) is expected.
    setMaxListeners(0, calls.signal);

    return new Promise<CellOutcome>((resolve) => {
      let settled = false;
      /** Calls received and not yet answered, queued or running: the guest is waiting on them. */
      let outstanding = 0;
      let running = 0;
      const queue: Array<() => void> = [];
      let callsSeen = 0;
      let bytesSeen = 0;
      let usedMs = 0;
      let runningSince: number | null = performance.now();
      let timer: NodeJS.Timeout | null = null;

      const armTimer = () => {
        const remaining = o.cellTimeoutMs - usedMs;
        timer = setTimeout(() => stop('timeout'), Math.max(0, remaining));
      };
      const pauseClock = () => {
        if (runningSince !== null) usedMs += performance.now() - runningSince;
        runningSince = null;
        if (timer) clearTimeout(timer);
        timer = null;
      };
      const resumeClock = () => {
        runningSince = performance.now();
        armTimer();
      };

      const cleanup = () => {
        settled = true;
        if (timer) clearTimeout(timer);
        live.listeners.delete(onMessage);
        live.onBroken.delete(onBroken);
        opts.signal?.removeEventListener('abort', onAbort);
        // Calls still waiting for their turn are dropped (with their arguments; none starts once
        // settled), running ones see the abort.
        queue.length = 0;
        calls.abort();
      };

      const stop = (reason: ResetReason, detail?: string) => {
        if (settled) return;
        cleanup();
        void this.replaceWorker().then(() => resolve(finish({ error: detail ?? resetMessage(reason, o), reset: reason })));
      };

      const onAbort = () => stop('cancelled', 'Cancelled.');
      const onBroken = () => stop('crashed', `The sandbox sent ${live.broken ?? 'something unreadable'}. ${STATE_LOST}`);

      // What the results of this cell's calls weigh, as they are sent: past maxReturnedBytes a
      // result is not sent, and the call fails with a message instead.
      let returned = 0;
      const reply = (message: HostToWorker) => {
        if (settled) return;
        if (message.type !== 'rpc-result' || !message.ok) return live.send(message);
        const line = JSON.stringify(message);
        if (returned + line.length > o.maxReturnedBytes) {
          live.send({ type: 'rpc-result', callId: message.callId, ok: false, error: { name: 'RangeError', message: returnedTooMuch(o.maxReturnedBytes, returned, line.length) } });
          return;
        }
        returned += line.length;
        live.sendLine(line);
      };

      const startCall = (message: Extract<WorkerToHost, { type: 'rpc' }>, args: unknown[]) => {
        running++;
        void this.answerCall(message, args, handleCall, calls.signal, reply).finally(() => {
          running--;
          if (--outstanding === 0 && !settled) resumeClock();
          if (!settled) queue.shift()?.();
        });
      };

      const onRpc = (message: Extract<WorkerToHost, { type: 'rpc' }>, bytes: number) => {
        // The sandbox enforces these itself; a message past them means it is not the code we started.
        callsSeen++;
        bytesSeen += bytes;
        if (bytes > o.maxCallBytes + RPC_ENVELOPE_BYTES || bytesSeen > o.maxCellBytes + callsSeen * RPC_ENVELOPE_BYTES || callsSeen > o.maxCallsPerCell) {
          return stop('crashed', `The sandbox went past its limits for host calls. ${STATE_LOST}`);
        }
        const args = readArgs(message);
        if (typeof message.callId !== 'number' || args === null) return stop('crashed', `The sandbox sent a malformed call. ${STATE_LOST}`);
        if (outstanding++ === 0) pauseClock();
        if (running < o.maxCallsInFlight) startCall(message, args);
        else queue.push(() => startCall(message, args));
      };

      const onMessage = (message: WorkerToHost, bytes: number) => {
        if (settled) return;
        if (message.type === 'rpc' && message.cellId === cellId) onRpc(message, bytes);
        else if (message.type === 'done' && message.cellId === cellId) {
          const outcome = readDone(message, o.maxOutputChars);
          if (!outcome) return stop('crashed', `The sandbox sent a malformed result. ${STATE_LOST}`);
          cleanup();
          this.answer = outcome.answer;
          void this.checkIdle(live).then(async (idle) => {
            if (!idle) await this.replaceWorker();
            resolve(
              finish({
                ...outcome,
                reset: idle ? null : 'background',
                error: idle ? outcome.error : joinLines(outcome.error, resetMessage('background', o)),
              }),
            );
          });
        }
      };

      live.listeners.add(onMessage);
      live.onBroken.add(onBroken);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      void live.exited.then((exit) => {
        if (settled) return;
        stop(exitedOutOfMemory(exit) ? 'memory' : 'crashed');
      });

      armTimer();
      live.send({ type: 'run', cellId, source, answer: this.answer, repoName: opts.repoName ?? o.repoName });
    });
  }

  private async answerCall(
    message: Extract<WorkerToHost, { type: 'rpc' }>,
    rawArgs: unknown[],
    handleCall: HostCallHandler | undefined,
    signal: AbortSignal,
    reply: (m: HostToWorker) => void,
  ): Promise<void> {
    const callId = message.callId;
    if (!this.api.has(message.name)) {
      reply({ type: 'rpc-result', callId, ok: false, error: { name: 'TypeError', message: 'Unknown sandbox function.' } });
      return;
    }
    try {
      const args = this.api.check(message.name, rawArgs);
      if (!handleCall) throw new Error(`${message.name} is not available here.`);
      const value = await handleCall(message.name, args, signal);
      reply({ type: 'rpc-result', callId, ok: true, value });
    } catch (error) {
      const e = error as { name?: unknown; message?: unknown };
      const text = typeof e?.message === 'string' ? e.message : String(error);
      reply({
        type: 'rpc-result',
        callId,
        ok: false,
        error: { name: typeof e?.name === 'string' ? e.name.slice(0, 100) : 'Error', message: scrubHostPaths(text.slice(0, MAX_ERROR_CHARS)) },
      });
    }
  }

  /**
   * The variables earlier cells left in the REPL (names and a short summary), for telling a
   * follow-up question what it can reuse. Empty when no sandbox is live (nothing was kept);
   * null when it did not answer within the idle-check time.
   */
  async describeVariables(): Promise<GuestVariable[] | null> {
    if (this.live === null || this.disposed) return [];
    const live = await this.live.catch(() => null);
    if (live === null) return [];
    return new Promise((resolve) => {
      const seq = ++this.cellCounter;
      const timer = setTimeout(() => {
        live.listeners.delete(onMessage);
        resolve(null);
      }, this.options.idleCheckMs);
      const onMessage = (message: WorkerToHost) => {
        if (message.type !== 'variables' || message.seq !== seq) return;
        clearTimeout(timer);
        live.listeners.delete(onMessage);
        resolve(readVariables(message.variables));
      };
      live.listeners.add(onMessage);
      live.send({ type: 'variables', seq });
    });
  }

  /** True when the sandbox answers a ping promptly, i.e. nothing is left running in it. */
  private checkIdle(live: LiveWorker): Promise<boolean> {
    return new Promise((resolve) => {
      const seq = ++this.cellCounter;
      const timer = setTimeout(() => {
        live.listeners.delete(onMessage);
        resolve(false);
      }, this.options.idleCheckMs);
      const onMessage = (message: WorkerToHost) => {
        if (message.type === 'pong' && message.seq === seq) {
          clearTimeout(timer);
          live.listeners.delete(onMessage);
          resolve(true);
        }
      };
      live.listeners.add(onMessage);
      live.send({ type: 'ping', seq });
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const live = await this.live?.catch(() => null);
    this.live = null;
    if (live) {
      live.proc.kill();
      await live.exited;
    }
  }
}

/**
 * What the sandbox process may map for data, in MiB: its heap, young generation and typed
 * arrays, and room for what an idle Node process maps (about 64 MiB) and the memory V8 and
 * Node allocate outside the heap (the parser's, JSON.parse's, regular expressions').
 */
/** Whether sandboxes start under the OS data limit here: unknown until the first start says. */
let dataLimitWorks: boolean | undefined;

/** For tests: forget what the first start found out about the data limit. */
export function resetDataLimitProbe(): void {
  dataLimitWorks = undefined;
}

export function dataLimitMb(o: { heapMb: number; semiSpaceMb: number; arrayBufferMb: number }): number {
  return o.heapMb + 3 * o.semiSpaceMb + o.arrayBufferMb + 128 + CODE_RANGE_MB;
}

/**
 * What V8 reserves for its code range counts as data from Node 22 on (measured: Node 24 does
 * not start under 600 MiB, "Failed to reserve virtual memory for CodeRange"); Node 20's does not.
 */
const CODE_RANGE_MB = Number(process.versions.node.split('.')[0]) >= 22 ? 512 : 0;

/**
 * On Linux, the command that starts `command` under an operating-system limit on its data
 * (RLIMIT_DATA, through the shell's ulimit): every allocation outside V8's heap limit, the
 * parser's or JSON.parse's, then fails inside the sandbox instead of growing the machine's
 * memory. Elsewhere, or without /bin/sh, the command as it is.
 */
function withDataLimit(command: string, args: string[], limitMb: number): [string, string[]] {
  if (process.platform !== 'linux' || !existsSync('/bin/sh')) return [command, args];
  // The numbers and paths travel as positional parameters, never inside the script.
  // PWD is unset again: the shell sets it, and the sandbox gets an empty environment.
  return ['/bin/sh', ['-c', 'ulimit -d "$1" 2>/dev/null; shift; unset PWD; exec "$@"', 'rlm-sandbox', String(limitMb * 1024), command, ...args]];
}

/** The positional arguments of a call from the (untrusted) sandbox, with its undefined ones restored; null when malformed. */
function readArgs(m: Extract<WorkerToHost, { type: 'rpc' }>): unknown[] | null {
  if (!Array.isArray(m.args) || !Array.isArray(m.undefinedAt)) return null;
  const args = m.args.slice();
  for (const i of m.undefinedAt) {
    if (!Number.isInteger(i) || i < 0 || i >= args.length) return null;
    args[i] = undefined;
  }
  return args;
}

/** V8's fatal out-of-memory and allocation-size errors: the process died of its memory limits. */
function exitedOutOfMemory(exit: ProcessExit): boolean {
  return /heap out of memory|Allocation failed|invalid size error|invalid table size|invalid array length|bad_alloc|out of memory/i.test(exit.stderr);
}

/** The line of a failed start-up's stderr that says what went wrong ("Error: Cannot find module ..."). */
function startupDetail(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines.find((l) => /^(\w*Error\b|FATAL ERROR|Fatal)/.test(l)) ?? lines[0] ?? '').slice(0, 300);
}

/** Checks the (untrusted) sandbox's list of variables; keeps only well-formed, short entries. */
function readVariables(value: unknown): GuestVariable[] {
  if (!Array.isArray(value)) return [];
  const out: GuestVariable[] = [];
  for (const v of value.slice(0, 60)) {
    const { name, summary } = (v ?? {}) as { name?: unknown; summary?: unknown };
    if (typeof name === 'string' && typeof summary === 'string' && /^[A-Za-z_$][\w$]{0,79}$/.test(name)) {
      out.push({ name, summary: summary.slice(0, 100) });
    }
  }
  return out;
}

function joinLines(...parts: Array<string | null>): string {
  return parts.filter(Boolean).join('\n');
}

const STATE_LOST = 'The sandbox was restarted: variables from earlier cells are gone (answer.content is kept as of the last completed cell).';

function cellTooLong(chars: number, max: number): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return (
    `The cell is ${n(chars)} characters, more than the ${n(max)} a cell may have, so it was not run. ` +
    'Keep data out of the code (read it with repo.read, build it with loops) and send shorter cells.'
  );
}

function resetMessage(reason: ResetReason, options: { cellTimeoutMs: number; heapMb: number; arrayBufferMb: number }): string {
  const lost = STATE_LOST;
  switch (reason) {
    case 'timeout':
      return `The cell was stopped after running for ${options.cellTimeoutMs / 1000} s (the cell time limit). ${lost} Avoid unbounded loops; process data in smaller steps.`;
    case 'memory':
      return `The cell ran out of memory (limit ${options.heapMb} MiB) and was stopped. ${lost} Keep less in memory: slice, filter or summarise instead of holding everything, and build big arrays and strings in pieces.`;
    case 'background':
      return `Code kept running after the cell ended (e.g. a promise chain or loop that was not awaited). ${lost} Await everything you start.`;
    case 'crashed':
      return `The sandbox crashed while running the cell. ${lost}`;
    case 'cancelled':
      return 'Cancelled.';
  }
}

/** Checks a `done` message from the (untrusted) sandbox; null when malformed. */
function readDone(m: Extract<WorkerToHost, { type: 'done' }>, maxOutputChars: number) {
  if (typeof m.output !== 'string' || m.output.length > maxOutputChars + 16) return null;
  if (typeof m.cutChars !== 'number' || !(m.error === null || typeof m.error === 'string')) return null;
  if (!m.answer || typeof m.answer.content !== 'string' || typeof m.answer.ready !== 'boolean') return null;
  if (m.answer.content.length > MAX_ANSWER_CHARS) return null;
  const cutNote =
    m.cutChars > 0
      ? `\n[output cut: ${m.cutChars.toLocaleString('en-US')} more characters not shown. Print less: slice, count or summarise in code.]`
      : '';
  const unawaited = typeof m.unawaitedCalls === 'number' && m.unawaitedCalls > 0
    ? `\n[${m.unawaitedCalls} sandbox call${m.unawaitedCalls === 1 ? ' was' : 's were'} still running when the cell ended and ${m.unawaitedCalls === 1 ? 'was' : 'were'} dropped: await every repo/llm/rlm call.]`
    : '';
  return {
    output: m.output + cutNote + unawaited,
    error: m.error === null ? null : scrubHostPaths(m.error.slice(0, MAX_ERROR_CHARS)),
    answer: { content: m.answer.content, ready: m.answer.ready },
    answerProblem: typeof m.answerProblem === 'string' ? scrubHostPaths(m.answerProblem.slice(0, MAX_ERROR_CHARS)) : null,
  };
}
