/**
 * grep through ripgrep, when a working rg binary is at hand.
 *
 * ripgrep does the heavy lifting (walking, skipping ignored trees, fast matching), but it
 * is not the judge of the answer: every line it reports is filtered through the same
 * listing, glob, binary and JavaScript-regex checks the pure-JS grep applies, so both
 * engines return exactly the same matches. To that end rg is told to
 *   - honour only the .gitignore files inside the workspace (`--no-require-git`,
 *     `--no-ignore-parent/-global/-dot/-exclude`), like the listing;
 *   - search hidden files, and symlinked files as little as the listing's grep does
 *     (rg never follows links without -L);
 *   - search every file as text (`--text`, `--encoding none`) and let the listing's
 *     binary test decide, since rg's own binary detection differs from it;
 *   - treat CRLF as a line end (`--crlf`), as lines.ts does;
 *   - print files in path order (`--sort path`, which also makes rg single-threaded), so
 *     that stopping at `maxResults` keeps the same first matches the JS grep keeps.
 * Lines longer than `--max-columns` come back cut; those are re-read from the file.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GrepMatch } from './types';
import type { GrepRun } from './jsGrep';
import { BINARY_EXTENSIONS } from './binary';
import { MATCH_CONTEXT_BEFORE, MAX_MATCH_CHARS, matchLineText } from './grepText';
import { scanLines, splitLines, stripBom, stripCr } from './lines';

const RIPGREP_PACKAGE = '@vscode/ripgrep-universal';
const CUT_MARKER = ' [... omitted end of long line]';
/** Parsed output lines waiting to be checked before rg's stdout is paused. */
const HIGH_WATER = 2000;
const LOW_WATER = 200;

let cachedRipgrep: string | null | undefined;

/**
 * The rg binary bundled with @vscode/ripgrep-universal for this platform, or null when
 * it is missing or not executable. The package is ESM-only, so its `rgPath` export is
 * not used; the binary's path is computed from where the package resolves. That happens
 * at run time (the specifier is not a literal esbuild would try to bundle), from the
 * bundle's node_modules when running from dist/.
 */
export function findRipgrep(): string | null {
  if (cachedRipgrep !== undefined) return cachedRipgrep;
  const exe = process.platform === 'win32' ? 'rg.exe' : 'rg';
  cachedRipgrep = null;
  const packageDir = resolvePackageDir();
  if (packageDir !== null) {
    const candidate = path.join(packageDir, 'bin', `${process.platform}-${process.arch}`, exe);
    if (isExecutableFile(candidate)) cachedRipgrep = candidate;
  }
  return cachedRipgrep;
}

function resolvePackageDir(): string | null {
  const specifier = RIPGREP_PACKAGE;
  try {
    return path.dirname(require.resolve(`${specifier}/package.json`));
  } catch {
    // Its "exports" map does not expose package.json; resolve the entry point instead
    // (lib/index.js) and go up to the package directory.
  }
  try {
    return path.dirname(path.dirname(require.resolve(specifier)));
  } catch {
    return null;
  }
}

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface RipgrepQuery {
  pattern: string;
  ignoreCase: boolean;
  useGitignore: boolean;
  /** `-g` globs that only widen the selection (see globMatch.ripgrepGlobs), or null. */
  includeGlobs: string[] | null;
  /** Directory names excluded by the repo's exclude globs. */
  excludeDirNames: string[];
  /**
   * Search exactly these files (in this order) instead of walking the workspace; used
   * when the candidates are few. Explicit paths bypass rg's ignore rules and globs, which
   * is right: they are the already-filtered candidates.
   */
  paths: string[] | null;
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

export interface RipgrepRun extends GrepRun, RipgrepQuery {
  rgPath: string;
}

/**
 * Lines up to this many bytes come back whole from rg; longer ones come back as a preview
 * of this many bytes. Well above the 300-character window a match shows, so that only
 * minified lines need the file read again (measured in `npm run bench`).
 */
export const RG_MAX_COLUMNS = 4096;

/** Room a match must leave before the end of rg's preview, so the cut cannot change it. */
const PREVIEW_MARGIN = 64;

/**
 * The text a long line shows when rg's preview (its first --max-columns bytes) already
 * decides it: the JavaScript regex matches early enough that the window starts at
 * column 0 and ends well inside the preview. Then the file need not be read again, which
 * in `npm run bench` was most of repo.grep's cost on minified files. Null when unsure.
 */
export function previewWindow(re: RegExp, cutText: string): string | null {
  const preview = cutText.slice(0, -CUT_MARKER.length);
  if (preview.length < MAX_MATCH_CHARS + PREVIEW_MARGIN) return null; // too short to decide
  const m = re.exec(preview);
  // A match starting within the first MATCH_CONTEXT_BEFORE characters gives the window
  // [0, 300) whichever early match the full line yields, so the cut cannot change it.
  if (m === null || m.index > MATCH_CONTEXT_BEFORE || m.index + m[0].length + PREVIEW_MARGIN > preview.length) return null;
  return `${preview.slice(0, MAX_MATCH_CHARS)}…`;
}

/** The matches, or the outcome explaining why rg could not give them. */
export async function ripgrepGrep(run: RipgrepRun): Promise<GrepMatch[] | RipgrepFailure> {
  const { snapshot, re, maxResults } = run;
  const candidates = new Set(run.files);
  const out: GrepMatch[] = [];
  const fileLines = new Map<string, Promise<string[]>>();

  // The whole of a line rg cut short.
  const fullLine = async (rel: string, lineNo: number): Promise<string | null> => {
    if ((await snapshot.size(rel)) <= snapshot.settings.maxReadBytes) {
      let lines = fileLines.get(rel);
      if (lines === undefined) {
        lines = snapshot.fs.readFile(snapshot.abs(rel)).then((b) => splitLines(b.toString('utf8')));
        fileLines.set(rel, lines);
      }
      return (await lines)[lineNo - 1] ?? null;
    }
    let found: string | null = null;
    await scanLines(snapshot.fs.createReadStream(snapshot.abs(rel)), (line, n) => {
      if (n === lineNo) found = line;
      return n < lineNo;
    });
    return found;
  };

  const outcome = await runRipgrep(run.rgPath, ripgrepArgs(run), snapshot.root, async (record) => {
    if (!candidates.has(record.path)) return true;
    try {
      if (await snapshot.isBinary(record.path)) return true;
      let line: string | null = record.line === 1 ? stripBom(record.text) : record.text;
      if (record.cut) line = previewWindow(re, line) ?? (await fullLine(record.path, record.line));
      if (line === null) return true;
      const text = matchLineText(re, line);
      if (text !== null) out.push({ path: record.path, line: record.line, text });
    } catch {
      // The file changed or vanished under us; skip the line.
    }
    return out.length < maxResults;
  });
  return outcome.ok ? out : outcome;
}
