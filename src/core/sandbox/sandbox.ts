/**
 * The host side of the sandbox: owns one warm worker per RLM session, runs cells in it,
 * answers its host-function calls, and replaces it when a cell must be stopped.
 *
 * The cell time limit counts only time the guest spends running: while a host call is in
 * flight (an llm() fan-out can take minutes) the clock is paused, so the limit catches
 * runaway code, not slow models. Wall time as a whole is the engine's budget.
 */
import { setMaxListeners } from 'node:events';
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { CORE_SANDBOX_API, type SandboxApi } from './api';
import { transformCell } from './cellTransform';
import type { AnswerState, GuestVariable, HostToWorker, WorkerInit, WorkerToHost } from './protocol';
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
  /** Heap limit of the worker (old generation), in MiB. */
  heapMb?: number;
  /** How long an idle worker may take to answer a ping after a cell before it counts as busy. */
  idleCheckMs?: number;
  workerPath?: string;
}

export type ResetReason = 'timeout' | 'memory' | 'background' | 'crashed' | 'cancelled';

export interface CellOutcome {
  /** What the cell printed, with a note when it was cut. */
  output: string;
  /** The thrown error or refusal, as the model should read it. */
  error: string | null;
  answer: AnswerState;
  answerProblem: string | null;
  /** Set when the worker was replaced during or after this cell: all guest state is gone. */
  reset: ResetReason | null;
  durationMs: number;
}

export const SANDBOX_DEFAULTS = {
  cellTimeoutMs: 60_000,
  maxOutputChars: 20_000,
  heapMb: 512,
  idleCheckMs: 1_000,
} as const;

/** Finds dist/sandbox-worker.js whether we run from the bundle (dist/) or from source. */
export function resolveWorkerPath(): string {
  const candidates = [path.join(__dirname, 'sandbox-worker.js')];
  for (let dir = __dirname, i = 0; i < 6; i++, dir = path.dirname(dir)) {
    candidates.push(path.join(dir, 'dist', 'sandbox-worker.js'));
  }
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error('The sandbox worker bundle (dist/sandbox-worker.js) is missing. Run `npm run build` first.');
  return found;
}

interface LiveWorker {
  worker: Worker;
  /** Resolves when the worker exits, for whatever reason. */
  exited: Promise<{ code: number; error: Error | null }>;
}

export class Sandbox {
  private readonly options: Required<Omit<SandboxOptions, 'workerPath' | 'api' | 'handleCall'>> & { workerPath: string; handleCall?: HostCallHandler };
  private readonly api: SandboxApi;
  private live: Promise<LiveWorker> | null = null;
  private cellCounter = 0;
  private answer: AnswerState = { content: '', ready: false };
  private disposed = false;
  /** Workers started over this sandbox's life (1 + number of resets). */
  workersStarted = 0;

  constructor(options: SandboxOptions) {
    const { api, ...rest } = options;
    this.options = { ...withDefaults(SANDBOX_DEFAULTS, rest), workerPath: options.workerPath ?? resolveWorkerPath() };
    this.api = api ?? CORE_SANDBOX_API;
  }

  get currentAnswer(): AnswerState {
    return { ...this.answer };
  }

  /** Replaces the answer seen by the next cell (the engine owns the answer between cells). */
  setAnswer(answer: AnswerState): void {
    this.answer = { ...answer };
  }

  /** Starts the worker now, so that the first cell does not pay for it. */
  warm(): Promise<void> {
    return this.worker().then(() => undefined);
  }

  private worker(): Promise<LiveWorker> {
    if (this.disposed) return Promise.reject(new Error('The sandbox has been disposed.'));
    this.live ??= this.spawn();
    return this.live;
  }

