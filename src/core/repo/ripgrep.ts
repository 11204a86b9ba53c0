/**
 * Running ripgrep for a disk folder (`DiskSource.search`), when a working rg binary was
 * given. The binary is passed in by the caller (the CLI finds the bundled one, the editor
 * has its own); nothing here looks for one.
 *
 * ripgrep does the heavy lifting (walking, skipping ignored trees, fast matching), but it
 * is not the judge of the answer: every line it reports is filtered by the view
 * (sourceGrep.ts) through the same listing, glob, binary and JavaScript-regex checks the
 * pure-JS grep applies, so both engines return exactly the same matches. To that end rg
 * is told to
 *   - honour only the .gitignore files inside the workspace (`--no-require-git`,
 *     `--no-ignore-parent/-global/-dot/-exclude`), like the listing; when it walks only
 *     some directories below the root (`under`, one part of a partitioned search), the
 *     root's .gitignore is given with `--ignore-file` (rg resolves its rules against the
 *     working directory, the root), and the view never splits a directory that has a
 *     .gitignore of its own, so no rule that applies is lost;
 *   - search hidden files, and symlinked files as little as the listing's grep does
 *     (rg never follows links without -L);
 *   - search every file as text (`--text`, `--encoding none`) and let the listing's
 *     binary test decide, since rg's own binary detection differs from it;
 *   - treat CRLF as a line end (`--crlf`), as lines.ts does;
 *   - print files in path order (`--sort path`, which also makes one rg process
 *     single-threaded), so that stopping at `maxResults` keeps the same first matches the
 *     JS grep keeps. The view gets its parallelism by running several such processes over
 *     consecutive parts of the tree (sourceGrep.ts).
 * Lines longer than `--max-columns` come back cut; the view re-reads those from the file.
 *
 * Output is framed with `--null`: `path NUL line ":" text "\n"`. A path may hold any byte
 * but NUL (a newline too), a line any byte but a newline, so the parser reads the path up
 * to its NUL first and only then the rest up to the newline: a file named "x\na.ts" is
 * that file, never a match in "a.ts".
 *
 * At most `ripgrepProcessLimit()` rg processes run at once in this process, whoever starts
 * them (a guest's `Promise.all` of hundreds of greps queues here); each is killed
 * (SIGKILL: nothing to clean up, and it also ends a stopped process) when its search is
 * cancelled, and the search resolves only once the process has exited. They are started
 * by a small launcher process (rgLauncher.ts): a spawn from the host would fork the host.
 */
import * as os from 'node:os';
import { RgLauncher } from './rgLauncher';
import { Slots } from './slots';
import { SLICE_MS, nextTurn } from '../util/slices';
import { BINARY_EXTENSIONS } from './binary';
import { windowFromPreview } from './grepText';
import { stripCr } from './lines';

export const CUT_MARKER = ' [... omitted end of long line]';
/** Bytes of parsed output waiting to be checked before rg's stdout is paused (and resumed below LOW_WATER). */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
const LOW_WATER_BYTES = 512 * 1024;
/** How long a killed rg's exit is waited for before its search ends regardless. */
const KILL_GRACE_MS = 10_000;

export interface RipgrepQuery {
  pattern: string;
  ignoreCase: boolean;
  useGitignore: boolean;
  /** `-g` globs that only widen the selection (see globMatch.ripgrepGlobs), or null. */
  includeGlobs: readonly string[] | null;
  /** Directory names excluded by the folder's exclude globs. */
  excludeDirNames: readonly string[];
  /**
   * Search exactly these files (in this order) instead of walking the workspace; used
   * when the candidates are few. Explicit paths bypass rg's ignore rules and globs, which
   * is right: they are the already-filtered candidates.
   */
  paths: readonly string[] | null;
  /**
   * Walk only these directories (and search these files) instead of the whole folder, in
   * this order; null walks everything. Ignored when `paths` is given.
   */
  under?: readonly string[] | null;
  /** The root's .gitignore, relative to the root, to pass with `--ignore-file` when `under` is walked; else null. */
  rootIgnoreFile?: string | null;
}

