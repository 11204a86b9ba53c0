/**
 * Where guest-chosen regexes and globs run: a worker thread (grepWorker.ts) that does one
 * job at a time under a deadline, never the host's thread. The host (the CLI, or the
 * editor's shared extension host) must never stall on a pattern the model wrote, and no
 * static check can tell every slow regex from a fast one ((a+){30}, \w*\w*\w*!, lazy
 * groups and back-references all backtrack; a glob with many `*` compiles to such a
 * regex), so each job gets a deadline instead:
 *
 *   - the deadline is JOB_BASE_MS plus JOB_MS_PER_MIB per MiB of text in the job (a job is
 *     at most a few hundred KiB of lines, or a few whole files: a sane pattern needs a few
 *     milliseconds for it, so a deadline of a second only ever stops work that would have
 *     run for minutes or years);
 *   - a job that overruns it has its worker terminated (V8 interrupts a running regex) and
 *     rejects with `WorkerOverrun`; the next job starts on a fresh worker, so the next call
 *     works;
 *   - each grep call also has a budget of worker time over all its jobs (GREP_BUDGET_MS),
 *     so a pattern slow on every line, not astronomically on one, still ends with a
 *     message rather than at the cell's time limit;
 *   - a job whose caller's signal aborts (the cell ended, the run was cancelled) leaves the
 *     queue, or, when it is running, has its worker terminated too.
 *
 * Jobs from all callers queue in arrival order; each caller keeps at most one job in
 * flight, so concurrent greps take turns. The worker is started on first use, does not
 * keep the process alive while idle, and exits after IDLE_MS without work.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WorkerReply, WorkerRequest } from './grepProtocol';

export const JOB_BASE_MS = 1000;
export const JOB_MS_PER_MIB = 500;
export const GREP_BUDGET_MS = 30_000;
const IDLE_MS = 2000;
/** A worker that has not said it is ready by then will not. */
const BOOT_MS = 20_000;
/** The worker's heap: its jobs hold a few MiB; a giant line must not grow the host without bound. */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32 } as const;

/** Worker time one grep call may use over all its jobs; create one per call. */
export interface WorkBudget {
  spentMs: number;
  readonly limitMs: number;
}

export function workBudget(limitMs = GREP_BUDGET_MS): WorkBudget {
  return { spentMs: 0, limitMs };
}

/** A job that ran past its deadline, past its call's budget, or whose worker died under it. */
export class WorkerOverrun extends Error {
  override readonly name = 'WorkerOverrun';
  constructor(
    readonly reason: 'deadline' | 'budget' | 'crash',
    /** How long the job ran, or all of the call's jobs for 'budget'. */
    readonly ms: number,
    detail: string,
  ) {
    super(detail);
  }
}

/** The caller's signal aborted. */
export class WorkCancelled extends Error {
  override readonly name = 'WorkCancelled';
}

/** The worker cannot be started (its bundle is missing, or it dies while booting). */
export class WorkerUnavailable extends Error {
  override readonly name = 'WorkerUnavailable';
}

/** The worker answered the job with a failure; `repoError`: `message` is for the model. */
export class WorkerJobError extends Error {
  override readonly name = 'WorkerJobError';
  constructor(
    message: string,
    readonly repoError: boolean,
  ) {
    super(message);
  }
}

type Request = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;
type Kind = WorkerRequest['kind'];
export type ReplyOf<K extends Kind> = Extract<WorkerReply, { ok: true; kind: K }>;

export interface JobOptions {
  signal?: AbortSignal;
  budget?: WorkBudget;
  /** Characters (or bytes) of text the job carries; the deadline grows with it. */
  size: number;
}

interface Job {
  id: number;
  request: Request;
  options: JobOptions;
  resolve(reply: WorkerReply): void;
  reject(error: Error): void;
  onAbort: () => void;
  started: number;
  timer: NodeJS.Timeout | null;
  byBudget: boolean;
}

export interface PoolOptions {
  jobBaseMs?: number;
  jobMsPerMiB?: number;
  idleMs?: number;
}