  private spawn(): Promise<LiveWorker> {
    this.workersStarted++;
    const init: WorkerInit = {
      repoName: this.options.repoName,
      hostFunctions: this.api.hostFunctions.map((f) => f.name),
      maxOutputChars: this.options.maxOutputChars,
    };
    const worker = new Worker(this.options.workerPath, {
      workerData: init,
      env: {},
      // Never inherit the host's flags (loaders, inspectors) into the sandbox.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: this.options.heapMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    let lastError: Error | null = null;
    worker.on('error', (error) => {
      lastError = error;
    });
    const exited = new Promise<{ code: number; error: Error | null }>((resolve) => {
      worker.once('exit', (code) => resolve({ code, error: lastError }));
    });
    return new Promise<LiveWorker>((resolve, reject) => {
      const onMessage = (message: WorkerToHost) => {
        if (message?.type !== 'ready') return;
        worker.off('message', onMessage);
        resolve({ worker, exited });
      };
      worker.on('message', onMessage);
      void exited.then(({ code, error }) =>
        reject(new Error(`The sandbox worker failed to start (exit code ${code}${error ? `: ${error.message}` : ''}).`)),
      );
    });
  }

  /** Terminates the current worker and starts a fresh one in the background. */
  private async replaceWorker(): Promise<void> {
    const old = this.live;
    this.live = null;
    if (old) {
      const live = await old.catch(() => null);
      if (live) await live.worker.terminate();
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

    const transformed = transformCell(source, this.api.reservedGlobals);
    if (!transformed.ok) return finish({ error: transformed.message });
    if (opts.signal?.aborted) return finish({ error: 'Cancelled.', reset: null });

    const live = await this.worker();
    const cellId = ++this.cellCounter;
    const { worker } = live;
    const calls = new AbortController();
    // One listener per queued or in-flight host call (a 200-prompt llm.batch) is expected.
    setMaxListeners(0, calls.signal);

    return new Promise<CellOutcome>((resolve) => {
      let settled = false;
      let inFlight = 0;
      let usedMs = 0;
      let runningSince: number | null = performance.now();
      let timer: NodeJS.Timeout | null = null;

      const armTimer = () => {
        const remaining = this.options.cellTimeoutMs - usedMs;
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
        worker.off('message', onMessage);
        worker.off('messageerror', onMessageError);
        opts.signal?.removeEventListener('abort', onAbort);
        calls.abort();
      };

      const stop = (reason: ResetReason, detail?: string) => {
        if (settled) return;
        cleanup();
        void this.replaceWorker().then(() => resolve(finish({ error: detail ?? resetMessage(reason, this.options), reset: reason })));
      };

      const onAbort = () => stop('cancelled', 'Cancelled.');

      const reply = (message: HostToWorker) => {
        if (!settled) worker.postMessage(message);
      };

      const onMessage = (message: WorkerToHost) => {
        if (settled || !message || typeof message !== 'object') return;
        if (message.type === 'rpc' && message.cellId === cellId) {
          void this.answerCall(message, handleCall, calls.signal, reply, {
            begin: () => inFlight++ === 0 && pauseClock(),
            end: () => --inFlight === 0 && !settled && resumeClock(),
          });
        } else if (message.type === 'done' && message.cellId === cellId) {
          const outcome = readDone(message, this.options.maxOutputChars);
          if (!outcome) return stop('crashed', `The sandbox sent a malformed result. ${STATE_LOST}`);
          cleanup();
          this.answer = outcome.answer;
          void this.checkIdle(live).then(async (idle) => {
            if (!idle) await this.replaceWorker();
            resolve(
              finish({
                ...outcome,
                reset: idle ? null : 'background',
                error: idle ? outcome.error : joinLines(outcome.error, resetMessage('background', this.options)),
              }),
            );
          });
        }
      };

      // A message the host cannot deserialize would otherwise vanish and leave the cell
      // waiting for its time limit.
      const onMessageError = () => stop('crashed', `A message from the sandbox could not be read (too large or too deeply nested). ${STATE_LOST}`);
      worker.on('message', onMessage);
      worker.on('messageerror', onMessageError);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      void live.exited.then(({ error }) => {
        if (settled) return;
        const oom = (error as NodeJS.ErrnoException | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
        stop(oom ? 'memory' : 'crashed');
      });

      armTimer();
      const run: HostToWorker = {
        type: 'run',
        cellId,
        script: transformed.script,
        declaredNames: transformed.declaredNames,
        answer: this.answer,
        repoName: opts.repoName ?? this.options.repoName,
      };
      worker.postMessage(run);
    });
  }

  private async answerCall(
    message: Extract<WorkerToHost, { type: 'rpc' }>,
    handleCall: HostCallHandler | undefined,
    signal: AbortSignal,
    reply: (m: HostToWorker) => void,
    clock: { begin: () => void; end: () => void },
  ): Promise<void> {
    const callId = message.callId;
    if (typeof callId !== 'number') return;
    if (!this.api.has(message.name)) {
      reply({ type: 'rpc-result', callId, ok: false, error: { name: 'TypeError', message: 'Unknown sandbox function.' } });
      return;
    }
    clock.begin();
    try {
      const args = this.api.check(message.name, message.args);
      if (!handleCall) throw new Error(`${message.name} is not available here.`);
      const value = await handleCall(message.name, args, signal);
      reply({ type: 'rpc-result', callId, ok: true, value });
    } catch (error) {
      const e = error as { name?: unknown; message?: unknown };
      reply({
        type: 'rpc-result',
        callId,
        ok: false,
        error: { name: typeof e?.name === 'string' ? e.name : 'Error', message: typeof e?.message === 'string' ? e.message : String(error) },
      });
    } finally {
      clock.end();
    }
  }

  /**
   * The variables earlier cells left in the REPL (names and a short summary), for telling a
   * follow-up question what it can reuse. Empty when no worker is live (nothing was kept);
   * null when the worker did not answer within the idle-check time.
   */
  async describeVariables(): Promise<GuestVariable[] | null> {
    if (this.live === null || this.disposed) return [];
    const live = await this.live.catch(() => null);
    if (live === null) return [];
    return new Promise((resolve) => {
      const seq = ++this.cellCounter;
      const timer = setTimeout(() => {
        live.worker.off('message', onMessage);
        resolve(null);
      }, this.options.idleCheckMs);
      const onMessage = (message: WorkerToHost) => {
        if (message?.type !== 'variables' || message.seq !== seq) return;
        clearTimeout(timer);
        live.worker.off('message', onMessage);
        resolve(readVariables(message.variables));
      };
      live.worker.on('message', onMessage);
      live.worker.postMessage({ type: 'variables', seq } satisfies HostToWorker);
    });
  }

  /** True when the worker answers a ping promptly, i.e. nothing is left running in it. */
  private checkIdle(live: LiveWorker): Promise<boolean> {
    return new Promise((resolve) => {
      const seq = ++this.cellCounter;
      const timer = setTimeout(() => {
        live.worker.off('message', onMessage);
        resolve(false);
      }, this.options.idleCheckMs);
      const onMessage = (message: WorkerToHost) => {
        if (message?.type === 'pong' && message.seq === seq) {
          clearTimeout(timer);
          live.worker.off('message', onMessage);
          resolve(true);
        }
      };
      live.worker.on('message', onMessage);
      live.worker.postMessage({ type: 'ping', seq } satisfies HostToWorker);
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const live = await this.live?.catch(() => null);
    this.live = null;
    if (live) await live.worker.terminate();
  }
}

/** Checks the (untrusted) worker's list of variables; keeps only well-formed, short entries. */
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

function resetMessage(reason: ResetReason, options: { cellTimeoutMs: number; heapMb: number }): string {
  const lost = STATE_LOST;
  switch (reason) {
    case 'timeout':
      return `The cell was stopped after running for ${options.cellTimeoutMs / 1000} s (the cell time limit). ${lost} Avoid unbounded loops; process data in smaller steps.`;
    case 'memory':
      return `The cell ran out of memory (limit ${options.heapMb} MiB) and was stopped. ${lost} Keep less in memory: slice, filter or summarise instead of holding everything.`;
    case 'background':
      return `Code kept running after the cell ended (e.g. a promise chain or loop that was not awaited). ${lost} Await everything you start.`;
    case 'crashed':
      return `The sandbox crashed while running the cell. ${lost}`;
    case 'cancelled':
      return 'Cancelled.';
  }
}

/** Checks a `done` message from the (untrusted) worker; null when malformed. */
function readDone(m: Extract<WorkerToHost, { type: 'done' }>, maxOutputChars: number) {
  if (typeof m.output !== 'string' || m.output.length > maxOutputChars + 16) return null;
  if (typeof m.cutChars !== 'number' || !(m.error === null || typeof m.error === 'string')) return null;
  if (!m.answer || typeof m.answer.content !== 'string' || typeof m.answer.ready !== 'boolean') return null;
  const cutNote =
    m.cutChars > 0
      ? `\n[output cut: ${m.cutChars.toLocaleString('en-US')} more characters not shown. Print less: slice, count or summarise in code.]`
      : '';
  const unawaited = typeof m.unawaitedCalls === 'number' && m.unawaitedCalls > 0
    ? `\n[${m.unawaitedCalls} sandbox call${m.unawaitedCalls === 1 ? ' was' : 's were'} still running when the cell ended and ${m.unawaitedCalls === 1 ? 'was' : 'were'} dropped: await every repo/llm/rlm call.]`
    : '';
  return {
    output: m.output + cutNote + unawaited,
    error: m.error === null ? null : m.error.slice(0, 4_000),
    answer: { content: m.answer.content, ready: m.answer.ready },
    answerProblem: typeof m.answerProblem === 'string' ? m.answerProblem.slice(0, 4_000) : null,
  };
}
