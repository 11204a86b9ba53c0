/**
 * The sandbox API: the one definition from which the sandbox process builds its endowments, the
 * host validates arguments and dispatches calls, and the system prompt and README document
 * the API. Each host function carries its handler, so adding a function is adding an entry:
 * the endowment, the argument checks, the dispatch and the documentation all follow.
 *
 * The core entries are below. A host (the CLI, the editor) may add functions of its own to a
 * session (`SandboxApi.with`), e.g. the editor's `repo.symbols`; they appear in that session's
 * system prompt and nowhere else.
 */
import type { ReadRecord, Repo } from '../repo/types';
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

/**
 * What a host function may use while it answers one guest call. The engine implements it
 * for each RLM node: `repo` is that node's view (its subset, its read log).
 */
export interface HostCallContext {
  repo: Repo;
  /** Aborted when the cell ends, the run is cancelled or a limit stops it. */
  signal: AbortSignal;
  llm(prompt: string, options: { model?: string }): Promise<string>;
  llmBatch(prompts: string[], options: { model?: string }): Promise<string[]>;
  rlm(query: string, options: { files?: string[] }): Promise<string>;
  /**
   * Records lines a host function showed the guest (a symbol's definition, a reference),
   * so that they are cited like lines read with repo.read.
   */
  recordRead(record: Omit<ReadRecord, 'unsaved'> & { unsaved?: boolean }): void;
}

type Param = readonly [name: string, check: Check<any>];
type ArgsOf<P extends readonly Param[]> = { -readonly [K in keyof P]: P[K] extends readonly [string, Check<infer T>] ? T : never };

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
  /** Answers a call whose arguments passed `checks`. */
  handler(args: unknown[], ctx: HostCallContext): Promise<unknown>;
  /**
   * A short line for a progress view saying what the call did, e.g. "grep `createServer` →
   * 9 hits in 4 files"; `result` is undefined when the call failed. Absent for calls that are
   * reported otherwise (sub-calls).
   */
  describe?(args: unknown[], result: unknown): string;
}

/** Something the sandbox process provides itself, without a host round trip. */
export interface GuestBuiltin {
  kind: 'builtin';
  name: string;
  signature: string;
  doc: string;
}

export type ApiEntry = HostFunction | GuestBuiltin;

export interface HostFunctionSpec<P extends readonly Param[], R> {
  name: string;
  signature: string;
  doc: string;
  params: P;
  handler(args: ArgsOf<P>, ctx: HostCallContext): Promise<R>;
  describe?(args: ArgsOf<P>, result: R | undefined): string;
}

/** Defines a host function; the handler's arguments are typed by the parameter checks. */
export function hostFunction<const P extends readonly Param[], R>(spec: HostFunctionSpec<P, R>): HostFunction {
  const describe = spec.describe;
  return {
    kind: 'host',
    name: spec.name,
    signature: spec.signature,
    doc: spec.doc,
    params: spec.params.map(([p]) => p),
    checks: spec.params.map(([, c]) => c),
    handler: (args, ctx) => spec.handler(args as ArgsOf<P>, ctx),
    ...(describe ? { describe: (args: unknown[], result: unknown) => describe(args as ArgsOf<P>, result as R | undefined) } : {}),
  };
}

const count = (x: number, one: string, many = `${one}s`): string => `${x.toLocaleString('en-US')} ${x === 1 ? one : many}`;
const globText = (g: string | string[] | undefined): string => (g === undefined ? '' : Array.isArray(g) ? g.join(', ') : g);
const range = (o: { start?: number; end?: number }): string =>
  o.start === undefined && o.end === undefined ? '' : `:${o.start ?? 1}-${o.end ?? 'end'}`;

export const pathParam = string({ max: LIMITS.pathChars, nonEmpty: true });
const glob = oneOf(string({ max: LIMITS.globChars, nonEmpty: true }), array(string({ max: LIMITS.globChars, nonEmpty: true }), { max: LIMITS.globs }));
const prompt = string({ max: LIMITS.promptChars, nonEmpty: true });
const llmOptions = options({ model: string({ max: LIMITS.modelChars, nonEmpty: true }) });

