/**
 * Which models answer: by default the one picked in the chat panel (`request.model`), or,
 * when `rlm.provider` says so, an OpenAI-compatible server or Ollama through the core's
 * providers. Outside chat (commands, code lenses, the agent tool) the model of the user's last
 * `@rlm` request, else the first chat model VS Code offers, else the configured server: no
 * configuration for anyone with a chat model.
 *
 * The OpenAI key comes from SecretStorage (RLM: Set OpenAI API Key) or `OPENAI_API_KEY`,
 * never from settings.
 */
import * as vscode from 'vscode';
import type { ModelRef } from '../core/engine/runContext';
import { OllamaProvider } from '../core/providers/ollamaProvider';
import { OpenAIProvider } from '../core/providers/openaiProvider';
import { JUSTIFICATION, LanguageModelProvider } from './lmProvider';
import type { RlmSettings } from './settings';

export const OPENAI_KEY_SECRET = 'rlm.openai.apiKey';

export interface ModelChoice {
  root: ModelRef;
  sub?: ModelRef;
  /** "GPT-4o", "Ollama qwen2.5-coder:14b": for progress lines and logs. */
  label: string;
}

/** No model can answer; the message says what to do. */
export class NoModelError extends Error {
  override readonly name = 'NoModelError';
}

export class Models {
  /** The chat model of the last @rlm request, for commands outside chat. */
  private lastChatModel: vscode.LanguageModelChat | undefined;

  constructor(private readonly secrets: vscode.SecretStorage) {}

  /** The models for a chat request. */
  async forChat(chat: vscode.LanguageModelChat | undefined, settings: RlmSettings): Promise<ModelChoice> {
    if (settings.provider !== 'chat') return this.configured(settings);
    if (!chat) throw noChatModel();
    this.lastChatModel = chat;
    return this.overChat(chat, settings);
  }

  /** The models for work started outside the chat panel. */
  async forCommand(settings: RlmSettings): Promise<ModelChoice> {
    if (settings.provider !== 'chat') return this.configured(settings);
    const chat = this.lastChatModel ?? (await selectChatModels({}))[0];
    if (!chat) throw noChatModel();
    return this.overChat(chat, settings);
  }

  private async overChat(chat: vscode.LanguageModelChat, settings: RlmSettings): Promise<ModelChoice> {
    const api = { LanguageModelChatMessage: vscode.LanguageModelChatMessage, CancellationTokenSource: vscode.CancellationTokenSource };
    const resolve = async (name: string) => (await selectChatModels({ id: name }))[0] ?? (await selectChatModels({ family: name }))[0];
    const root = new LanguageModelProvider(api, chat, { justification: JUSTIFICATION, resolve });
    if (!settings.subModel) return { root: { provider: root }, label: chat.name };
    const subChat = await resolve(settings.subModel);
    if (!subChat) {
      throw new NoModelError(`The sub-model "${settings.subModel}" (rlm.subModel) is not among the chat models VS Code offers. Use a model id or family from the chat model picker, or clear the setting.`);
    }
    const sub = subChat.id === chat.id ? root : new LanguageModelProvider(api, subChat, { justification: JUSTIFICATION, resolve });
    return { root: { provider: root }, sub: { provider: sub }, label: `${chat.name} (sub-calls: ${subChat.name})` };
  }

  private async configured(settings: RlmSettings): Promise<ModelChoice> {
    if (settings.provider === 'openai') {
      const apiKey = (await this.secrets.get(OPENAI_KEY_SECRET)) || process.env.OPENAI_API_KEY || undefined;
      const official = /^https:\/\/api\.openai\.com\b/.test(settings.openai.baseUrl);
      if (!apiKey && official) {
        throw new NoModelError('RLM is set to use OpenAI (rlm.provider), but no API key is stored. Run "RLM: Set OpenAI API Key", or point rlm.openai.baseUrl at a local OpenAI-compatible server.');
      }
      const make = (model: string) =>
        new OpenAIProvider({ baseURL: settings.openai.baseUrl, apiKey, model, contextTokens: settings.openai.contextTokens, timeoutMs: settings.requestTimeoutMs });
      const root = make(settings.openai.model);
      const sub = settings.subModel && settings.subModel !== settings.openai.model ? make(settings.subModel) : undefined;
      return { root: { provider: root }, ...(sub ? { sub: { provider: sub } } : {}), label: `${settings.openai.model}${sub ? ` (sub-calls: ${settings.subModel})` : ''}` };
    }
    const model = settings.ollama.model || (await firstOllamaModel(settings.ollama.host));
    const make = (m: string) => new OllamaProvider({ host: settings.ollama.host, model: m, numCtx: settings.ollama.numCtx, timeoutMs: settings.requestTimeoutMs });
    const root = make(model);
    const sub = settings.subModel && settings.subModel !== model ? make(settings.subModel) : undefined;
    return { root: { provider: root }, ...(sub ? { sub: { provider: sub } } : {}), label: `Ollama ${model}${sub ? ` (sub-calls: ${settings.subModel})` : ''}` };
  }
}

async function selectChatModels(selector: vscode.LanguageModelChatSelector): Promise<vscode.LanguageModelChat[]> {
  try {
    return await vscode.lm.selectChatModels(selector);
  } catch {
    return [];
  }
}

function noChatModel(): NoModelError {
  return new NoModelError(
    'No chat model is available. Sign in to GitHub Copilot (or install an extension that provides chat models), or set rlm.provider to "ollama" or "openai" to use your own server.',
  );
}

async function firstOllamaModel(host: string): Promise<string> {
  try {
    const response = await fetch(new URL('/api/tags', host), { signal: AbortSignal.timeout(3_000) });
    const body = (await response.json()) as { models?: Array<{ name?: string }> };
    const name = body.models?.find((m) => typeof m.name === 'string')?.name;
    if (name) return name;
    throw new NoModelError(`Ollama at ${host} has no models. Pull one (e.g. "ollama pull qwen2.5-coder:14b") or set rlm.ollama.model.`);
  } catch (error) {
    if (error instanceof NoModelError) throw error;
    throw new NoModelError(`No Ollama server answered at ${host}. Start it with "ollama serve", or set rlm.ollama.host and rlm.ollama.model.`);
  }
}
