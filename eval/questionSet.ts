/**
 * Question sets on disk: JSONL, one question per line.
 *
 *   {"id": "needle-8k", "repo": "slices/8k", "question": "...", "expected": "amber-falcon-4821",
 *    "check": "exact", "group": "needle-8k", "meta": {...}}
 *
 * `repo` is a path, relative to the question file's folder (or absolute). `check` is a
 * check type name or an object with its options (see types.ts). Every line is validated;
 * errors name the file, the line and the field, and all of them are reported at once.
 */
import { statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { CHECK_TYPES, type Check, type EvalQuestion, type Expected } from './types';

export class QuestionSetError extends Error {
  override readonly name = 'QuestionSetError';
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message);
  }
}

const FIELDS = ['id', 'repo', 'question', 'expected', 'check', 'group', 'meta'] as const;
const MAX_REPORTED = 20;

export interface ParseOptions {
  /** Shown in messages, e.g. "questions.jsonl". */
  file: string;
  /** Folder that relative `repo` paths start from. */
  baseDir: string;
  /** Used for lines without a `repo` field; give an absolute path. */
  defaultRepo?: string;
  /** Check that each repository is a directory (default true). */
  checkRepos?: boolean;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The closest known field name, for "did you mean" hints. */
function closest(name: string, known: readonly string[]): string | null {
  const distance = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length]![b.length]!;
  };
  let best: string | null = null;
  let bestDistance = 3;
  for (const k of known) {
    const dist = distance(name.toLowerCase(), k);
    if (dist < bestDistance) {
      best = k;
      bestDistance = dist;
    }
  }
  return best;
}

function parseCheck(raw: unknown, field: (msg: string) => void): Check | null {
  const spec = typeof raw === 'string' ? { type: raw } : raw;
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) {
    field(`field "check" must be one of ${CHECK_TYPES.map((t) => `"${t}"`).join(', ')} or an object like {"type": "number", "rel": 0.1}; got ${describe(raw)}`);
    return null;
  }
  const s = spec as Record<string, unknown>;
  const type = s.type;
  if (typeof type !== 'string' || !(CHECK_TYPES as readonly string[]).includes(type)) {
    const hint = typeof type === 'string' ? closest(type, CHECK_TYPES) : null;
    field(`field "check" has an unknown type ${describe(type)}; use one of ${CHECK_TYPES.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`);
    return null;
  }
  const allowed: Record<string, string[]> = { exact: ['caseSensitive'], number: ['abs', 'rel'], 'set-f1': ['pairs'], choice: ['choices'], judge: [] };
  for (const key of Object.keys(s)) {
    if (key !== 'type' && !allowed[type]!.includes(key)) {
      field(`field "check" has an option "${key}" that ${type === 'exact' ? 'an' : 'a'} ${type} check does not take${allowed[type]!.length ? ` (it takes: ${allowed[type]!.join(', ')})` : ''}`);
      return null;
    }
  }
  switch (type) {
    case 'exact':
      if (s.caseSensitive !== undefined && typeof s.caseSensitive !== 'boolean') return field('check option "caseSensitive" must be true or false'), null;
      return { type, ...(s.caseSensitive !== undefined ? { caseSensitive: s.caseSensitive as boolean } : {}) };
    case 'number':
      for (const k of ['abs', 'rel'] as const) {
        if (s[k] !== undefined && !(typeof s[k] === 'number' && Number.isFinite(s[k]) && (s[k] as number) >= 0)) {
          return field(`check option "${k}" must be a number of 0 or more (${k === 'abs' ? 'absolute tolerance' : 'relative tolerance, 0.1 = 10%'}); got ${describe(s[k])}`), null;
        }
      }
      return { type, ...(s.abs !== undefined ? { abs: s.abs as number } : {}), ...(s.rel !== undefined ? { rel: s.rel as number } : {}) };
    case 'set-f1':
      if (s.pairs !== undefined && typeof s.pairs !== 'boolean') return field('check option "pairs" must be true or false'), null;
      return { type, ...(s.pairs !== undefined ? { pairs: s.pairs as boolean } : {}) };
    case 'choice': {
      let choices: Record<string, string> | null = null;
      if (Array.isArray(s.choices) && s.choices.length >= 2 && s.choices.length <= 26 && s.choices.every((c) => typeof c === 'string' && c.trim())) {
        choices = Object.fromEntries((s.choices as string[]).map((c, i) => [String.fromCharCode(65 + i), c]));
      } else if (s.choices && typeof s.choices === 'object' && !Array.isArray(s.choices)) {
        const entries = Object.entries(s.choices as Record<string, unknown>);
        if (entries.length >= 2 && entries.every(([k, v]) => /^[A-Za-z]$/.test(k) && typeof v === 'string' && v.trim())) {
          choices = Object.fromEntries(entries.map(([k, v]) => [k.toUpperCase(), v as string]));
        }
      }
      if (!choices) {
        field(`a choice check needs "choices": a list of at least two option texts, or an object like {"A": "...", "B": "..."}; got ${describe(s.choices)}`);
        return null;
      }
      return { type, choices };
    }
    default:
      return { type: 'judge' };
  }
}