export const CORE_API: readonly ApiEntry[] = [
  { kind: 'builtin', name: 'repo.name', signature: 'repo.name', doc: 'the workspace name' },
  hostFunction({
    name: 'repo.files',
    signature: 'await repo.files(glob?, {limit?})',
    doc: 'relative paths of files, sorted; glob is a fast-glob pattern string or array (default "**/*"; "*.ts" matches only the root folder, use "**/*.ts")',
    params: [
      ['glob', optional(glob)],
      ['options', options({ limit: integer({ min: 1, max: 1_000_000 }) })],
    ],
    handler: ([g, o], { repo }) => repo.files(g, o),
    describe: ([g], r) => `list ${globText(g) || 'all files'}${r ? ` → ${count(r.length, 'file')}` : ''}`,
  }),
  hostFunction({
    name: 'repo.read',
    signature: 'await repo.read(path, {start?, end?})',
    doc: 'text of a file, or of a 1-based inclusive line range; binary files give a short notice',
    params: [
      ['path', pathParam],
      ['options', options({ start: integer({ min: 1, max: 1e9 }), end: integer({ min: 1, max: 1e9 }) })],
    ],
    handler: ([p, o], { repo }) => repo.read(p, o),
    describe: ([p, o]) => `read ${p}${range(o)}`,
  }),
  hostFunction({
    name: 'repo.grep',
    signature: 'await repo.grep(pattern, {glob?, ignoreCase?, maxResults?})',
    doc: '[{path, line, text}] for lines matching a JavaScript regex source string (e.g. "export (async )?function"); maxResults defaults to 200, at most 5,000',
    params: [
      ['pattern', string({ max: LIMITS.patternChars, nonEmpty: true })],
      ['options', options({ glob, ignoreCase: boolean, maxResults: integer({ min: 1, max: 5_000 }) })],
    ],
    handler: ([p, o], { repo, signal }) => repo.grep(p, o, signal),
    describe: ([p, o], r) =>
      `grep \`${p.length > 60 ? `${p.slice(0, 60)}…` : p}\`${o.glob ? ` in ${globText(o.glob)}` : ''}` +
      (r ? ` → ${count(r.length, 'hit')}${r.length ? ` in ${count(new Set(r.map((m) => m.path)).size, 'file')}` : ''}` : ''),
  }),
  hostFunction({
    name: 'repo.tree',
    signature: 'await repo.tree(dir?, {depth?})',
    doc: 'indented directory listing with file counts (depth defaults to 2)',
    params: [
      ['dir', optional(string({ max: LIMITS.pathChars }))],
      ['options', options({ depth: integer({ min: 1, max: 20 }) })],
    ],
    handler: ([d, o], { repo }) => repo.tree(d, o),
    describe: ([d]) => `tree ${d || '.'}`,
  }),
  hostFunction({
    name: 'repo.stat',
    signature: 'await repo.stat(path)',
    doc: '{path, bytes, lines} of one file (lines is null for binary files)',
    params: [['path', pathParam]],
    handler: ([p], { repo }) => repo.stat(p),
    describe: ([p]) => `stat ${p}`,
  }),
  hostFunction({
    name: 'repo.clusters',
    signature: 'await repo.clusters(glob?, {maxChars?})',
    doc: '[{files, chars}]: neighbouring files grouped so each group stays under maxChars (default 100,000); one group is a good unit for one llm() call',
    params: [
      ['glob', optional(glob)],
      ['options', options({ maxChars: integer({ min: 1_000, max: 10_000_000 }) })],
    ],
    handler: ([g, o], { repo }) => repo.clusters(g, o),
    describe: ([g], r) => `group ${globText(g) || 'all files'}${r ? ` → ${count(r.length, 'cluster')} of ${count(r.reduce((n, c) => n + c.files.length, 0), 'file')}` : ''}`,
  }),
  hostFunction({
    name: 'llm',
    signature: 'await llm(prompt, {model?})',
    doc: 'one call to a fresh sub-model that sees only this prompt; returns its reply text. Put the file text it needs into the prompt',
    params: [
      ['prompt', prompt],
      ['options', llmOptions],
    ],
    handler: ([p, o], ctx) => ctx.llm(p, o),
  }),
  hostFunction({
    name: 'llm.batch',
    signature: 'await llm.batch(prompts, {model?})',
    doc: 'many llm() calls run in parallel (concurrency-limited); returns the replies in the same order. Failed calls give a string starting with "[llm error]"',
    params: [
      ['prompts', array(prompt, { max: LIMITS.batchPrompts, nonEmpty: true })],
      ['options', llmOptions],
    ],
    handler: ([p, o], ctx) => ctx.llmBatch(p, o),
  }),
  hostFunction({
    name: 'rlm',
    signature: 'await rlm(query, {files?})',
    doc: 'a recursive RLM (its own REPL, one level deeper) answering query over the given files (paths or globs; default: all); returns its answer text. At the maximum depth it is a plain llm() call with those files in the prompt',
    params: [
      ['query', prompt],
      ['options', options({ files: array(string({ max: LIMITS.pathChars, nonEmpty: true }), { max: 10_000, nonEmpty: true }) })],
    ],
    handler: ([q, o], ctx) => ctx.rlm(q, o),
  }),
  { kind: 'builtin', name: 'print', signature: 'print(...values)', doc: 'shows values in the cell output (objects as JSON-like text); console.log does the same' },
  {
    kind: 'builtin',
    name: 'answer',
    signature: 'answer.content = "..."; answer.ready = true',
    doc: 'the final answer: draft and revise content in any cell; setting ready to true (the boolean) ends the run',
  },
];

