/**
 * The JavaScript regex as the judge of every grep line, run in the grep worker
 * (grepWorkerPool.ts), never on the host thread. Both engines feed it: the ripgrep path
 * the lines rg proposes (sourceGrep.ts), the JavaScript grep whole files' bytes or a big
 * file's lines (jsGrep.ts), the overlay the lines of unsaved text. It batches what it is
 * given (a few hundred KiB per job, so a deadline can be tight), keeps one job in flight
 * while the caller goes on producing, keeps matches in the order given, and stops at
 * `limit`. A job that overruns its deadline or the call's budget ends the grep with a
 * message naming the pattern, where it was slow and what to simplify.
 */
import type { GrepMatch } from './types';
import { RepoError } from './types';
import type { PatternSpec } from './grepProtocol';
import { GrepWorkerPool, WorkCancelled, WorkerJobError, WorkerOverrun, type JobOptions, type ReplyOf, type WorkBudget } from './grepWorkerPool';
import { backtrackingAdvice } from './regexRisk';
import { mapLimit } from './snapshot';

const BATCH_LINES = 2000;
const BATCH_CHARS = 256 * 1024;
const BATCH_FILES = 64;
const BATCH_FILE_BYTES = 1024 * 1024;

/** A grep ended by its deadline, its budget or its caller: the message is for the model. */
export class GrepStopped extends RepoError {}

/** A grep ended by its caller's signal. */
export class GrepCancelled extends GrepStopped {}

export function cancelledError(pattern: string): GrepCancelled {
  return new GrepCancelled(`repo.grep(${shortPattern(pattern)}) was cancelled (its cell ended or the run was stopped).`);
}

/** Binary sniffs (a read of 8 KiB each) one batch runs at once. */
const SNIFFS_AT_ONCE = 32;

export interface JudgeOptions {
  pool: GrepWorkerPool;
  spec: PatternSpec;
  limit: number;
  budget: WorkBudget;
  /** The grep's cancellation: the cell ended or the run was stopped. */
  signal?: AbortSignal;
  /** The whole of lines the search engine cut short (of one file), or null when it cannot be had. */
  wholeLines?(path: string, lines: readonly number[]): Promise<WholeLines | null>;
  /** Called after each batch's matches were added. */
  onProgress?(): void;
}

interface PendingLine {
  path: string;
  line: number;
  text: string;
  cut: boolean;
  /** Whether the line's file is binary (then the line is dropped): asked once per file, when the batch goes out. */
  skip?: () => Promise<boolean>;
}

interface PendingFile {
  path: string;
  bytes: Uint8Array;
}

/** The whole of cut lines: their file's bytes (the worker finds the lines), or the lines (null: no such line). */
export type WholeLines = { bytes: Uint8Array } | { texts: Array<string | null> };

/** Where a job was slow, for the message. */
interface Where {
  paths: string[];
  lines: number;
  longest: number;
  /** The longest line was cut by the search engine: it is longer still. */
  longestCut?: boolean;
  bytes: number;
}

export class LineJudge {
  readonly matches: GrepMatch[] = [];
  /** True once `limit` matches were found or the judge failed: push no more. */
  done = false;
  private lines: PendingLine[] = [];
  private linesChars = 0;
  private files: PendingFile[] = [];
  private filesBytes = 0;
  private inflight: Promise<void> | null = null;
  private failed: unknown = null;

  constructor(private readonly o: JudgeOptions) {}

  /**
   * Adds one line; returns a promise (await it before pushing more) when a batch went out.
   * `skip` (a file's binary sniff; the same function for every line of a file) is called
   * when the batch is sent, a few files at a time; a caller may have started the sniff
   * long before and return it.
   */
  pushLine(path: string, line: number, text: string, cut: boolean, skip?: () => Promise<boolean>): Promise<void> | undefined {
    if (this.done) return undefined;
    if (this.files.length > 0) return this.flush().then(() => this.pushLine(path, line, text, cut, skip));
    this.lines.push({ path, line, text, cut, skip });
    this.linesChars += text.length;
    // Also as soon as the batch could complete the grep: its lines then get judged (and the
    // search stopped) without waiting for a full batch, which a sparse search may never fill.
    const full = this.lines.length >= BATCH_LINES || this.linesChars >= BATCH_CHARS || this.lines.length >= this.o.limit - this.matches.length;
    return full ? this.flush() : undefined;
  }