export function ripgrepArgs(query: RipgrepQuery): string[] {
  const args = [
    '--no-config',
    '--hidden',
    '--no-require-git',
    '--no-ignore-parent',
    '--no-ignore-global',
    '--no-ignore-dot',
    '--no-ignore-exclude',
    '--null',
    '--line-number',
    '--no-heading',
    '--with-filename',
    '--color', 'never',
    '--max-columns', String(RG_MAX_COLUMNS),
    '--max-columns-preview',
    '--engine', 'auto',
    '--text',
    '--encoding', 'none',
    '--crlf',
    '--sort', 'path',
    '--path-separator', '/',
  ];
  if (query.ignoreCase) args.push('-i');
  if (!query.useGitignore) args.push('--no-ignore');
  if (query.paths !== null) {
    args.push('-e', query.pattern, '--', ...query.paths);
    return args;
  }
  // Later globs win in rg, so the exclusions come after the widening inclusions.
  for (const glob of query.includeGlobs ?? []) args.push('-g', glob);
  for (const name of query.excludeDirNames) args.push('-g', `!${name}/`);
  args.push('-g', `!*.{${[...BINARY_EXTENSIONS].join(',')}}`);
  const under = query.under ?? null;
  if (under !== null && query.useGitignore && query.rootIgnoreFile) args.push('--ignore-file', query.rootIgnoreFile);
  args.push('-e', query.pattern, '--', ...(under ?? ['.']));
  return args;
}

export interface RipgrepRecord {
  path: string;
  line: number;
  text: string;
  /** rg cut the line at --max-columns; `text` is only its start. */
  cut: boolean;
}

/** rg's report of a line PCRE2 gave up on (its match or depth limit), e.g. "PCRE2: error matching: match limit exceeded". */
const PCRE2_GAVE_UP = /PCRE2: error matching/;

export type RipgrepFailure = {
  ok: false;
  reason: string;
  spawnFailed: boolean;
  cancelled?: boolean;
  /** rg ran past `ripgrepLimits.wallMs` and was killed. */
  tooSlow?: boolean;
};

/**
 * How long one rg process may run. A search rg does in seconds on a big tree can take
 * minutes with a pattern its PCRE2 engine backtracks on (back-references, look-arounds: it
 * tries up to its match limit on every line); the grep then ends with a message rather
 * than hold the model's cell, whose clock does not run while it waits for the host.
 * Settable for tests.
 */
export const ripgrepLimits = { wallMs: 30_000 };
export type RipgrepOutcome = { ok: true } | RipgrepFailure;

// ---- processes: the cap, and who is running -------------------------------------------

/** How many rg processes may run at once in this process: one per core, at least 2, at most 8. */
export function ripgrepProcessLimit(): number {
  return slots.capacity;
}

const slots = new Slots(Math.max(2, Math.min(8, os.availableParallelism())));

/** Every rg is started by the launcher process (rgLauncher.ts), never forked from the host. */
const launcher = new RgLauncher();
const live = new Set<number>();
const spawnObservers = new Set<(pid: number) => void>();
let idleWaiters: Array<() => void> = [];
let peakLive = 0;

function exited(pid: number): void {
  if (!live.delete(pid) || live.size > 0) return;
  const waiters = idleWaiters;
  idleWaiters = [];
  for (const resolve of waiters) resolve();
}

/**
 * The rg processes this module has started and not yet seen exit, for tests and
 * diagnostics: their pids, the most that ran at once, and a hook called synchronously
 * right after each spawn (returns the function that removes it).
 */
export const ripgrepProcesses = {
  get live(): ReadonlySet<number> {
    return live;
  },
  get peak(): number {
    return peakLive;
  },
  resetPeak(): void {
    peakLive = live.size;
  },
  onSpawn(observer: (pid: number) => void): () => void {
    spawnObservers.add(observer);
    return () => spawnObservers.delete(observer);
  },
  /** Resolves once no rg process started here is running (at once when none is). */
  idle(): Promise<void> {
    return live.size === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
  },
};

// ---- running one search ----------------------------------------------------------------

export interface RunRipgrepOptions {
  /** Aborting kills rg (or stops waiting for a process slot); the outcome is then `cancelled`. */
  signal?: AbortSignal;
}

/**
 * Runs rg and feeds each output record to `onRecord`, one at a time and in order;
 * `onRecord` resolves false to stop, which kills rg. Waits for a process slot first.
 * Never rejects: a failure (rg missing, not runnable, pattern rejected, cancelled)
 * resolves `{ ok: false }` so the caller can fall back; it resolves only after rg exited.
 */