const GUEST_NAME = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)?$/;

/** The API of one session: the core entries plus the host's own functions. */
export class SandboxApi {
  readonly entries: readonly ApiEntry[];
  readonly hostFunctions: readonly HostFunction[];
  /** Names a cell may not redeclare, since they hold the API. */
  readonly reservedGlobals: readonly string[];
  private readonly byName: ReadonlyMap<string, HostFunction>;

  constructor(entries: readonly ApiEntry[]) {
    const seen = new Set<string>();
    for (const e of entries) {
      if (!GUEST_NAME.test(e.name)) throw new Error(`Sandbox API name "${e.name}" must be an identifier or a.b.`);
      if (seen.has(e.name)) throw new Error(`Sandbox API name "${e.name}" is defined twice.`);
      seen.add(e.name);
    }
    this.entries = entries;
    this.hostFunctions = entries.filter((e): e is HostFunction => e.kind === 'host');
    this.byName = new Map(this.hostFunctions.map((f) => [f.name, f]));
    this.reservedGlobals = [...new Set(entries.map((e) => e.name.split('.')[0]!)), 'console', 'globalThis'];
  }

  /** This API with the host's own functions added, placed before the builtins. */
  with(extra: readonly HostFunction[]): SandboxApi {
    if (extra.length === 0) return this;
    const print = this.entries.findIndex((e) => e.name === 'print');
    const at = print < 0 ? this.entries.length : print;
    return new SandboxApi([...this.entries.slice(0, at), ...extra, ...this.entries.slice(at)]);
  }

  has(name: unknown): name is string {
    return typeof name === 'string' && this.byName.has(name);
  }

  get(name: string): HostFunction {
    const fn = this.byName.get(name);
    if (!fn) throw new Error(`unknown sandbox function ${name}`);
    return fn;
  }

  /** Validates the guest's positional arguments for `name`; throws an ArgumentError the model can act on. */
  check(name: string, args: unknown): unknown[] {
    const fn = this.get(name);
    if (!Array.isArray(args)) throw new Error('arguments must be an array');
    if (args.length > fn.checks.length) {
      throw new ArgumentError(
        `${name} takes at most ${fn.checks.length} argument${fn.checks.length === 1 ? '' : 's'} (${fn.params.join(', ')}), got ${args.length}. Usage: ${fn.signature}`,
      );
    }
    return fn.checks.map((check, i) => check.parse(args[i], `${name}: ${fn.params[i]}`));
  }

  /** The API section of the system prompt (and README), one line per entry. */
  render(): string {
    const width = Math.max(...this.entries.map((e) => e.signature.length));
    return this.entries.map((e) => `${e.signature.padEnd(width)}  // ${e.doc}`).join('\n');
  }
}

export const CORE_SANDBOX_API = new SandboxApi(CORE_API);

/** The core API's argument checks (the rules every front end shares). */
export function checkArguments(name: string, args: unknown): unknown[] {
  return CORE_SANDBOX_API.check(name, args);
}

export function renderApiReference(api: SandboxApi = CORE_SANDBOX_API): string {
  return api.render();
}
