/**
 * What the `rlm` commands share on the command line: number parsing, and the model options
 * (provider, models, run limits) and prices that `ask` and `eval` both take.
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_LIMITS, memoryPlanFor, type Limits, type ModelPrice } from '../core/engine/limits';
import { withDefaults } from '../core/util/withDefaults';
import type { ModelSettings, PriceSettings } from './settings';
import { UsageError } from './usageError';

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
  'max-memory': { type: 'string' },
  'no-gitignore': { type: 'boolean' },
} as const;

export type ModelOptionValues = { [K in keyof typeof MODEL_OPTIONS]?: (typeof MODEL_OPTIONS)[K]['type'] extends 'string' ? string : boolean };

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
    maxMemoryMb: int('max-memory', values['max-memory'], 64),
    gitignore: !values['no-gitignore'],
  };
}

/** Model prices, for cost figures (US dollars per million tokens). */
export const PRICE_OPTIONS = {
  'price-in': { type: 'string' },
  'price-out': { type: 'string' },
  'sub-price-in': { type: 'string' },
  'sub-price-out': { type: 'string' },
} as const;

export type PriceOptionValues = { [K in keyof typeof PRICE_OPTIONS]?: string };

function usd(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.replace(/^\$/, ''));
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a price in US dollars per million tokens, e.g. 1.25; got "${value}".`);
  return n;
}

export function priceSettings(values: PriceOptionValues): PriceSettings {
  const priceIn = usd('price-in', values['price-in']);
  const priceOut = usd('price-out', values['price-out']);
  if ((priceIn === undefined) !== (priceOut === undefined)) throw new UsageError('Give both --price-in and --price-out (US dollars per million input and output tokens), or neither.');
  const subPriceIn = usd('sub-price-in', values['sub-price-in']);
  const subPriceOut = usd('sub-price-out', values['sub-price-out']);
  if ((subPriceIn === undefined) !== (subPriceOut === undefined)) throw new UsageError('Give both --sub-price-in and --sub-price-out, or neither.');
  return { priceIn, priceOut, subPriceIn, subPriceOut };
}

/** The engine's price table for the chosen root and sub models. */
export function pricesFor(models: { root: { model: string }; sub: { model: string } }, p: PriceSettings): Record<string, ModelPrice> {
  const prices: Record<string, ModelPrice> = {};
  if (p.priceIn !== undefined && p.priceOut !== undefined) prices[models.root.model] = { input: p.priceIn, output: p.priceOut };
  if (p.subPriceIn !== undefined && p.subPriceOut !== undefined) prices[models.sub.model] = { input: p.subPriceIn, output: p.subPriceOut };
  return prices;
}

/**
 * The engine limits the model options set (unset ones keep the engine's defaults). A memory
 * bound too small for the recursion asked for is a usage error, said before anything starts.
 */
export function limitsFrom(settings: ModelSettings): Partial<Limits> {
  const limits = limitsOf(settings);
  try {
    memoryPlanFor(withDefaults(DEFAULT_LIMITS, limits));
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
  return limits;
}

function limitsOf(settings: ModelSettings): Partial<Limits> {
  return {
    maxIterations: settings.maxIterations,
    maxDepth: settings.maxDepth,
    maxSubCalls: settings.maxSubCalls,
    maxTokens: settings.maxTokens,
    maxWallTimeMs: settings.maxWallTimeMs,
    subCallConcurrency: settings.concurrency,
    maxMemoryMb: settings.maxMemoryMb,
  };
}

/** The absolute path of the --repo directory, or a UsageError saying it is not one. */
export function repoDirectory(given: string, cwd: string): string {
  const dir = path.resolve(cwd, given);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new UsageError(`--repo ${given}: no such directory.`);
  return dir;
}
