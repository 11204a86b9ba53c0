/**
 * The core's `ModelProvider` over the VS Code Language Model API (`LanguageModelChat`): the
 * chat panel's model (Copilot or any extension's), so that anyone with a chat model needs no
 * configuration.
 *
 * What the API differs in, and how it is bridged:
 * - There is no system role: the system prompt is folded into the first user message.
 * - No usage is reported: tokens are counted with `countTokens` and marked estimated.
 * - Errors are `LanguageModelError`s with codes; they become `ProviderError` kinds, so the
 *   engine's retries (rate limits, quota) and messages apply.
 * - Cancellation is a `CancellationToken`, bound here to the engine's `AbortSignal`.
 *
 * The `vscode` module is injected (`LmApi`), so that this file runs in unit tests without
 * the editor, against a fake `LanguageModelChat`.
 */
import type * as vscode from 'vscode';
import { retryAttempts } from '../core/providers/attempt';
import { ProviderError, type ChatMessage, type Completion, type CompletionRequest, type ModelProvider, type ProviderErrorKind } from '../core/providers/types';
import { estimateTokens } from '../core/util/estimateTokens';

/** The parts of the `vscode` module the adapter uses. */
export interface LmApi {
  LanguageModelChatMessage: Pick<typeof vscode.LanguageModelChatMessage, 'User' | 'Assistant'>;
  CancellationTokenSource: new () => vscode.CancellationTokenSource;
}

export interface LmProviderOptions {
  /** Why the extension asks to use the model: shown in VS Code's consent dialog. */
  justification: string;
  /** Other models by id or family, for a request that names one (a sub-model). */
  resolve?: (name: string) => Promise<vscode.LanguageModelChat | undefined>;
  maxRetries?: number;
  retryBaseDelayMs?: number;
  maxRetryDelayMs?: number;
}

export const JUSTIFICATION = 'RLM explores your workspace with this model to answer your question; the model sees your question and the code it asks to read.';

export class LanguageModelProvider implements ModelProvider {
  readonly id = 'vscode';
  readonly defaultModel: string;
  private readonly known = new Map<string, vscode.LanguageModelChat>();

  constructor(
    private readonly api: LmApi,
    private readonly chat: vscode.LanguageModelChat,
    private readonly options: LmProviderOptions = { justification: JUSTIFICATION },
  ) {
    this.defaultModel = chat.id;
    this.known.set(chat.id, chat);
    this.known.set(chat.family, chat);
  }

  /** The model's name as a user knows it (e.g. "GPT-4o"), for progress and logs. */
  get displayName(): string {
    return this.chat.name;
  }

  maxInputTokens(model?: string): number {
    return (model ? this.known.get(model) : undefined)?.maxInputTokens ?? this.chat.maxInputTokens;
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    const chat = await this.chatFor(request.model);
    const retry = {
      maxRetries: this.options.maxRetries ?? 4,
      baseDelayMs: this.options.retryBaseDelayMs ?? 2_000,
      maxDelayMs: this.options.maxRetryDelayMs ?? 60_000,
      provider: this.id,
    };
    return retryAttempts(retry, request, () => this.attempt(chat, request));
  }

  private async chatFor(name: string | undefined): Promise<vscode.LanguageModelChat> {
    if (name === undefined) return this.chat;
    const found = this.known.get(name) ?? (await this.options.resolve?.(name));
    if (!found) {
      throw new ProviderError('model-not-found', `No chat model "${name}" is available in VS Code; use one the model picker lists (by id or family).`, {
        provider: this.id,
        model: name,
        fix: 'model',
      });
    }
    this.known.set(name, found);
    return found;
  }

