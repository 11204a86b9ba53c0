/**
 * Command-line parsing for `rlm eval`: running a question set, generating one, and
 * importing SWE-QA. Bad input becomes a UsageError that says what to type instead.
 */
import { parseArgs } from 'node:util';
import * as path from 'node:path';
import { EVAL_MODES, type EvalMode } from '../../eval/types';
import { DEFAULT_NEEDLE_SIZES } from '../../eval/generators/needle';
import { formatTokenCount, parseTokenCount } from '../../eval/random';
import { MODEL_OPTIONS, PRICE_OPTIONS, int, modelSettings, priceSettings } from './options';
import type { ModelSettings } from './settings';
import { UsageError } from './usageError';

export const EVAL_HELP = `rlm eval: accuracy, cost and latency of answers on question sets, in three modes on the same questions:
rlm (the engine), rlm-no-subcalls (REPL only) and direct (the files concatenated into one prompt).

Usage:
  rlm eval QUESTIONS.jsonl [options]                        run a question set
  rlm eval generate needle|aggregate|pairs --out FILE [options]   make a question set from a repository
  rlm eval import-swe-qa SOURCE... --repos DIR --out FILE   convert SWE-QA questions

Run:
  --modes LIST               comma-separated, of ${EVAL_MODES.join(', ')} (default: all three)
  --limit N                  only the first N questions
  --out DIR                  where results.jsonl, summary.json, report.txt and traces/ go
                             (default: ./rlm-eval-<date>-<time>; an existing non-empty folder is refused)
  --repo PATH                repository for questions that name none
  --context-window TOKENS    what the direct mode may fill, e.g. 128k (default: --num-ctx on Ollama, else 128k)
  --price-in USD             root-model price per million input tokens (cost is n/a without prices)
  --price-out USD            root-model price per million output tokens
  --sub-price-in USD         sub-model prices, when --sub-model names another model
  --sub-price-out USD
  --judge-model M            grades free-form (judge) questions (default: the root model)
  --parallel N               runs at once (default 1, which keeps latencies comparable)
  --json                     print the summary as JSON instead of the table
  --quiet                    no progress on stderr
  Model options and run limits as for rlm ask: --provider, --model, --sub-model, --base-url, --host,
  --num-ctx, --timeout, --max-iterations, --max-depth, --max-sub-calls, --max-tokens, --max-time,
  --concurrency, --cell-timeout, --max-memory, --no-gitignore.

Generate (the same seed gives the same set; the repository is only read):
  --repo PATH                repository to generate from (default: current directory)
  --seed N                   (default 1)
  --out FILE                 the question set to write (.jsonl)
  needle     a unique fact planted at a random file and line of slices of growing size
    --sizes LIST             slice sizes in tokens (default ${DEFAULT_NEEDLE_SIZES.map(formatTokenCount).join(',')}; sizes the repository cannot fill are skipped)
    --per-size N             questions per size (default 1)
    --slices-dir DIR         where the planted copies go (default: FILE's name + ".slices", outside the repository)
  aggregate  exported functions without doc comments, counted by the TypeScript compiler API (Python: docstrings)
    --count N                question kinds (default 2, at most 4)
    --tolerance R            relative tolerance of the number checks (default 0.1)
    --language ts|py         (default: the repository's main one)
  pairs      pairs of modules that import each other, scored by F1
    --count N                1 = the whole repository (default); more add questions scoped to folders
    --language ts|py
  aggregate and pairs read TypeScript/JavaScript with the typescript package, which rlm does not
  install: npm install -g typescript (or npm install typescript beside a local rlm).

Import SWE-QA (github.com/peng-weihan/SWE-QA: questions over Python repositories at pinned commits):
  SOURCE                     SWE-QA .jsonl files or folders of them (one file per repository, e.g. Benchmark/)
  --repos DIR                where the repositories are checked out: DIR/flask, DIR/django, ...
  --pins FILE                repos.txt with the pinned commits (default: found beside SOURCE)
  --out FILE                 the question set to write; answers are graded by a judge model
  --limit N                  only the first N questions

Exit status: 0 when the evaluation ran, 1 on an error, 2 on bad usage, 130 when interrupted.`;

export const EVAL_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  ...MODEL_OPTIONS,
  modes: { type: 'string' },
  limit: { type: 'string' },
  out: { type: 'string' },
  repo: { type: 'string' },
  'context-window': { type: 'string' },
  ...PRICE_OPTIONS,
  'judge-model': { type: 'string' },
  parallel: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  seed: { type: 'string' },
  sizes: { type: 'string' },
  'per-size': { type: 'string' },
  'slices-dir': { type: 'string' },
  count: { type: 'string' },
  tolerance: { type: 'string' },
  language: { type: 'string' },
  repos: { type: 'string' },
  pins: { type: 'string' },
} as const;