export class GrepWorkerPool {
  private worker: Worker | null = null;
  private ready = false;
  private bootTimer: NodeJS.Timeout | null = null;
  private readonly queue: Job[] = [];
  private running: Job | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private readonly jobBaseMs: number;
  private readonly jobMsPerMiB: number;
  private readonly idleMs: number;
  /** Workers started and terminated after an overrun, for tests and diagnostics. */
  readonly stats = { started: 0, overruns: 0 };

  constructor(options: PoolOptions = {}) {
    this.jobBaseMs = options.jobBaseMs ?? JOB_BASE_MS;
    this.jobMsPerMiB = options.jobMsPerMiB ?? JOB_MS_PER_MIB;
    this.idleMs = options.idleMs ?? IDLE_MS;
  }

  /** Jobs waiting for the worker (for tests and diagnostics). */
  get queued(): number {
    return this.queue.length;
  }

  /** The worker's thread id while one runs (for tests), else null. */
  get threadId(): number | null {
    return this.worker?.threadId ?? null;
  }

  run<K extends Kind>(request: Extract<Request, { kind: K }>, options: JobOptions): Promise<ReplyOf<K>> {
    return new Promise<WorkerReply>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new WorkCancelled('cancelled'));
        return;
      }
      const job: Job = {
        id: this.nextId++,
        request,
        options,
        resolve,
        reject,
        onAbort: () => this.cancel(job),
        started: 0,
        timer: null,
        byBudget: false,
      };
      options.signal?.addEventListener('abort', job.onAbort, { once: true });
      this.queue.push(job);
      this.pump();
    }).then((reply) => {
      if (!reply.ok) throw new WorkerJobError(reply.message, reply.repoError);
      return reply as ReplyOf<K>;
    });
  }

  /** Terminates the worker now (it restarts on the next job); pending jobs fail as cancelled. */
  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) this.settle(job, new WorkCancelled('closed'));
    if (this.running !== null) this.settle(this.running, new WorkCancelled('closed'));
    this.running = null;
    await this.kill();
  }

  private pump(): void {
    if (this.running !== null) return;
    if (this.queue.length === 0) {
      this.goIdle();
      return;
    }
    this.wake();
    const worker = this.worker ?? this.start();
    if (worker === null || !this.ready) return; // start() failed and rejected everything queued, or 'ready' pumps again
    const job = this.queue.shift()!;
    let deadline = this.jobBaseMs + (job.options.size / 2 ** 20) * this.jobMsPerMiB;
    const budget = job.options.budget;
    if (budget !== undefined) {
      const left = budget.limitMs - budget.spentMs;
      if (left <= 0) {
        this.settle(job, new WorkerOverrun('budget', budget.spentMs, 'budget spent'));
        this.pump();
        return;
      }
      if (left < deadline) {
        deadline = left;
        job.byBudget = true;
      }
    }
    this.running = job;
    job.started = performance.now();
    worker.postMessage({ ...job.request, id: job.id });
    job.timer = setTimeout(() => this.overrun(job), deadline);
  }

  private start(): Worker | null {
    let worker: Worker;
    try {
      const source = workerSource();
      worker = new Worker(source.filename, { ...source.options, resourceLimits: RESOURCE_LIMITS });
    } catch (err) {
      this.failAll(new WorkerUnavailable((err as Error).message));
      return null;
    }
    this.stats.started++;
    this.worker = worker;
    this.ready = false;
    this.bootTimer = setTimeout(() => {
      if (this.worker === worker && !this.ready) {
        void this.kill();
        this.failAll(new WorkerUnavailable('the grep worker did not start'));
      }
    }, BOOT_MS);
    worker.on('message', (message: WorkerReply | { ready: true }) => {
      if (this.worker !== worker) return;
      if ('ready' in message) {
        this.ready = true;
        if (this.bootTimer !== null) clearTimeout(this.bootTimer);
        this.bootTimer = null;
        this.pump();
        return;
      }
      const job = this.running;
      if (job === null || job.id !== message.id) return;
      this.running = null;
      this.charge(job);
      this.settle(job, null, message);
      this.pump();
    });
    const died = (err: Error): void => {
      if (this.worker !== worker) return; // one we terminated
      const wasReady = this.ready;
      this.worker = null;
      this.ready = false;
      if (this.bootTimer !== null) clearTimeout(this.bootTimer);
      this.bootTimer = null;
      const job = this.running;
      this.running = null;
      if (!wasReady) {
        this.failAll(new WorkerUnavailable(err.message));
        return;
      }
      if (job !== null) {
        this.charge(job);
        this.settle(job, new WorkerOverrun('crash', performance.now() - job.started, err.message));
      }
      this.pump();
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`the grep worker exited with code ${code}`)));
    return worker;
  }

  private overrun(job: Job): void {
    if (this.running !== job) return;
    this.running = null;
    this.stats.overruns++;
    void this.kill();
    this.charge(job);
    const ms = job.byBudget ? job.options.budget!.spentMs : performance.now() - job.started;
    this.settle(job, new WorkerOverrun(job.byBudget ? 'budget' : 'deadline', ms, 'deadline passed'));
    this.pump();
  }

  private cancel(job: Job): void {
    const i = this.queue.indexOf(job);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.settle(job, new WorkCancelled('cancelled'));
      return;
    }
    if (this.running === job) {
      // Its regex may run for ages: the only way to stop it is to end the thread.
      this.running = null;
      void this.kill();
      this.settle(job, new WorkCancelled('cancelled'));
      this.pump();
    }
  }

  private charge(job: Job): void {
    if (job.options.budget !== undefined) job.options.budget.spentMs += performance.now() - job.started;
  }

  private settle(job: Job, error: Error | null, reply?: WorkerReply): void {
    if (job.timer !== null) clearTimeout(job.timer);
    job.timer = null;
    job.options.signal?.removeEventListener('abort', job.onAbort);
    if (error !== null) job.reject(error);
    else job.resolve(reply!);
  }

  private failAll(error: Error): void {
    for (const job of this.queue.splice(0)) this.settle(job, error);
  }

  private async kill(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.ready = false;
    if (this.bootTimer !== null) clearTimeout(this.bootTimer);
    this.bootTimer = null;
    if (worker !== null) await worker.terminate().catch(() => undefined);
  }

  /** No work: let the process exit, and end the thread if nothing comes for a while. */
  private goIdle(): void {
    if (this.worker === null || this.idleTimer !== null) return;
    this.worker.unref();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.running === null && this.queue.length === 0) void this.kill();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  private wake(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.worker?.ref();
  }
}

