/**
 * The needle generator: a unique fact planted at a random file and line of a slice of the
 * repository, for slices of growing size (8k to 1m+ tokens, a token being about four
 * characters). Each question gets its own copy of its slice, with the fact planted in the
 * copy: the user's repository is only read, never written. Checked by exact match.
 * A slice is whole files in a seeded order, topped up with the head of one more file when
 * the whole files leave it short.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Rng, formatTokenCount } from '../random';
import { estimateTokens } from '../../src/core/util/estimateTokens';
import type { EvalQuestion } from '../types';
import { GeneratorError, listTextFiles, type TextFile } from './sourceFiles';

export const DEFAULT_NEEDLE_SIZES = [8_000, 32_000, 128_000, 512_000, 1_000_000];
/** Marks a folder of slices as the generator's own, so a later run may replace it. */
export const SLICES_MARKER = '.rlm-eval-slices';

const ADJECTIVES = ['amber', 'silver', 'crimson', 'quiet', 'rapid', 'hollow', 'golden', 'frozen', 'velvet', 'bright', 'distant', 'lunar', 'northern', 'scarlet', 'hidden', 'copper', 'misty', 'iron', 'coral', 'gentle'];
const NOUNS = ['falcon', 'harbor', 'lantern', 'orchid', 'glacier', 'meadow', 'compass', 'willow', 'beacon', 'canyon', 'heron', 'quartz', 'ember', 'thistle', 'atlas', 'summit', 'pebble', 'raven', 'delta', 'juniper'];
const THINGS = ['vault', 'archive', 'gateway', 'ledger', 'console', 'relay', 'beacon', 'depot'];

interface CommentStyle {
  open: string;
  close: string;
}

const LINE_COMMENT: Record<string, CommentStyle> = {};
for (const ext of ['js', 'jsx', 'ts', 'tsx', 'mjs', 'cjs', 'mts', 'cts', 'c', 'h', 'cc', 'cpp', 'cxx', 'hpp', 'hh', 'cs', 'java', 'kt', 'kts', 'scala', 'go', 'rs', 'swift', 'dart', 'php', 'groovy', 'gradle', 'sol', 'zig', 'proto', 'fs', 'jsonc'])
  LINE_COMMENT[ext] = { open: '// ', close: '' };
for (const ext of ['py', 'pyi', 'sh', 'bash', 'zsh', 'fish', 'rb', 'pl', 'yaml', 'yml', 'toml', 'r', 'jl', 'ex', 'exs', 'nim', 'tf', 'cmake', 'ps1', 'cfg', 'conf', 'ini', 'properties', 'mk', 'txt', 'gitignore', 'dockerignore'])
  LINE_COMMENT[ext] = { open: '# ', close: '' };
for (const ext of ['sql', 'lua', 'hs', 'elm']) LINE_COMMENT[ext] = { open: '-- ', close: '' };
for (const ext of ['html', 'htm', 'xml', 'vue', 'svelte', 'svg', 'xhtml']) LINE_COMMENT[ext] = { open: '<!-- ', close: ' -->' };
for (const ext of ['css', 'scss', 'less']) LINE_COMMENT[ext] = { open: '/* ', close: ' */' };
for (const ext of ['tex', 'erl', 'm']) LINE_COMMENT[ext] = { open: '% ', close: '' };
for (const ext of ['clj', 'lisp', 'el', 'scm']) LINE_COMMENT[ext] = { open: ';; ', close: '' };
for (const ext of ['md', 'markdown', 'rst']) LINE_COMMENT[ext] = { open: '', close: '' };
const BY_NAME: Record<string, CommentStyle> = { Makefile: { open: '# ', close: '' }, Dockerfile: { open: '# ', close: '' } };

function commentStyle(file: string): CommentStyle | null {
  const base = path.posix.basename(file);
  if (BY_NAME[base]) return BY_NAME[base];
  const ext = path.posix.extname(base).slice(1).toLowerCase() || base.replace(/^\./, '');
  return LINE_COMMENT[ext] ?? null;
}

export interface NeedleOptions {
  repo: string;
  seed: number;
  /** Slice sizes in tokens, smallest first. */
  sizes?: number[];
  /** Questions per size (each with its own slice copy and fact). */
  perSize?: number;
  /** Folder for the slice copies; must not be inside the repository. */
  slicesDir: string;
  useGitignore?: boolean;
}

