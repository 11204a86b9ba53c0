/**
 * Command-line parsing for `rlm`, on node's own util.parseArgs. Bad input becomes a
 * UsageError whose message says what to type instead.
 */
import { parseArgs } from 'node:util';
import type { ProviderChoice } from './chooseProvider';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const HELP = `rlm: answers questions about a code repository with a Recursive Language Model.

Usage:
  rlm ask "question" [options]

Model:
  --provider openai|ollama   default: openai when OPENAI_API_KEY is set, else a running Ollama
  --model M                  root model (default: gpt-5-mini for OpenAI; the server's first model otherwise)
  --sub-model M              model for llm()/llm.batch() sub-calls (default: the root model)
  --base-url URL             OpenAI-compatible server (vLLM, LM Studio, llama.cpp, OpenRouter); or OPENAI_BASE_URL
  --host URL                 Ollama server; or OLLAMA_HOST (default http://127.0.0.1:11434)
  --num-ctx N                Ollama context window in tokens (default 32768)
  --timeout S                seconds a model request may stay silent before it fails (default 120)

Run:
  --repo PATH                repository to ask about (default: current directory)
  --max-iterations N         root-model turns (default 30)
  --max-depth N              recursion depth of rlm() (default 1)
  --max-sub-calls N          llm()/rlm() calls in all (default 200)
  --max-tokens N             tokens in all, all models (default 5000000)
  --max-time S               wall time in seconds (default 1800)
  --concurrency N            sub-calls in parallel (default 8)
  --cell-timeout S           seconds one REPL cell may run (default 60)
  --no-subcalls              REPL only: disable llm(), llm.batch() and rlm()
  --no-gitignore             also read files that .gitignore excludes

Output:
  --json                     print answer, citations, usage and limits as one JSON object
  --trace FILE               write the full run trace as JSON
  --quiet                    no progress on stderr

Environment: OPENAI_API_KEY, OPENAI_BASE_URL, OLLAMA_HOST.
Exit status: 0 with an answer, 1 on an error, 2 on bad usage, 130 when interrupted.`;

export interface AskArgs extends ProviderChoice {
  question: string;
  repo: string;
  maxIterations?: number;
  maxDepth?: number;
  maxSubCalls?: number;
  maxTokens?: number;
  maxWallTimeMs?: number;
  concurrency?: number;
  cellTimeoutMs?: number;
  subcalls: boolean;
  gitignore: boolean;
  json: boolean;
  trace?: string;
  quiet: boolean;
}

export type Command = { kind: 'help' } | { kind: 'version' } | { kind: 'ask'; args: AskArgs };

function int(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number of at least ${min}, got "${value}".`);
  return n;
}

function seconds(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a number of seconds above 0, got "${value}".`);
  return Math.round(n * 1000);
}

export function parseCommandLine(argv: string[], cwd: string): Command {
  const { values, positionals } = (() => {
    try {
      return parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          help: { type: 'boolean', short: 'h' },
          version: { type: 'boolean', short: 'v' },
          repo: { type: 'string' },
          provider: { type: 'string' },
          model: { type: 'string' },
          'sub-model': { type: 'string' },
          'base-url': { type: 'string' },
          host: { type: 'string' },
          'num-ctx': { type: 'string' },
          timeout: { type: 'string' },
          'max-iterations': { type: 'string' },
          'max-depth': { type: 'string' },
          'max-sub-calls': { type: 'string' },
          'max-tokens': { type: 'string' },
          'max-time': { type: 'string' },
          concurrency: { type: 'string' },
          'cell-timeout': { type: 'string' },
          'no-subcalls': { type: 'boolean' },
          'no-gitignore': { type: 'boolean' },
          json: { type: 'boolean' },
          trace: { type: 'string' },
          quiet: { type: 'boolean', short: 'q' },
        },
      });
    } catch (error) {
      throw new UsageError(`${(error as Error).message}. Run "rlm --help" for the options.`);
    }
  })();

  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const [command, ...rest] = positionals;
  if (command === undefined) return { kind: 'help' };
  if (command !== 'ask') throw new UsageError(`Unknown command "${command}". Try: rlm ask "How is the config loaded?"`);
  if (rest.length === 0 || !rest.join(' ').trim()) throw new UsageError('rlm ask needs a question, e.g. rlm ask "Where are HTTP routes defined?"');
  if (rest.length > 1) throw new UsageError(`rlm ask takes one question; quote it: rlm ask "${rest.join(' ')}"`);

  const provider = values.provider;
  if (provider !== undefined && provider !== 'openai' && provider !== 'ollama') {
    throw new UsageError(`--provider must be "openai" or "ollama", got "${provider}".`);
  }

  return {
    kind: 'ask',
    args: {
      question: rest[0]!,
      repo: values.repo ?? cwd,
      provider,
      model: values.model,
      subModel: values['sub-model'],
      baseURL: values['base-url'],
      host: values.host,
      numCtx: int('num-ctx', values['num-ctx'], 512),
      timeoutMs: seconds('timeout', values.timeout),
      maxIterations: int('max-iterations', values['max-iterations'], 1),
      maxDepth: int('max-depth', values['max-depth'], 0),
      maxSubCalls: int('max-sub-calls', values['max-sub-calls'], 1),
      maxTokens: int('max-tokens', values['max-tokens'], 1),
      maxWallTimeMs: seconds('max-time', values['max-time']),
      concurrency: int('concurrency', values.concurrency, 1),
      cellTimeoutMs: seconds('cell-timeout', values['cell-timeout']),
      subcalls: !values['no-subcalls'],
      gitignore: !values['no-gitignore'],
      json: values.json ?? false,
      trace: values.trace,
      quiet: values.quiet ?? false,
    },
  };
}