type OptionName = keyof typeof EVAL_OPTIONS;

const RUN_ONLY: OptionName[] = ['modes', 'limit', 'context-window', 'price-in', 'price-out', 'sub-price-in', 'sub-price-out', 'judge-model', 'parallel', 'json'];
const MODEL_ONLY = Object.keys(MODEL_OPTIONS).filter((k) => k !== 'no-gitignore') as OptionName[];
const ALLOWED: Record<string, OptionName[]> = {
  run: ['help', 'quiet', 'out', 'repo', 'no-gitignore', ...RUN_ONLY, ...MODEL_ONLY],
  needle: ['help', 'quiet', 'out', 'repo', 'no-gitignore', 'seed', 'sizes', 'per-size', 'slices-dir'],
  aggregate: ['help', 'quiet', 'out', 'repo', 'no-gitignore', 'seed', 'count', 'tolerance', 'language'],
  pairs: ['help', 'quiet', 'out', 'repo', 'no-gitignore', 'seed', 'count', 'language'],
  'import-swe-qa': ['help', 'quiet', 'out', 'repos', 'pins', 'limit'],
};

export interface EvalRunArgs extends ModelSettings {
  questions: string;
  modes: EvalMode[];
  limit?: number;
  out?: string;
  repo?: string;
  contextWindow?: number;
  priceIn?: number;
  priceOut?: number;
  subPriceIn?: number;
  subPriceOut?: number;
  judgeModel?: string;
  parallel: number;
  json: boolean;
  quiet: boolean;
}

export type GeneratorName = 'needle' | 'aggregate' | 'pairs';

export interface GenerateArgs {
  generator: GeneratorName;
  repo: string;
  seed: number;
  out: string;
  sizes?: number[];
  perSize?: number;
  slicesDir?: string;
  count?: number;
  tolerance?: number;
  language?: 'ts' | 'py';
  gitignore: boolean;
  quiet: boolean;
}

export interface ImportSweQaArgs {
  sources: string[];
  repos: string;
  pins?: string;
  out: string;
  limit?: number;
  quiet: boolean;
}

export type EvalCommand =
  | { kind: 'help' }
  | { kind: 'run'; args: EvalRunArgs }
  | { kind: 'generate'; args: GenerateArgs }
  | { kind: 'import-swe-qa'; args: ImportSweQaArgs };

function tokens(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = parseTokenCount(value);
  if (n === null) throw new UsageError(`--${name} must be a number of tokens such as 128000, 128k or 1m; got "${value}".`);
  return n;
}

function parseModes(value: string | undefined): EvalMode[] {
  if (value === undefined) return [...EVAL_MODES];
  const modes = value.split(',').map((m) => m.trim()).filter(Boolean);
  const unknown = modes.filter((m) => !(EVAL_MODES as readonly string[]).includes(m));
  if (modes.length === 0 || unknown.length > 0) {
    throw new UsageError(`--modes takes a comma-separated list of ${EVAL_MODES.join(', ')}${unknown.length ? `; "${unknown[0]}" is not one of them` : ''}.`);
  }
  return [...new Set(modes)] as EvalMode[];
}

function requireOut(out: string | undefined, what: string): string {
  if (!out) throw new UsageError(`${what} needs --out FILE, the question set to write (e.g. --out questions.jsonl).`);
  return out;
}

