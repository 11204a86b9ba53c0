/**
 * The `rlm.*` settings, read in one place and typed. Keys are never settings: they live in
 * SecretStorage (`secrets.ts`) or the environment.
 */
import * as vscode from 'vscode';
import type { Limits, ModelPrice } from '../core/engine/limits';

export type ProviderSetting = 'chat' | 'openai' | 'ollama';

export interface RlmSettings {
  provider: ProviderSetting;
  openai: { baseUrl: string; model: string; contextTokens: number };
  ollama: { host: string; model: string; numCtx: number };
  subModel: string;
  requestTimeoutMs: number;
  limits: Partial<Limits>;
  cellTimeoutMs: number;
  exclude: { useEditorExcludes: boolean; useGitignore: boolean; globs: string[] };
  codeLensLanguages: string[];
  prices: Record<string, ModelPrice>;
}

export function readSettings(scope?: vscode.ConfigurationScope): RlmSettings {
  const c = vscode.workspace.getConfiguration('rlm', scope);
  const num = (key: string, fallback: number) => {
    const v = c.get<number>(key);
    return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fallback;
  };
  const provider = c.get<string>('provider');
  return {
    provider: provider === 'openai' || provider === 'ollama' ? provider : 'chat',
    openai: {
      baseUrl: c.get<string>('openai.baseUrl') || 'https://api.openai.com/v1',
      model: c.get<string>('openai.model') || 'gpt-5-mini',
      contextTokens: num('openai.contextTokens', 128_000),
    },
    ollama: { host: c.get<string>('ollama.host') || 'http://127.0.0.1:11434', model: c.get<string>('ollama.model') ?? '', numCtx: num('ollama.numCtx', 32_768) },
    subModel: (c.get<string>('subModel') ?? '').trim(),
    requestTimeoutMs: num('requestTimeoutSeconds', 120) * 1000,
    limits: {
      maxIterations: Math.round(num('limits.maxIterations', 30)),
      maxDepth: Math.max(0, Math.round(c.get<number>('limits.maxDepth') ?? 1)),
      maxSubCalls: Math.round(num('limits.maxSubCalls', 200)),
      maxTokens: Math.round(num('limits.maxTokens', 5_000_000)),
      maxWallTimeMs: Math.round(num('limits.maxTimeSeconds', 1800) * 1000),
      subCallConcurrency: Math.round(num('limits.concurrency', 4)),
    },
    cellTimeoutMs: num('limits.cellTimeoutSeconds', 60) * 1000,
    exclude: {
      useEditorExcludes: c.get<boolean>('exclude.useEditorExcludes') ?? true,
      useGitignore: c.get<boolean>('exclude.useGitignore') ?? true,
      globs: (c.get<string[]>('exclude.globs') ?? []).filter((g) => typeof g === 'string' && g.trim() !== ''),
    },
    codeLensLanguages: (c.get<string[]>('codeLens.languages') ?? []).filter((l) => typeof l === 'string'),
    prices: readPrices(c.get<unknown>('prices')),
  };
}

function readPrices(value: unknown): Record<string, ModelPrice> {
  const out: Record<string, ModelPrice> = {};
  if (!value || typeof value !== 'object') return out;
  for (const [model, price] of Object.entries(value as Record<string, unknown>)) {
    const p = price as { input?: unknown; output?: unknown } | null;
    if (p && typeof p.input === 'number' && typeof p.output === 'number' && p.input >= 0 && p.output >= 0) out[model] = { input: p.input, output: p.output };
  }
  return out;
}

/** Opens the Settings UI at RLM's settings (or one of them). */
export function openSettings(key = 'rlm'): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.action.openSettings', key);
}