export interface NeedleResult {
  questions: EvalQuestion[];
  /** Sizes left out because the repository has less text than that. */
  skippedSizes: number[];
  repoTokens: number;
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

interface SliceFile extends TextFile {
  /** Set when only the first lines of the file fit: how many characters of it to keep. */
  keepChars?: number;
}

/**
 * Files whose sizes add up to about `tokens`, taken whole in the seeded order; when that
 * leaves more than a tenth of the budget unfilled (big files skipped), the first lines of
 * the first skipped file fill the rest.
 */
function pickSlice(order: readonly TextFile[], tokens: number): SliceFile[] {
  const budget = tokens * 4;
  const out: SliceFile[] = [];
  let used = 0;
  let firstSkipped: TextFile | null = null;
  for (const f of order) {
    if (f.bytes === 0) continue;
    if (used + f.bytes > budget) {
      firstSkipped ??= f;
      continue;
    }
    out.push(f);
    used += f.bytes;
    if (used >= budget * 0.98) break;
  }
  if (firstSkipped && used < budget * 0.9) out.push({ ...firstSkipped, keepChars: budget - used });
  return out;
}

/** The text a slice holds of a file: all of it, or its first whole lines up to `keepChars`. */
function sliceText(text: string, keepChars: number | undefined): string {
  if (keepChars === undefined || text.length <= keepChars) return text;
  const cut = text.lastIndexOf('\n', keepChars);
  return cut > 0 ? text.slice(0, cut + 1) : text.slice(0, keepChars);
}

function makeFact(rng: Rng): { subject: string; code: string } {
  const subject = `${rng.pick(ADJECTIVES)}-${rng.pick(NOUNS)} ${rng.pick(THINGS)}`;
  const code = `${rng.pick(ADJECTIVES)}-${rng.pick(NOUNS)}-${rng.int(1000, 9999)}`;
  return { subject, code };
}

async function prepareSlicesDir(dir: string, repo: string): Promise<void> {
  if (isInside(dir, repo) || isInside(repo, dir)) {
    throw new GeneratorError(`The needle slices would be written to ${dir}, which overlaps the repository ${repo}; the repository is never modified. Choose --slices-dir outside it.`);
  }
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new GeneratorError(`${dir} exists and is not a directory; choose another --slices-dir.`);
    const entries = readdirSync(dir);
    if (entries.length > 0 && !entries.includes(SLICES_MARKER)) {
      throw new GeneratorError(`${dir} already holds files that the generator did not write; choose an empty or new --slices-dir.`);
    }
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, SLICES_MARKER), 'Repository slices written by "rlm eval generate needle"; the folder is replaced when the generator runs again.\n');
}

export async function generateNeedle(options: NeedleOptions): Promise<NeedleResult> {
  const repoRoot = path.resolve(options.repo);
  const sizes = [...(options.sizes ?? DEFAULT_NEEDLE_SIZES)].sort((a, b) => a - b);
  const perSize = options.perSize ?? 1;
  const { repo, files } = await listTextFiles(repoRoot, options.useGitignore ?? true);
  const totalBytes = files.reduce((n, f) => n + f.bytes, 0);
  const repoTokens = estimateTokens(totalBytes);
  const usable = sizes.filter((s) => s <= repoTokens * 1.02);
  const skippedSizes = sizes.filter((s) => !usable.includes(s));
  if (usable.length === 0) {
    throw new GeneratorError(
      `${repoRoot} has about ${repoTokens.toLocaleString('en-US')} tokens of text (${files.length} files), less than the smallest slice asked for (${formatTokenCount(sizes[0]!)}). Pass smaller --sizes, e.g. --sizes ${formatTokenCount(Math.max(1000, Math.floor(repoTokens / 2 / 1000) * 1000))}.`,
    );
  }
  const slicesDir = path.resolve(options.slicesDir);
  await prepareSlicesDir(slicesDir, repoRoot);

  const order = new Rng(options.seed, 'slice-order').shuffle(files);
  const questions: EvalQuestion[] = [];
  const textCache = new Map<string, string>();
  const textOf = async (file: string): Promise<string> => {
    let t = textCache.get(file);
    if (t === undefined) {
      t = (await readFile(path.join(repoRoot, ...file.split('/')))).toString('utf8');
      textCache.set(file, t);
    }
    return t;
  };

  for (const size of usable) {
    const slice = pickSlice(order, size);
    const label = formatTokenCount(size);
    for (let k = 0; k < perSize; k++) {
      const rng = new Rng(options.seed, `needle-${size}-${k}`);
      const commentable = slice.filter((f) => commentStyle(f.path) !== null);
      const target = rng.pick(commentable.length > 0 ? commentable : slice);
      const style = commentStyle(target.path) ?? { open: '', close: '' };
      const texts = new Map<string, string>();
      for (const f of slice) texts.set(f.path, sliceText(await textOf(f.path), f.keepChars));
      const allText = [...texts.values()].join('\n').toLowerCase();
      let fact = makeFact(rng);
      for (let tries = 0; allText.includes(fact.code.toLowerCase()) || allText.includes(fact.subject.split(' ')[0]!.toLowerCase()); tries++) {
        if (tries > 50) throw new GeneratorError('Could not make a fact that does not already occur in the slice.');
        fact = makeFact(rng);
      }
      const original = texts.get(target.path)!;
      const lines = original.split('\n');
      const at = rng.int(0, Math.max(0, lines.length - 1));
      const indent = /^[ \t]*/.exec(lines[at] ?? '')![0];
      const needle = `${indent}${style.open}Note: the access code for the ${fact.subject} is ${fact.code}.${style.close}`;
      lines.splice(at, 0, needle);

      const id = `needle-${label}${perSize > 1 ? `-${k + 1}` : ''}`;
      const dir = path.join(slicesDir, id);
      for (const f of slice) {
        const dest = path.join(dir, ...f.path.split('/'));
        await mkdir(path.dirname(dest), { recursive: true });
        await writeFile(dest, f.path === target.path ? lines.join('\n') : texts.get(f.path)!);
      }
      const sliceBytes = [...texts.values()].reduce((n, t) => n + t.length, 0) + needle.length + 1;
      const cut = slice.find((f) => f.keepChars !== undefined && texts.get(f.path)!.length < f.bytes);
      questions.push({
        id,
        group: `needle-${label}`,
        repo: dir,
        question: `Somewhere in this repository a comment states the access code for the ${fact.subject}. What is that access code?`,
        expected: fact.code,
        check: { type: 'exact' },
        meta: {
          generator: 'needle',
          seed: options.seed,
          source: repo.root,
          targetTokens: size,
          sliceTokens: estimateTokens(sliceBytes),
          sliceFiles: slice.length,
          file: target.path,
          line: at + 1,
          ...(cut ? { truncatedFile: cut.path } : {}),
        },
      });
    }
  }
  return { questions, skippedSizes, repoTokens };
}
