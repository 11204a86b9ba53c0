/**
 * The sandbox API: the one definition from which the worker builds its endowments, the
 * host validates arguments, and the system prompt and README document the API. Change a
 * function here and all four follow.
 */
import { ArgumentError, array, boolean, integer, oneOf, optional, options, string, type Check } from './validate';

export const LIMITS = {
  pathChars: 4_096,
  globChars: 1_000,
  globs: 100,
  patternChars: 10_000,
  promptChars: 2_000_000,
  batchPrompts: 10_000,
  modelChars: 200,
} as const;

const path = string({ max: LIMITS.pathChars, nonEmpty: true });
const glob = oneOf(string({ max: LIMITS.globChars, nonEmpty: true }), array(string({ max: LIMITS.globChars, nonEmpty: true }), { max: LIMITS.globs }));
const prompt = string({ max: LIMITS.promptChars, nonEmpty: true });
const llmOptions = options({ model: string({ max: LIMITS.modelChars, nonEmpty: true }) });

/** A function the guest calls; it runs on the host and returns plain data. */
export interface HostFunction {
  kind: 'host';
  /** Dotted name as the guest writes it, e.g. `repo.read`. */
  name: string;
  /** How the model should call it, as shown in the prompt. */
  signature: string;
  /** One line on what it does and returns. */
  doc: string;
  /** Names of the positional parameters, for error messages. */
  params: string[];
  checks: Check<unknown>[];
}

/** Something the worker provides itself, without a host round trip. */
export interface GuestBuiltin {
  kind: 'builtin';
  name: string;
  signature: string;
  doc: string;
}

export type ApiEntry = HostFunction | GuestBuiltin;

function host(name: string, signature: string, doc: string, params: Array<[string, Check<unknown>]>): HostFunction {
  return { kind: 'host', name, signature, doc, params: params.map(([p]) => p), checks: params.map(([, c]) => c) };
}

export const SANDBOX_API: readonly ApiEntry[] = [
  { kind: 'builtin', name: 'repo.name', signature: 'repo.name', doc: 'the workspace folder name' },
  host('repo.files', 'await repo.files(glob?, {limit?})', 'relative paths of files, sorted; glob is a fast-glob pattern string or array (default "**/*"; "*.ts" matches only the root folder, use "**/*.ts")', [
    ['glob', optional(glob)],
    ['options', options({ limit: integer({ min: 1, max: 1_000_000 }) })],
  ]),
  host('repo.read', 'await repo.read(path, {start?, end?})', 'text of a file, or of a 1-based inclusive line range; binary files give a short notice', [
    ['path', path],
    ['options', options({ start: integer({ min: 1, max: 1e9 }), end: integer({ min: 1, max: 1e9 }) })],
  ]),
  host('repo.grep', 'await repo.grep(pattern, {glob?, ignoreCase?, maxResults?})', '[{path, line, text}] for lines matching a JavaScript regex source string (e.g. "export (async )?function"); maxResults defaults to 200, at most 5,000', [
    ['pattern', string({ max: LIMITS.patternChars, nonEmpty: true })],
    ['options', options({ glob, ignoreCase: boolean, maxResults: integer({ min: 1, max: 5_000 }) })],
  ]),
  host('repo.tree', 'await repo.tree(dir?, {depth?})', 'indented directory listing with file counts (depth defaults to 2)', [
    ['dir', optional(string({ max: LIMITS.pathChars }))],
    ['options', options({ depth: integer({ min: 1, max: 20 }) })],
  ]),
  host('repo.stat', 'await repo.stat(path)', '{path, bytes, lines} of one file (lines is null for binary files)', [['path', path]]),
  host('repo.clusters', 'await repo.clusters(glob?, {maxChars?})', '[{files, chars}]: neighbouring files grouped so each group stays under maxChars (default 100,000); one group is a good unit for one llm() call', [
    ['glob', optional(glob)],
    ['options', options({ maxChars: integer({ min: 1_000, max: 10_000_000 }) })],
  ]),
  host('llm', 'await llm(prompt, {model?})', 'one call to a fresh sub-model that sees only this prompt; returns its reply text. Put the file text it needs into the prompt', [
    ['prompt', prompt],
    ['options', llmOptions],
  ]),
  host('llm.batch', 'await llm.batch(prompts, {model?})', 'many llm() calls run in parallel (concurrency-limited); returns the replies in the same order. Failed calls give a string starting with "[llm error]"', [
    ['prompts', array(prompt, { max: LIMITS.batchPrompts, nonEmpty: true })],
    ['options', llmOptions],
  ]),
  host('rlm', 'await rlm(query, {files?})', 'a recursive RLM (its own REPL, one level deeper) answering query over the given files (paths or globs; default: all); returns its answer text. At the maximum depth it is a plain llm() call with those files in the prompt', [
    ['query', prompt],
    ['options', options({ files: array(string({ max: LIMITS.pathChars, nonEmpty: true }), { max: 10_000, nonEmpty: true }) })],
  ]),
  { kind: 'builtin', name: 'print', signature: 'print(...values)', doc: 'shows values in the cell output (objects as JSON-like text); console.log does the same' },
  { kind: 'builtin', name: 'answer', signature: 'answer.content = "..."; answer.ready = true', doc: 'the final answer: draft and revise content in any cell; setting ready to true ends the run' },
];

export const HOST_FUNCTIONS: readonly HostFunction[] = SANDBOX_API.filter((e): e is HostFunction => e.kind === 'host');

/** Names a cell may not redeclare, since they hold the API. */
export const RESERVED_GLOBALS: readonly string[] = [...new Set(SANDBOX_API.map((e) => e.name.split('.')[0]!)), 'console', 'globalThis'];

const hostFunctionsByName = new Map(HOST_FUNCTIONS.map((f) => [f.name, f]));

export function isHostFunctionName(name: unknown): name is string {
  return typeof name === 'string' && hostFunctionsByName.has(name);
}

/** Validates the guest's positional arguments for `name`; throws an ArgumentError the model can act on. */
export function checkArguments(name: string, args: unknown): unknown[] {
  const fn = hostFunctionsByName.get(name);
  if (!fn) throw new Error(`unknown sandbox function ${name}`);
  if (!Array.isArray(args)) throw new Error('arguments must be an array');
  if (args.length > fn.checks.length) {
    throw new ArgumentError(
      `${name} takes at most ${fn.checks.length} argument${fn.checks.length === 1 ? '' : 's'} (${fn.params.join(', ')}), got ${args.length}. Usage: ${fn.signature}`,
    );
  }
  return fn.checks.map((check, i) => check.parse(args[i], `${name}: ${fn.params[i]}`));
}

/** The API section of the system prompt and README, generated from the definition above. */
export function renderApiReference(): string {
  const width = Math.max(...SANDBOX_API.map((e) => e.signature.length));
  return SANDBOX_API.map((e) => `${e.signature.padEnd(width)}  // ${e.doc}`).join('\n');
}
