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
 *     `--no-ignore-parent/-global/-dot/-exclude`), like the listing;
 *   - search hidden files, and symlinked files as little as the listing's grep does
 *     (rg never follows links without -L);
 *   - search every file as text (`--text`, `--encoding none`) and let the listing's
 *     binary test decide, since rg's own binary detection differs from it;
 *   - treat CRLF as a line end (`--crlf`), as lines.ts does;
 *   - print files in path order (`--sort path`, which also makes rg single-threaded), so
 *     that stopping at `maxResults` keeps the same first matches the JS grep keeps.
 * Lines longer than `--max-columns` come back cut; the view re-reads those from the file.
 */
import { spawn } from 'node:child_process';
import { BINARY_EXTENSIONS } from './binary';
import { windowFromPreview } from './grepText';
import { stripCr } from './lines';

export const CUT_MARKER = ' [... omitted end of long line]';
/** Parsed output lines waiting to be checked before rg's stdout is paused. */
const HIGH_WATER = 2000;
const LOW_WATER = 200;

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
  args.push('-e', query.pattern, '--', '.');
  return args;
}

export interface RipgrepRecord {
  path: string;
  line: number;
  text: string;
  /** rg cut the line at --max-columns; `text` is only its start. */
  cut: boolean;
}

export type RipgrepFailure = { ok: false; reason: string; spawnFailed: boolean };
export type RipgrepOutcome = { ok: true } | RipgrepFailure;

/**
 * Runs rg and feeds each output line to `onRecord`, one at a time and in order;
 * `onRecord` resolves false to stop, which kills rg. Never rejects: a failure (rg
 * missing, not runnable, pattern rejected) resolves `{ ok: false }` so the caller can
 * fall back.
 */
export function runRipgrep(
  rgPath: string,
  args: string[],
  cwd: string,
  onRecord: (record: RipgrepRecord) => Promise<boolean>,
): Promise<RipgrepOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: RipgrepOutcome): void => {
      if (!settled) {
        settled = true;
        resolve(outcome);
      }
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(rgPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    } catch (err) {
      settle({ ok: false, reason: (err as Error).message, spawnFailed: true });
      return;
    }
    const stdout = child.stdout!;
    const queue: Buffer[] = [];
    let partial: Buffer[] = [];
    let consuming = false;
    let stopped = false;
    let closed = false;
    let records = 0;
    let stderr = '';
    let exitCode: number | null = null;
    let spawnError: Error | null = null;
    let consumerError: unknown = null;

    const stop = (): void => {
      stopped = true;
      queue.length = 0;
      child.kill();
      stdout.resume(); // a paused pipe would keep 'close' from ever firing
    };

    const finish = (): void => {
      if (!closed || consuming || (queue.length > 0 && !stopped)) return;
      if (consumerError !== null) {
        settle({ ok: false, reason: String(consumerError), spawnFailed: false });
      } else if (spawnError !== null && records === 0) {
        settle({ ok: false, reason: spawnError.message, spawnFailed: true });
      } else if (stopped || exitCode === 0 || exitCode === 1 || (exitCode === 2 && records > 0)) {
        // 1 = no match; 2 with output = some files could not be read, the rest was searched.
        settle({ ok: true });
      } else {
        settle({ ok: false, reason: stderr.trim() || `rg exited with code ${exitCode}`, spawnFailed: false });
      }
    };

    const consume = async (): Promise<void> => {
      if (consuming) return;
      consuming = true;
      try {
        while (queue.length > 0 && !stopped) {
          const record = parseRecord(queue.shift()!);
          records++;
          if (record !== null && !(await onRecord(record))) stop();
          else if (queue.length < LOW_WATER && stdout.isPaused()) stdout.resume();
        }
      } catch (err) {
        consumerError = err;
        stop();
      } finally {
        consuming = false;
      }
      finish();
    };

    child.on('error', (err) => {
      spawnError = err;
      closed = true;
      finish();
    });
    child.stderr!.on('data', (data: Buffer) => {
      if (stderr.length < 4000) stderr += data.toString('utf8');
    });
    stdout.on('data', (chunk: Buffer) => {
      if (stopped) return;
      let from = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, from)) {
        partial.push(chunk.subarray(from, nl));
        queue.push(partial.length === 1 ? partial[0] : Buffer.concat(partial));
        partial = [];
        from = nl + 1;
      }
      if (from < chunk.length) partial.push(chunk.subarray(from));
      if (queue.length > HIGH_WATER) stdout.pause();
      void consume();
    });
    child.on('close', (code) => {
      exitCode = code;
      if (partial.length > 0 && !stopped) queue.push(Buffer.concat(partial));
      partial = [];
      closed = true;
      void consume();
    });
  });
}

/** One `--null` output line: `path NUL line-number ":" text`. */
function parseRecord(record: Buffer): RipgrepRecord | null {
  const nul = record.indexOf(0);
  if (nul < 0) return null;
  const rest = record.subarray(nul + 1);
  const colon = rest.indexOf(58);
  if (colon < 0) return null;
  const line = Number(rest.subarray(0, colon).toString('latin1'));
  if (!Number.isInteger(line) || line < 1) return null;
  let file = record.subarray(0, nul).toString('utf8');
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
