/**
 * What the `rlm` commands share on the command line: the usage error, number parsing, and
 * the model options (provider, models, run limits) that `ask` and `eval` both take.
 */
import type { ProviderChoice } from './chooseProvider';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function int(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number of at least ${min}, got "${value}".`);
  return n;
}

export function seconds(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a number of seconds above 0, got "${value}".`);
  return Math.round(n * 1000);
}

/** Options shared by every command that talks to a model: which model, and the run limits. */
export const MODEL_OPTIONS = {
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
  'no-gitignore': { type: 'boolean' },
} as const;

export type ModelOptionValues = { [K in keyof typeof MODEL_OPTIONS]?: (typeof MODEL_OPTIONS)[K]['type'] extends 'string' ? string : boolean };

/** The provider choice and run limits the model options give. */
export interface ModelSettings extends ProviderChoice {
  maxIterations?: number;
  maxDepth?: number;
  maxSubCalls?: number;
  maxTokens?: number;
  maxWallTimeMs?: number;
  concurrency?: number;
  cellTimeoutMs?: number;
  gitignore: boolean;
}

export function modelSettings(values: ModelOptionValues): ModelSettings {
  const provider = values.provider;
  if (provider !== undefined && provider !== 'openai' && provider !== 'ollama') {
    throw new UsageError(`--provider must be "openai" or "ollama", got "${provider}".`);
  }
  return {
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
    gitignore: !values['no-gitignore'],
  };
}