  /** Adds a whole file's bytes (lines as lines.ts splits them); as pushLine. */
  pushFile(path: string, bytes: Uint8Array): Promise<void> | undefined {
    if (this.done) return undefined;
    if (this.lines.length > 0) return this.flush().then(() => this.pushFile(path, bytes));
    this.files.push({ path, bytes });
    this.filesBytes += bytes.length;
    return this.files.length >= BATCH_FILES || this.filesBytes >= BATCH_FILE_BYTES ? this.flush() : undefined;
  }

  /** Judges what is left and returns the matches (at most `limit`), or throws why it stopped. */
  async finish(): Promise<GrepMatch[]> {
    await this.flush();
    if (this.inflight !== null) await this.inflight;
    this.check();
    return this.matches;
  }

  /** Waits for the job in flight, then sends the batch; resolves once it is sent. */
  private async flush(): Promise<void> {
    if (this.inflight !== null) await this.inflight;
    this.check();
    let work: Promise<void> | null = null;
    if (this.done) {
      this.lines = [];
      this.files = [];
    } else if (this.lines.length > 0) {
      work = this.judgeLines(this.lines);
      this.lines = [];
    } else if (this.files.length > 0) {
      work = this.judgeFiles(this.files);
      this.files = [];
    }
    this.linesChars = 0;
    this.filesBytes = 0;
    this.inflight =
      work === null
        ? null
        : work.catch((err: unknown) => {
            this.failed ??= err;
            this.done = true;
          });
  }

  /** Why the judge stopped early (a GrepStopped), or null. */
  get failure(): unknown {
    return this.failed;
  }

  private check(): void {
    if (this.failed !== null) throw this.failed;
  }

  private async judgeLines(pending: PendingLine[]): Promise<void> {
    const skips = new Map<() => Promise<boolean>, boolean>();
    for (const r of pending) if (r.skip !== undefined) skips.set(r.skip, false);
    if (skips.size > 0) {
      const asks = [...skips.keys()];
      const answers = await mapLimit(asks, SNIFFS_AT_ONCE, (ask) => ask());
      asks.forEach((ask, i) => skips.set(ask, answers[i]!));
    }
    const batch = skips.size > 0 ? pending.filter((r) => r.skip === undefined || !skips.get(r.skip)) : pending;
    if (batch.length === 0) return;
    const texts = batch.map((r) => r.text);
    const cut = Uint8Array.from(batch, (r) => (r.cut ? 1 : 0));
    const where = (): Where => linesWhere(batch);
    const reply = await this.run({ kind: 'lines', spec: this.o.spec, texts, cut, limit: this.o.limit - this.matches.length }, sum(texts), where);
    const found: Array<[index: number, text: string]> = [];
    reply.hits.forEach((i, k) => found.push([i, reply.texts[k] ?? texts[i]!]));
    if (reply.undecided.length > 0 && this.o.wholeLines !== undefined) {
      // Cut lines whose start did not decide: judge the whole line, file by file.
      const byFile = new Map<string, number[]>();
      for (const i of reply.undecided) {
        const list = byFile.get(batch[i]!.path) ?? [];
        list.push(i);
        byFile.set(batch[i]!.path, list);
      }
      for (const [path, of] of byFile) {
        const lines = of.map((i) => batch[i]!.line);
        const whole = await this.o.wholeLines(path, lines).catch(() => null);
        if (whole === null) continue;
        let texts: Array<string | null>;
        if ('bytes' in whole) {
          const where = (): Where => ({ paths: [path], lines: lines.length, longest: 0, bytes: whole.bytes.length });
          texts = (await this.run({ kind: 'fileLines', spec: this.o.spec, bytes: whole.bytes, lines: Int32Array.from(lines) }, whole.bytes.length, where)).texts;
        } else {
          const known = whole.texts.map((t) => t ?? '');
          const again = await this.run({ kind: 'lines', spec: this.o.spec, texts: known, cut: new Uint8Array(known.length), limit: known.length }, sum(known), () =>
            linesWhere(of.map((i, k) => ({ ...batch[i]!, text: known[k]!, cut: false }))),
          );
          texts = known.map(() => null);
          again.hits.forEach((h, k) => (texts[h] = whole.texts[h] === null ? null : (again.texts[k] ?? known[h]!)));
        }
        texts.forEach((text, k) => {
          if (text !== null) found.push([of[k]!, text]);
        });
      }
      found.sort((a, b) => a[0] - b[0]);
    }
    for (const [i, text] of found) {
      if (this.matches.length >= this.o.limit) break;
      this.matches.push({ path: batch[i]!.path, line: batch[i]!.line, text });
    }
    this.progress();
  }

