/**
 * Loads SWE-QA question sets (github.com/peng-weihan/SWE-QA, also published as SWE-QA-Bench)
 * as rlm eval questions, for users who have the benchmark's repositories checked out.
 *
 * The format, as published there:
 * - one JSONL file per repository, named after it (`Benchmark/flask.jsonl`,
 *   `datasets/reference/flask.jsonl`), each line `{"question": ..., "answer": ...}`; an older
 *   layout keeps the reference in `ground_truth` with `answer` null;
 * - `repos.txt` beside them pins each repository: `<git url> <commit>` per line (a Java
 *   variant, `commit-version.txt`, has `<name> <commit>`);
 * - answers are free-form and graded by a model against the reference (LLM-as-a-judge,
 *   five criteria, 1 to 20 each), which is the `judge` check here.
 * Read defensively: a `repo` / `repo_name` field and a `commit_id` / `commit` field on a line
 * (combined files, SWE-QA-Pro) take precedence over the file name and the pins, and lines
 * with `options` and a `correct_answer` letter become multiple-choice questions.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { EvalQuestion } from './types';

export interface Pin {
  name: string;
  url: string | null;
  commit: string;
}

export class SweQaError extends Error {
  override readonly name = 'SweQaError';
}

/** Parses repos.txt (`<url> <commit>`) or commit-version.txt (`<name> <commit>`). */
export function parsePins(text: string): Pin[] {
  const out: Pin[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [first, commit] = line.split(/\s+/);
    if (!first || !commit || !/^[0-9a-f]{4,40}$/i.test(commit)) continue;
    const isUrl = /^(https?:\/\/|git@)/.test(first);
    out.push({ name: repoName(first), url: isUrl ? first : null, commit: commit.toLowerCase() });
  }
  return out;
}

/** "https://github.com/pallets/flask.git", "pallets/flask", "flask" -> "flask". */
export function repoName(text: string): string {
  return text.trim().replace(/\/+$/, '').replace(/\.git$/, '').split(/[/:]/).pop()!;
}

/** The commit checked out in a git working copy (HEAD), or null when it cannot be read. */
export function headCommit(repoDir: string): string | null {
  try {
    let gitDir = path.join(repoDir, '.git');
    if (statSync(gitDir).isFile()) {
      const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(gitDir, 'utf8'));
      if (!m) return null;
      gitDir = path.resolve(repoDir, m[1]!.trim());
    }
    const head = readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim();
    const ref = /^ref:\s*(.+)$/.exec(head)?.[1];
    if (!ref) return /^[0-9a-f]{40}$/i.test(head) ? head.toLowerCase() : null;
    // A worktree keeps shared refs in the common dir.
    const commonFile = path.join(gitDir, 'commondir');
    const common = existsSync(commonFile) ? path.resolve(gitDir, readFileSync(commonFile, 'utf8').trim()) : gitDir;
    for (const dir of [gitDir, common]) {
      const loose = path.join(dir, ...ref.split('/'));
      if (existsSync(loose)) return readFileSync(loose, 'utf8').trim().toLowerCase();
    }
    const packed = path.join(common, 'packed-refs');
    if (existsSync(packed)) {
      for (const line of readFileSync(packed, 'utf8').split('\n')) {
        const [sha, name] = line.trim().split(' ');
        if (name === ref && sha) return sha.toLowerCase();
      }
    }
    return null;
  } catch {
    return null;
  }
}