export async function runRipgrep(
  rgPath: string,
  args: string[],
  cwd: string,
  onRecord: (record: RipgrepRecord) => Promise<boolean>,
  options: RunRipgrepOptions = {},
): Promise<RipgrepOutcome> {
  const { signal } = options;
  const cancelled: RipgrepOutcome = { ok: false, reason: 'cancelled', spawnFailed: false, cancelled: true };
  if (!(await slots.acquire(signal))) return cancelled;
  try {
    return await runHoldingSlot(rgPath, args, cwd, onRecord, signal);
  } finally {
    slots.release();
  }
}

function runHoldingSlot(
  rgPath: string,
  args: string[],
  cwd: string,
  onRecord: (record: RipgrepRecord) => Promise<boolean>,
  signal: AbortSignal | undefined,
): Promise<RipgrepOutcome> {
  return new Promise((resolve) => {
    const parser = new RecordParser();
    const queue: RipgrepRecord[] = [];
    let queuedBytes = 0;
    let paused = false;
    let consuming = false;
    let stopped = false;
    let cancelled = false;
    let closed = false;
    let records = 0;
    let stderr = '';
    let exitCode: number | null = null;
    let spawnError: string | null = null;
    let consumerError: unknown = null;
    let pid: number | undefined;

    let killTimer: NodeJS.Timeout | null = null;
    let wallTimer: NodeJS.Timeout | null = null;
    let tooSlow = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      queue.length = 0;
      queuedBytes = 0;
      launcher.kill(id);
      // rg dies at once; should its exit never be reported (a wedged launcher), the search
      // must still end: a grep never waits on a process it has given up on.
      killTimer = setTimeout(() => {
        if (closed) return;
        closed = true;
        void consume();
      }, KILL_GRACE_MS);
      killTimer.unref();
    };
    const onAbort = (): void => {
      cancelled = true;
      stop();
    };

    let finished = false;
    const finish = (): void => {
      if (finished || !closed || consuming || (queue.length > 0 && !stopped)) return;
      finished = true;
      if (killTimer !== null) clearTimeout(killTimer);
      if (wallTimer !== null) clearTimeout(wallTimer);
      signal?.removeEventListener('abort', onAbort);
      if (pid !== undefined) exited(pid);
      if (tooSlow && !cancelled) {
        resolve({ ok: false, reason: `rg ran for more than ${ripgrepLimits.wallMs} ms`, spawnFailed: false, tooSlow: true });
      } else if (cancelled) {
        resolve({ ok: false, reason: 'cancelled', spawnFailed: false, cancelled: true });
      } else if (consumerError !== null) {
        resolve({ ok: false, reason: String(consumerError), spawnFailed: false });
      } else if (spawnError !== null && pid === undefined) {
        resolve({ ok: false, reason: spawnError, spawnFailed: true });
      } else if (!stopped && PCRE2_GAVE_UP.test(stderr)) {
        // PCRE2 hit its backtracking limit on some line and skipped it: the answer would
        // silently lack matches, so the JavaScript grep (under its deadline) decides instead.
        resolve({ ok: false, reason: stderr.trim(), spawnFailed: false });
      } else if (stopped || exitCode === 0 || exitCode === 1 || (exitCode === 2 && records > 0)) {
        // 1 = no match; 2 with output = some files could not be read, the rest was searched.
        resolve({ ok: true });
      } else {
        resolve({ ok: false, reason: stderr.trim() || spawnError || `rg exited with code ${exitCode}`, spawnFailed: false });
      }
    };

    const consume = async (): Promise<void> => {
      if (consuming) return;
      consuming = true;
      let sliceStart = performance.now();
      try {
        while (queue.length > 0 && !stopped) {
          // Records the consumer takes without waiting would otherwise all run in one turn
          // (thousands of them, with 4 MiB queued): give the event loop a turn every few ms.
          if ((records & 31) === 31 && performance.now() - sliceStart > SLICE_MS) {
            await nextTurn();
            sliceStart = performance.now();
            if (stopped) break;
          }
          const record = queue.shift()!;
          queuedBytes -= record.text.length + record.path.length;
          records++;
          if (!(await onRecord(record))) stop();
          else if (paused && queuedBytes < LOW_WATER_BYTES) {
            paused = false;
            launcher.resume(id);
          }
        }
      } catch (err) {
        consumerError = err;
        stop();
      } finally {
        consuming = false;
      }
      finish();
    };

    const id = launcher.run(rgPath, args, cwd, {
      spawned(p) {
        pid = p;
        wallTimer = setTimeout(() => {
          tooSlow = true;
          stop();
        }, ripgrepLimits.wallMs);
        live.add(p);
        peakLive = Math.max(peakLive, live.size);
        for (const observer of spawnObservers) observer(p);
      },
      stdout(chunk) {
        if (stopped) return;
        const before = queue.length;
        parser.feed(chunk, queue);
        for (let i = before; i < queue.length; i++) queuedBytes += queue[i]!.text.length + queue[i]!.path.length;
        if (!paused && queuedBytes > HIGH_WATER_BYTES) {
          paused = true;
          launcher.pause(id);
        }
        void consume();
      },
      stderr(chunk) {
        if (stderr.length < 4000) stderr += chunk.toString('utf8');
      },
      exit(outcome) {
        if (closed) return;
        exitCode = outcome.code;
        spawnError = outcome.error;
        if (!stopped) parser.end(queue);
        closed = true;
        void consume();
      },
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
  });
}

/**
 * Splits rg's `--null` output into records, whatever the chunk boundaries: the path runs
 * to the first NUL (it may hold newlines), then `line ":" text` to the next newline (the
 * text may hold NULs, with --text). Anything that does not have that shape is dropped.
 */
export class RecordParser {
  private pathParts: Buffer[] = [];
  private restParts: Buffer[] = [];
  private inPath = true;

  feed(chunk: Buffer, out: RipgrepRecord[]): void {
    let from = 0;
    while (from < chunk.length) {
      if (this.inPath) {
        const nul = chunk.indexOf(0, from);
        if (nul < 0) {
          this.pathParts.push(chunk.subarray(from));
          return;
        }
        this.pathParts.push(chunk.subarray(from, nul));
        this.inPath = false;
        from = nul + 1;
      } else {
        const nl = chunk.indexOf(10, from);
        if (nl < 0) {
          this.restParts.push(chunk.subarray(from));
          return;
        }
        this.restParts.push(chunk.subarray(from, nl));
        from = nl + 1;
        this.emit(out);
      }
    }
  }

  /** The last record when rg's output did not end with a newline. */
  end(out: RipgrepRecord[]): void {
    if (!this.inPath) this.emit(out);
    this.pathParts = [];
  }

  private emit(out: RipgrepRecord[]): void {
    const path = joined(this.pathParts);
    const rest = joined(this.restParts);
    this.pathParts = [];
    this.restParts = [];
    this.inPath = true;
    const record = parseRecord(path, rest);
    if (record !== null) out.push(record);
  }
}

function joined(parts: Buffer[]): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** One record from its path and `line-number ":" text` parts. */
function parseRecord(pathBytes: Buffer, rest: Buffer): RipgrepRecord | null {
  const colon = rest.indexOf(58);
  if (colon < 1 || colon > 12) return null;
  let line = 0;
  for (let i = 0; i < colon; i++) {
    const d = rest[i]! - 48;
    if (d < 0 || d > 9) return null;
    line = line * 10 + d;
  }
  if (line < 1) return null;
  let file = pathBytes.toString('utf8');
  if (file.startsWith('./')) file = file.slice(2);
  const text = stripCr(rest.subarray(colon + 1).toString('utf8'));
  return { path: file, line, text, cut: text.endsWith(CUT_MARKER) };
}

/**
 * Lines up to this many bytes come back whole from rg; longer ones come back as a preview
 * of this many bytes. Well above the 300-character window a match shows, so that only
 * minified lines need the file read again (measured in `npm run bench`).
 */
export const RG_MAX_COLUMNS = 4096;

/**
 * The text a long line rg cut short shows when its preview already decides it (see
 * grepText.windowFromPreview); `cutText` is rg's output, ending in its cut marker.
 */
export function previewWindow(re: RegExp, cutText: string): string | null {
  return windowFromPreview(re, cutText.endsWith(CUT_MARKER) ? cutText.slice(0, -CUT_MARKER.length) : cutText);
}
