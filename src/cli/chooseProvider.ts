/**
 * Picks the model provider for a CLI run: the one asked for, else OpenAI when a key is
 * set, else Ollama when one answers; otherwise a message saying how to configure one.
 */
import type { ModelProvider } from '../core/providers/types';
import { OllamaProvider } from '../core/providers/ollamaProvider';
import { OpenAIProvider } from '../core/providers/openaiProvider';
import type { ProviderChoice } from './settings';
import { UsageError } from './usageError';

export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';
export const DEFAULT_OPENAI_MODEL = 'gpt-5-mini';

export interface ChosenModels {
  root: { provider: ModelProvider; model: string };
  sub: { provider: ModelProvider; model: string };
  description: string;
}

type Env = Record<string, string | undefined>;

async function getJson(url: string, timeoutMs: number, headers: Record<string, string> = {}): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

/** The models an Ollama server has, or null when none answers there. */
async function ollamaModels(host: string): Promise<string[] | null> {
  try {
    const body = (await getJson(new URL('/api/tags', host).href, 1_500)) as { models?: Array<{ name?: string }> };
    return (body.models ?? []).map((m) => m.name).filter((n): n is string => typeof n === 'string');
  } catch {
    return null;
  }
}

async function firstServedModel(baseURL: string, apiKey: string | undefined): Promise<string | null> {
  try {
    const body = (await getJson(`${baseURL.replace(/\/$/, '')}/models`, 5_000, apiKey ? { authorization: `Bearer ${apiKey}` } : {})) as {
      data?: Array<{ id?: string }>;
    };
    return body.data?.find((m) => typeof m.id === 'string')?.id ?? null;
  } catch {
    return null;
  }
}

export async function chooseProvider(choice: ProviderChoice, env: Env): Promise<ChosenModels> {
  const apiKey = env.OPENAI_API_KEY || undefined;
  const baseURL = choice.baseURL ?? (env.OPENAI_BASE_URL || undefined);
  const host = choice.host ?? (env.OLLAMA_HOST ? normaliseHost(env.OLLAMA_HOST) : DEFAULT_OLLAMA_HOST);

  let kind = choice.provider;
  let installed: string[] | null = null;
  if (!kind) {
    if (apiKey || choice.baseURL) kind = 'openai';
    else {
      installed = await ollamaModels(host);
      if (installed) kind = 'ollama';
    }
  }
  if (!kind) {
    throw new UsageError(
      'No model provider is configured. Either set OPENAI_API_KEY (with OPENAI_BASE_URL or --base-url for an OpenAI-compatible ' +
        `server such as vLLM, LM Studio, llama.cpp or OpenRouter), or start Ollama (no server answered at ${host}; set OLLAMA_HOST ` +
        'if it runs elsewhere) and pass --model, e.g. rlm ask "..." --provider ollama --model qwen2.5-coder:14b.',
    );
  }

  if (kind === 'openai') {
    if (!apiKey && !baseURL) {
      throw new UsageError('The OpenAI provider needs an API key: set OPENAI_API_KEY, or point --base-url at an OpenAI-compatible server.');
    }
    let model = choice.model;
    if (!model) model = baseURL ? ((await firstServedModel(baseURL, apiKey)) ?? undefined) : DEFAULT_OPENAI_MODEL;
    if (!model) throw new UsageError(`Could not list the models of ${baseURL}; name one with --model.`);
    const make = (m: string) => new OpenAIProvider({ baseURL, apiKey, model: m, timeoutMs: choice.timeoutMs });
    const root = make(model);
    const subModel = choice.subModel ?? model;
    return {
      root: { provider: root, model },
      sub: { provider: subModel === model ? root : make(subModel), model: subModel },
      description: `OpenAI-compatible ${baseURL ?? 'api.openai.com'} · ${model}${subModel !== model ? ` (sub-calls: ${subModel})` : ''}`,
    };
  }

  let model = choice.model;
  if (!model) {
    installed ??= await ollamaModels(host);
    if (installed === null) throw new UsageError(`No Ollama server answered at ${host}. Start it with "ollama serve", or set OLLAMA_HOST / --host.`);
    model = installed[0];
    if (!model) throw new UsageError(`The Ollama server at ${host} has no models. Pull one, e.g. "ollama pull qwen2.5-coder:14b", or pass --model.`);
  }
  const make = (m: string) => new OllamaProvider({ host, model: m, numCtx: choice.numCtx, timeoutMs: choice.timeoutMs });
  const root = make(model);
  const subModel = choice.subModel ?? model;
  return {
    root: { provider: root, model },
    sub: { provider: subModel === model ? root : make(subModel), model: subModel },
    description: `Ollama ${host} · ${model}${subModel !== model ? ` (sub-calls: ${subModel})` : ''}`,
  };
}

/** OLLAMA_HOST is often given without a scheme ("0.0.0.0:11434"). */
function normaliseHost(value: string): string {
  const withScheme = /^https?:\/\//.test(value) ? value : `http://${value}`;
  return withScheme.replace('://0.0.0.0', '://127.0.0.1');
}