  private async attempt(chat: vscode.LanguageModelChat, request: CompletionRequest): Promise<Completion> {
    const messages = foldMessages(this.api, request.messages);
    const source = new this.api.CancellationTokenSource();
    const onAbort = () => source.cancel();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    if (request.signal?.aborted) source.cancel();
    let text = '';
    try {
      const response = await chat.sendRequest(messages, { justification: this.options.justification }, source.token);
      for await (const fragment of response.text) {
        if (source.token.isCancellationRequested) break;
        text += fragment;
        request.onText?.(fragment);
      }
      if (source.token.isCancellationRequested) throw cancelled(chat);
    } catch (error) {
      throw source.token.isCancellationRequested ? cancelled(chat) : mapLanguageModelError(error, chat);
    } finally {
      request.signal?.removeEventListener('abort', onAbort);
      source.dispose();
    }
    return { text, usage: await this.countUsage(chat, request.messages, text), model: chat.id };
  }

  /** The API reports no usage: count with the model's own tokenizer, else estimate from characters. */
  private async countUsage(chat: vscode.LanguageModelChat, messages: ChatMessage[], text: string): Promise<Completion['usage']> {
    const prompt = messages.map((m) => m.content).join('\n');
    try {
      const [inputTokens, outputTokens] = await Promise.all([chat.countTokens(prompt), chat.countTokens(text)]);
      return { inputTokens, outputTokens, estimated: true };
    } catch {
      return { inputTokens: estimateTokens(prompt.length), outputTokens: estimateTokens(text.length), estimated: true };
    }
  }
}

/**
 * The engine's messages as `LanguageModelChatMessage`s. There is no system role: the system
 * prompt goes at the head of the first user message (or becomes one), marked so the model
 * reads it as instructions.
 */
export function foldMessages(api: LmApi, messages: readonly ChatMessage[]): vscode.LanguageModelChatMessage[] {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const rest = messages.filter((m) => m.role !== 'system');
  const out: vscode.LanguageModelChatMessage[] = [];
  let pendingSystem = system.length > 0 ? `${system.join('\n\n')}\n\n---\n\n` : '';
  for (const m of rest) {
    if (m.role === 'user') {
      out.push(api.LanguageModelChatMessage.User(pendingSystem + m.content));
      pendingSystem = '';
    } else {
      if (pendingSystem) {
        out.push(api.LanguageModelChatMessage.User(pendingSystem.trimEnd()));
        pendingSystem = '';
      }
      out.push(api.LanguageModelChatMessage.Assistant(m.content));
    }
  }
  if (pendingSystem) out.push(api.LanguageModelChatMessage.User(pendingSystem.trimEnd()));
  return out;
}

function cancelled(chat: vscode.LanguageModelChat): ProviderError {
  return new ProviderError('cancelled', 'The request was cancelled.', { provider: 'vscode', model: chat.id });
}

const QUOTA_TEXT = /quota|rate.?limit|too many requests|429|exhausted/i;

/** What a `LanguageModelError` (or anything else the API throws) means to the engine. */
export function mapLanguageModelError(error: unknown, chat: Pick<vscode.LanguageModelChat, 'id' | 'name'>): ProviderError {
  if (error instanceof ProviderError) return error;
  const code = typeof (error as { code?: unknown })?.code === 'string' ? ((error as { code: string }).code) : '';
  const message = error instanceof Error ? error.message : String(error);
  const details = { provider: 'vscode', model: chat.id, cause: error };
  const make = (kind: ProviderErrorKind, text: string) => new ProviderError(kind, text, details);
  if (code === 'NoPermissions') {
    return make('auth', `VS Code did not allow RLM to use ${chat.name}${message ? ` (${message})` : ''}. Allow it when VS Code asks, or pick another model.`);
  }
  if (code === 'NotFound') return make('model-not-found', `The chat model ${chat.name} is no longer available${message ? ` (${message})` : ''}. Pick another model in the chat panel.`);
  if (code === 'Blocked' || QUOTA_TEXT.test(message)) {
    return make('rate-limit', `${chat.name} refused the request for now (rate limit or quota${message ? `: ${message}` : ''}).`);
  }
  if (/context|too long|token limit|maximum.*tokens/i.test(message)) {
    return make('context-length', `The prompt is too long for ${chat.name}: ${message}`);
  }
  if (/network|ECONN|fetch failed|timed? ?out/i.test(message)) return make('server', `${chat.name} could not be reached: ${message}`);
  return make('server', `${chat.name} failed: ${message || 'unknown error'}`);
}