  private async judgeFiles(batch: PendingFile[]): Promise<void> {
    const files = batch.map((f) => f.bytes);
    const bytes = files.reduce((n, f) => n + f.length, 0);
    const where = (): Where => ({ paths: batch.map((f) => f.path), lines: 0, longest: 0, bytes });
    const reply = await this.run({ kind: 'files', spec: this.o.spec, files, limit: this.o.limit - this.matches.length }, bytes, where);
    for (let k = 0; k < reply.texts.length && this.matches.length < this.o.limit; k++) {
      this.matches.push({ path: batch[reply.file[k]!]!.path, line: reply.line[k]!, text: reply.texts[k]! });
    }
    this.progress();
  }

  private progress(): void {
    if (this.matches.length >= this.o.limit) this.done = true;
    this.o.onProgress?.();
  }

  private async run<K extends 'lines' | 'files' | 'fileLines'>(
    request: Parameters<GrepWorkerPool['run']>[0] & { kind: K },
    size: number,
    where: () => Where,
  ): Promise<ReplyOf<K>> {
    const options: JobOptions = { signal: this.o.signal, budget: this.o.budget, size };
    try {
      return (await this.o.pool.run(request as never, options)) as ReplyOf<K>;
    } catch (err) {
      throw stoppedError(this.o.spec.pattern, err, where());
    }
  }
}

function sum(texts: readonly string[]): number {
  let n = 0;
  for (const t of texts) n += t.length;
  return n;
}

function linesWhere(batch: readonly PendingLine[]): Where {
  const paths = new Set<string>();
  let longest = 0;
  let longestCut = false;
  for (const r of batch) {
    paths.add(r.path);
    if (r.text.length > longest || (r.text.length === longest && r.cut)) {
      longest = r.text.length;
      longestCut = r.cut;
    }
  }
  return { paths: [...paths], lines: batch.length, longest, longestCut, bytes: 0 };
}

function shortPattern(pattern: string): string {
  return JSON.stringify(pattern.length > 200 ? `${pattern.slice(0, 200)}…` : pattern);
}

function whereText(where: Where): string {
  const first = JSON.stringify(where.paths[0] ?? '?');
  const others = where.paths.length > 1 ? ` and ${where.paths.length - 1} other file${where.paths.length > 2 ? 's' : ''}` : '';
  const lines = where.lines > 0 ? `${where.lines.toLocaleString('en-US')} line${where.lines === 1 ? '' : 's'} of ` : '';
  const longest = where.longest >= 1000 ? ` (the longest ${where.longestCut ? 'over ' : ''}${where.longest.toLocaleString('en-US')} characters)` : '';
  return `${lines}${first}${others}${longest}`;
}

/** The error a grep ends with when its job could not finish; `err` comes from the pool. */
export function stoppedError(pattern: string, err: unknown, where: Where): Error {
  if (err instanceof GrepStopped) return err;
  if (err instanceof WorkCancelled) return cancelledError(pattern);
  const p = shortPattern(pattern);
  const advice = backtrackingAdvice(pattern);
  if (err instanceof WorkerOverrun) {
    const s = (err.ms / 1000).toFixed(1);
    if (err.reason === 'budget') {
      return new GrepStopped(
        `repo.grep(${p}) was stopped after ${s} s of matching, the most one grep may take, at ${whereText(where)}: ` +
          `the pattern is slow on every line of this workspace. ${advice} Or narrow the search with a glob. The next grep runs normally.`,
      );
    }
    if (err.reason === 'crash') {
      return new GrepStopped(
        `repo.grep(${p}) was stopped: matching it on ${whereText(where)} ran out of memory. ${advice} The next grep runs normally.`,
      );
    }
    return new GrepStopped(
      `repo.grep(${p}) was stopped after ${s} s on ${whereText(where)}, where a simple pattern takes milliseconds: ` +
        `it backtracks (its running time explodes on long or repetitive lines). ${advice} The next grep runs normally.`,
    );
  }
  if (err instanceof WorkerJobError) {
    return new GrepStopped(`repo.grep(${p}) failed on ${whereText(where)}: ${err.message}. ${advice}`);
  }
  // WorkerUnavailable: its detail may name this machine's paths, so it is not repeated.
  return new GrepStopped(
    `repo.grep(${p}) could not run: the thread grep runs patterns in did not start (the installation may be incomplete: dist/grep-worker.js).`,
  );
}