function validExpected(check: Check, expected: unknown): string | null {
  switch (check.type) {
    case 'exact':
      if (typeof expected === 'string' && expected.trim()) return null;
      if (Array.isArray(expected) && expected.length > 0 && expected.every((e) => typeof e === 'string' && e.trim())) return null;
      return 'must be a non-empty string (or a list of accepted strings) for an exact check';
    case 'number':
      if (typeof expected === 'number' && Number.isFinite(expected)) return null;
      if (expected && typeof expected === 'object' && !Array.isArray(expected) && Object.values(expected).every((v) => typeof v === 'number' && Number.isFinite(v))) return null;
      return 'must be a number, or an object of numbers such as {"src": 3, "lib": 0}, for a number check';
    case 'set-f1':
      if (Array.isArray(expected) && expected.every((e) => typeof e === 'string')) return null;
      return 'must be a list of strings (possibly empty) for a set-f1 check';
    case 'choice':
      if (typeof expected === 'string' && Object.keys(check.choices).includes(expected.trim().toUpperCase())) return null;
      return `must be the letter of one of the options (${Object.keys(check.choices).join(', ')}) for a choice check`;
    case 'judge':
      if (typeof expected === 'string' && expected.trim()) return null;
      return 'must be the reference answer (a non-empty string) for a judge check';
  }
}