export function parseEvalCommandLine(argv: string[], cwd: string): EvalCommand {
  const { values, positionals, tokens: parsedTokens } = (() => {
    try {
      return parseArgs({ args: argv, allowPositionals: true, options: EVAL_OPTIONS, tokens: true });
    } catch (error) {
      throw new UsageError(`${(error as Error).message}. Run "rlm eval --help" for the options.`);
    }
  })();
  if (values.help) return { kind: 'help' };
  const [first, ...rest] = positionals;
  if (first === undefined) {
    throw new UsageError('rlm eval needs a question set (rlm eval questions.jsonl), or "generate" or "import-swe-qa". Run "rlm eval --help" for the details.');
  }

  let sub: string;
  if (first === 'generate') {
    const generator = rest[0];
    if (generator !== 'needle' && generator !== 'aggregate' && generator !== 'pairs') {
      throw new UsageError(`rlm eval generate needs a generator: needle, aggregate or pairs${generator ? `; "${generator}" is not one` : ''}. E.g. rlm eval generate needle --repo . --out needle.jsonl`);
    }
    if (rest.length > 1) throw new UsageError(`rlm eval generate ${generator} takes no other arguments; got "${rest.slice(1).join(' ')}".`);
    sub = generator;
  } else if (first === 'import-swe-qa') {
    sub = 'import-swe-qa';
  } else {
    if (rest.length > 0) throw new UsageError(`rlm eval takes one question file; got "${positionals.join(' ')}". Use --modes, --limit and the other options for the rest.`);
    sub = 'run';
  }
  const given = new Set(parsedTokens.filter((t) => t.kind === 'option').map((t) => (t as { name: string }).name));
  for (const name of given) {
    if (!ALLOWED[sub]!.includes(name as OptionName)) {
      const where = Object.entries(ALLOWED).filter(([, names]) => names.includes(name as OptionName)).map(([k]) => (k === 'run' ? 'rlm eval QUESTIONS.jsonl' : k === 'import-swe-qa' ? 'rlm eval import-swe-qa' : `rlm eval generate ${k}`));
      const label = sub === 'run' ? 'rlm eval QUESTIONS.jsonl' : sub === 'import-swe-qa' ? 'rlm eval import-swe-qa' : `rlm eval generate ${sub}`;
      throw new UsageError(`--${name} is not an option of ${label}${where.length ? `; it belongs to ${where.join(', ')}` : ''}. Run "rlm eval --help".`);
    }
  }
  const quiet = values.quiet ?? false;
  const seedValue = int('seed', values.seed, 0);

  if (sub === 'run') {
    const settings = modelSettings(values);
    const { priceIn, priceOut, subPriceIn, subPriceOut } = priceSettings(values);
    return {
      kind: 'run',
      args: {
        ...settings,
        questions: first,
        modes: parseModes(values.modes),
        limit: int('limit', values.limit, 1),
        out: values.out,
        repo: values.repo,
        contextWindow: tokens('context-window', values['context-window']),
        priceIn,
        priceOut,
        subPriceIn,
        subPriceOut,
        judgeModel: values['judge-model'],
        parallel: int('parallel', values.parallel, 1) ?? 1,
        json: values.json ?? false,
        quiet,
      },
    };
  }

  if (sub === 'import-swe-qa') {
    if (rest.length === 0) throw new UsageError('rlm eval import-swe-qa needs the SWE-QA .jsonl files or a folder of them, e.g. rlm eval import-swe-qa SWE-QA/Benchmark --repos repos --out swe-qa.jsonl');
    if (!values.repos) throw new UsageError('rlm eval import-swe-qa needs --repos DIR, the folder where the SWE-QA repositories are checked out (DIR/flask, DIR/django, ...).');
    return {
      kind: 'import-swe-qa',
      args: { sources: rest, repos: values.repos, pins: values.pins, out: requireOut(values.out, 'rlm eval import-swe-qa'), limit: int('limit', values.limit, 1), quiet },
    };
  }

  const out = requireOut(values.out, `rlm eval generate ${sub}`);
  let sizes: number[] | undefined;
  if (values.sizes !== undefined) {
    sizes = values.sizes.split(',').map((s) => {
      const n = parseTokenCount(s);
      if (n === null || n < 100) throw new UsageError(`--sizes takes slice sizes in tokens such as 8k,32k,128k,1m (each at least 100); "${s}" is not one.`);
      return n;
    });
  }
  const tolerance = values.tolerance === undefined ? undefined : Number(values.tolerance);
  if (tolerance !== undefined && !(Number.isFinite(tolerance) && tolerance >= 0 && tolerance < 1)) {
    throw new UsageError(`--tolerance is a relative tolerance from 0 to below 1 (0.1 = 10%); got "${values.tolerance}".`);
  }
  const language = values.language;
  if (language !== undefined && language !== 'ts' && language !== 'py') throw new UsageError(`--language must be "ts" (TypeScript/JavaScript) or "py" (Python); got "${language}".`);
  const count = int('count', values.count, 1);
  if (sub === 'aggregate' && count !== undefined && count > 4) throw new UsageError('--count of the aggregate generator is at most 4 (the number of question kinds).');
  return {
    kind: 'generate',
    args: {
      generator: sub as GeneratorName,
      repo: path.resolve(cwd, values.repo ?? '.'),
      seed: seedValue ?? 1,
      out,
      sizes,
      perSize: int('per-size', values['per-size'], 1),
      slicesDir: values['slices-dir'],
      count,
      tolerance,
      language,
      gitignore: !values['no-gitignore'],
      quiet,
    },
  };
}
