/**
 * Command-line parsing for `rlm`, on node's own util.parseArgs. Bad input becomes a
 * UsageError whose message says what to type instead.
 */
import { parseArgs } from 'node:util';
import { EVAL_OPTIONS, parseEvalCommandLine, type EvalCommand } from './evalArgs';
import { MODEL_OPTIONS, PRICE_OPTIONS, modelSettings, priceSettings } from './options';
import type { ModelSettings, PriceSettings } from './settings';
import { UsageError } from './usageError';

export const HELP = `rlm: answers questions about a code repository with a Recursive Language Model.

Usage:
  rlm ask "question" [options]
  rlm eval QUESTIONS.jsonl [options]     measure accuracy, cost and latency (rlm eval --help)

Model:
  --provider openai|ollama   default: openai when OPENAI_API_KEY is set, else a running Ollama
  --model M                  root model (default: gpt-5-mini for OpenAI; the server's first model otherwise)
  --sub-model M              model for llm()/llm.batch() sub-calls (default: the root model)
  --base-url URL             OpenAI-compatible server (vLLM, LM Studio, llama.cpp, OpenRouter); or OPENAI_BASE_URL
  --host URL                 Ollama server; or OLLAMA_HOST (default http://127.0.0.1:11434)
  --num-ctx N                Ollama context window in tokens (default 32768)
  --timeout S                seconds a model request may stay silent before it fails (default 120)
  --price-in USD             root-model price per million input tokens, to show cost (with --price-out)
  --price-out USD            root-model price per million output tokens
  --sub-price-in USD         sub-model prices, when --sub-model names another model (with --sub-price-out)
  --sub-price-out USD

Run:
  --repo PATH                repository to ask about (default: current directory)
  --max-iterations N         root-model turns (default 30)
  --max-depth N              recursion depth of rlm() (default 1)
  --max-sub-calls N          llm()/rlm() calls in all (default 200)
  --max-tokens N             tokens in all, all models (default 5000000)
  --max-time S               wall time in seconds (default 1800)
  --concurrency N            sub-calls in parallel (default 8)
  --cell-timeout S           seconds one REPL cell may run (default 60)
  --max-memory MIB           memory one run may add, host and sandboxes together (default 512)
  --no-subcalls              REPL only: disable llm(), llm.batch() and rlm()
  --no-gitignore             also read files that .gitignore excludes

Output:
  --json                     print answer, citations, usage and limits as one JSON object
  --trace FILE               write the full run trace as JSON
  --quiet                    no progress on stderr

Environment: OPENAI_API_KEY, OPENAI_BASE_URL, OLLAMA_HOST.
Exit status: 0 with an answer, 1 on an error, 2 on bad usage, 130 when interrupted.`;

export interface AskArgs extends ModelSettings, PriceSettings {
  question: string;
  repo: string;
  subcalls: boolean;
  json: boolean;
  trace?: string;
  quiet: boolean;
}

export type Command = { kind: 'help' } | { kind: 'version' } | { kind: 'ask'; args: AskArgs } | { kind: 'eval'; command: EvalCommand };

const ASK_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  repo: { type: 'string' },
  ...MODEL_OPTIONS,
  ...PRICE_OPTIONS,
  'no-subcalls': { type: 'boolean' },
  json: { type: 'boolean' },
  trace: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

/** The first argument that is not an option or an option's value (the command name). */
function firstPositional(argv: string[]): { index: number; value: string } | null {
  const takesValue = new Set(
    [...Object.entries(ASK_OPTIONS), ...Object.entries(EVAL_OPTIONS)].filter(([, o]) => o.type === 'string').map(([name]) => `--${name}`),
  );
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return i + 1 < argv.length ? { index: i + 1, value: argv[i + 1]! } : null;
    if (a.startsWith('-') && a !== '-') {
      if (!a.includes('=') && takesValue.has(a)) i++;
      continue;
    }
    return { index: i, value: a };
  }
  return null;
}

export function parseCommandLine(argv: string[], cwd: string): Command {
  const first = firstPositional(argv);
  if (first?.value === 'eval') return { kind: 'eval', command: parseEvalCommandLine([...argv.slice(0, first.index), ...argv.slice(first.index + 1)], cwd) };
  const { values, positionals } = (() => {
    try {
      return parseArgs({ args: argv, allowPositionals: true, options: ASK_OPTIONS });
    } catch (error) {
      throw new UsageError(`${(error as Error).message}. Run "rlm --help" for the options.`);
    }
  })();

  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const [command, ...rest] = positionals;
  if (command === undefined) return { kind: 'help' };
  if (command !== 'ask') throw new UsageError(`Unknown command "${command}". Try: rlm ask "How is the config loaded?" (or rlm eval --help)`);
  if (rest.length === 0 || !rest.join(' ').trim()) throw new UsageError('rlm ask needs a question, e.g. rlm ask "Where are HTTP routes defined?"');
  if (rest.length > 1) throw new UsageError(`rlm ask takes one question; quote it: rlm ask "${rest.join(' ')}"`);

  return {
    kind: 'ask',
    args: {
      question: rest[0]!,
      repo: values.repo ?? cwd,
      ...modelSettings(values),
      ...priceSettings(values),
      subcalls: !values['no-subcalls'],
      json: values.json ?? false,
      trace: values.trace,
      quiet: values.quiet ?? false,
    },
  };
}