/** Parses and validates a question set; throws a QuestionSetError listing every problem. */
export function parseQuestionSet(text: string, options: ParseOptions): EvalQuestion[] {
  const problems: string[] = [];
  const questions: EvalQuestion[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, index) => {
    const lineNo = index + 1;
    if (!line.trim()) return;
    const at = `${options.file} line ${lineNo}`;
    const problem = (msg: string): void => void problems.push(`${at}: ${msg}`);
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (error) {
      problem(`not valid JSON (${(error as Error).message}); each line must be one JSON object`);
      return;
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      problem(`expected a JSON object with "question", "expected" and "check"; got ${describe(raw)}`);
      return;
    }
    const r = raw as Record<string, unknown>;
    let ok = true;
    const bad = (msg: string): void => {
      ok = false;
      problem(msg);
    };
    for (const key of Object.keys(r)) {
      if (!(FIELDS as readonly string[]).includes(key)) {
        const hint = closest(key, FIELDS);
        bad(`unknown field "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; fields are ${FIELDS.join(', ')} (put anything else under "meta")`);
      }
    }
    const id = r.id === undefined ? `q${lineNo}` : r.id;
    if (typeof id !== 'string' || !/^[\w.-]{1,120}$/.test(id)) bad(`field "id" must be a string of letters, digits, "_", "-" or "." (it names trace files); got ${describe(r.id)}`);
    else if (seen.has(id)) bad(`field "id" repeats "${id}" from line ${seen.get(id)}; ids must be unique`);
    else seen.set(id, lineNo);
    if (typeof r.question !== 'string' || !r.question.trim()) bad(`field "question" must be a non-empty string; got ${describe(r.question)}`);
    const repoRaw = r.repo ?? options.defaultRepo;
    let repo = '';
    if (typeof repoRaw !== 'string' || !repoRaw.trim()) {
      bad(r.repo === undefined ? 'field "repo" is missing: give the repository path (relative to the question file), or pass --repo' : `field "repo" must be a path; got ${describe(r.repo)}`);
    } else {
      repo = path.resolve(options.baseDir, repoRaw);
      if (options.checkRepos !== false) {
        let isDir = false;
        try {
          isDir = statSync(repo).isDirectory();
        } catch {
          // reported below
        }
        if (!isDir) bad(`field "repo": ${JSON.stringify(repoRaw)} (${repo}) is not a directory`);
      }
    }
    if (r.group !== undefined && (typeof r.group !== 'string' || !r.group.trim())) bad(`field "group" must be a non-empty string; got ${describe(r.group)}`);
    if (r.meta !== undefined && (!r.meta || typeof r.meta !== 'object' || Array.isArray(r.meta))) bad(`field "meta" must be an object; got ${describe(r.meta)}`);
    let check: Check | null = null;
    if (r.check === undefined) bad(`field "check" is missing; use one of ${CHECK_TYPES.join(', ')}`);
    else check = parseCheck(r.check, bad);
    if (!('expected' in r)) bad('field "expected" is missing (the right answer)');
    else if (check) {
      const why = validExpected(check, r.expected);
      if (why) bad(`field "expected" ${why}; got ${describe(r.expected)}`);
    }
    if (!ok || !check) return;
    questions.push({
      id: id as string,
      repo,
      question: (r.question as string).trim(),
      expected: (check.type === 'choice' ? (r.expected as string).trim().toUpperCase() : r.expected) as Expected,
      check,
      ...(r.group !== undefined ? { group: r.group as string } : {}),
      ...(r.meta !== undefined ? { meta: r.meta as Record<string, unknown> } : {}),
    });
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_REPORTED);
    const more = problems.length > MAX_REPORTED ? `\n(and ${problems.length - MAX_REPORTED} more problems)` : '';
    throw new QuestionSetError(`${options.file} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n${shown.join('\n')}${more}`, problems);
  }
  if (questions.length === 0) throw new QuestionSetError(`${options.file} holds no questions (one JSON object per line expected).`, []);
  return questions;
}

export async function readQuestionSet(file: string, options: { defaultRepo?: string; checkRepos?: boolean } = {}): Promise<EvalQuestion[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new QuestionSetError(code === 'ENOENT' ? `No question file at ${file}.` : code === 'EISDIR' ? `${file} is a directory; give a .jsonl question file.` : `Cannot read ${file}: ${(error as Error).message}`, []);
  }
  return parseQuestionSet(text, { file, baseDir: path.dirname(path.resolve(file)), ...options });
}

/** One line of a question set, with `repo` relative to the file's folder. */
export function serialiseQuestion(q: EvalQuestion, baseDir: string): string {
  const rel = path.relative(baseDir, q.repo).split(path.sep).join('/');
  const repo = path.isAbsolute(rel) ? q.repo : rel === '' ? '.' : rel;
  const check = Object.keys(q.check).length === 1 ? q.check.type : q.check;
  return JSON.stringify({
    id: q.id,
    ...(q.group !== undefined ? { group: q.group } : {}),
    repo,
    question: q.question,
    expected: q.expected,
    check,
    ...(q.meta !== undefined ? { meta: q.meta } : {}),
  });
}

export async function writeQuestionSet(file: string, questions: EvalQuestion[]): Promise<void> {
  const target = path.resolve(file);
  await mkdir(path.dirname(target), { recursive: true });
  const baseDir = path.dirname(target);
  await writeFile(target, questions.map((q) => serialiseQuestion(q, baseDir)).join('\n') + '\n');
}