function findPins(sources: string[]): string | null {
  for (const source of sources) {
    let dir = statSync(source).isDirectory() ? source : path.dirname(source);
    for (let up = 0; up < 4; up++) {
      for (const name of ['repos.txt', 'commit-version.txt']) {
        const candidate = path.join(dir, name);
        if (existsSync(candidate)) return candidate;
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return null;
}

function jsonlFiles(source: string): string[] {
  let stat;
  try {
    stat = statSync(source);
  } catch {
    throw new SweQaError(`${source}: no such file or directory. Give SWE-QA .jsonl files or a folder of them (e.g. SWE-QA-Bench/datasets/reference or Benchmark).`);
  }
  if (stat.isFile()) return [source];
  const files = readdirSync(source)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((f) => path.join(source, f));
  if (files.length === 0) throw new SweQaError(`${source} holds no .jsonl files.`);
  return files;
}

function firstString(r: Record<string, unknown>, keys: string[]): string | null {
  for (const k of keys) {
    const v = r[k];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  return null;
}

function findRepoDir(reposDir: string, name: string): string | null {
  const exact = path.join(reposDir, name);
  if (existsSync(exact) && statSync(exact).isDirectory()) return exact;
  try {
    const match = readdirSync(reposDir).find((d) => d.toLowerCase() === name.toLowerCase());
    if (match && statSync(path.join(reposDir, match)).isDirectory()) return path.join(reposDir, match);
  } catch {
    // reposDir itself is checked by the caller
  }
  return null;
}

export interface SweQaImportOptions {
  /** SWE-QA .jsonl files, or folders of them. */
  sources: string[];
  /** The folder where the repositories are checked out, one folder per repository name. */
  reposDir: string;
  /** repos.txt; looked for beside the sources (and up to three folders above) when not given. */
  pins?: string;
}

export interface SweQaImport {
  questions: EvalQuestion[];
  pinsFile: string | null;
  /** Repositories with questions but no checkout under reposDir. */
  missing: Array<{ name: string; questions: number; pin: Pin | null }>;
  /** Checkouts at another commit than the pinned one (the questions are kept). */
  wrongCommit: Array<{ name: string; pinned: string; actual: string | null }>;
  /** Lines left out, with the reason. */
  skipped: string[];
}

export async function importSweQa(options: SweQaImportOptions): Promise<SweQaImport> {
  const reposDir = path.resolve(options.reposDir);
  if (!existsSync(reposDir) || !statSync(reposDir).isDirectory()) {
    throw new SweQaError(`--repos ${options.reposDir}: no such directory. Clone the SWE-QA repositories there first (the benchmark's clone_repos.sh checks out each at its pinned commit).`);
  }
  const files = options.sources.flatMap(jsonlFiles);
  const pinsFile = options.pins ? path.resolve(options.pins) : findPins(options.sources.map((s) => path.resolve(s)));
  let pins: Pin[] = [];
  if (pinsFile) {
    try {
      pins = parsePins(await readFile(pinsFile, 'utf8'));
    } catch (error) {
      throw new SweQaError(`Cannot read the pins file ${pinsFile}: ${(error as Error).message}`);
    }
  }
  const pinOf = (name: string) => pins.find((p) => p.name.toLowerCase() === name.toLowerCase()) ?? null;

  const questions: EvalQuestion[] = [];
  const skipped: string[] = [];
  const missing = new Map<string, { name: string; questions: number; pin: Pin | null }>();
  const checked = new Map<string, string | null>();
  const wrongCommit: SweQaImport['wrongCommit'] = [];
  const perRepo = new Map<string, number>();

  for (const file of files) {
    const fileRepo = path.basename(file, '.jsonl');
    const lines = (await readFile(file, 'utf8')).split(/\r?\n/);
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      const at = `${path.basename(file)} line ${i + 1}`;
      let r: Record<string, unknown>;
      try {
        const parsed = JSON.parse(line) as unknown;
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        r = parsed as Record<string, unknown>;
      } catch (error) {
        skipped.push(`${at}: not a JSON object (${(error as Error).message})`);
        return;
      }
      const question = firstString(r, ['question', 'query', 'problem']);
      if (!question) {
        skipped.push(`${at}: no "question"`);
        return;
      }
      const name = repoName(firstString(r, ['repo', 'repo_name', 'repository', 'project']) ?? fileRepo);
      const commit = firstString(r, ['commit_id', 'commit', 'base_commit'])?.toLowerCase() ?? pinOf(name)?.commit ?? null;
      const options = r.options;
      const letter = firstString(r, ['correct_answer', 'correct_option', 'label']);
      let check: EvalQuestion['check'];
      let expected: string;
      if (options && typeof options === 'object' && !Array.isArray(options) && letter && /^[A-Za-z]$/.test(letter)) {
        const choices = Object.fromEntries(Object.entries(options as Record<string, unknown>).filter(([k, v]) => /^[A-Za-z]$/.test(k) && typeof v === 'string').map(([k, v]) => [k.toUpperCase(), v as string]));
        if (!choices[letter.toUpperCase()]) {
          skipped.push(`${at}: correct_answer ${letter} is not one of the options`);
          return;
        }
        check = { type: 'choice', choices };
        expected = letter.toUpperCase();
      } else {
        const reference = firstString(r, ['answer', 'ground_truth', 'reference', 'reference_answer', 'gold_answer']);
        if (!reference) {
          skipped.push(`${at}: no reference answer ("answer" or "ground_truth")`);
          return;
        }
        check = { type: 'judge' };
        expected = reference;
      }
      const dir = findRepoDir(reposDir, name);
      if (!dir) {
        const m = missing.get(name) ?? { name, questions: 0, pin: pinOf(name) };
        m.questions++;
        missing.set(name, m);
        return;
      }
      if (commit && !checked.has(name)) {
        const actual = headCommit(dir);
        checked.set(name, actual);
        if (!actual || !actual.startsWith(commit.slice(0, Math.min(commit.length, 40)))) wrongCommit.push({ name, pinned: commit, actual });
      }
      const n = (perRepo.get(name) ?? 0) + 1;
      perRepo.set(name, n);
      const meta: Record<string, unknown> = { source: 'swe-qa', file: path.basename(file), line: i + 1, repoName: name, commit };
      for (const k of ['category', 'qa_type', 'cluster', 'level', 'type']) if (typeof r[k] === 'string') meta[k] = r[k];
      questions.push({ id: `${name.replace(/[^\w.-]+/g, '_')}-${n}`, group: name, repo: dir, question, expected, check, meta });
    });
  }
  return { questions, pinsFile, missing: [...missing.values()], wrongCommit, skipped };
}

/** Shell commands that check out a missing repository at its pinned commit. */
export function cloneCommand(reposDir: string, m: { name: string; pin: Pin | null }): string {
  const target = path.join(reposDir, m.name);
  if (!m.pin?.url) return `# ${m.name}: clone it into ${target}${m.pin ? ` and check out ${m.pin.commit}` : ''}`;
  return `git clone ${m.pin.url} ${target} && git -C ${target} checkout ${m.pin.commit}`;
}