let shared: GrepWorkerPool | null = null;

/** The process's grep worker pool: every view, run and session shares one worker. */
export function sharedGrepWorkers(): GrepWorkerPool {
  shared ??= new GrepWorkerPool();
  return shared;
}

/**
 * How to start the worker: the bundled dist/grep-worker.js next to the bundle that runs
 * this (dist/cli.js, dist/extension.js) or in a dist/ above (bench children); from source
 * (tests under tsx), the TypeScript file itself through tsx's loader, so it is never stale.
 */
function workerSource(): { filename: string; options: { eval?: boolean } } {
  if (__filename.endsWith('.ts')) {
    const source = path.join(__dirname, 'grepWorker.ts');
    let tsx: string | null = null;
    try {
      tsx = require.resolve('tsx/cjs/api');
    } catch {
      // not installed: use the bundle below
    }
    if (tsx !== null && fs.existsSync(source)) {
      return { filename: `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(source)});`, options: { eval: true } };
    }
  }
  const candidates = [path.join(__dirname, 'grep-worker.js')];
  for (let dir = __dirname, i = 0; i < 6; i++, dir = path.dirname(dir)) candidates.push(path.join(dir, 'dist', 'grep-worker.js'));
  const found = candidates.find((c) => fs.existsSync(c));
  if (found === undefined) throw new Error('The grep worker bundle (dist/grep-worker.js) is missing. Run `npm run build` first.');
  return { filename: found, options: {} };
}
