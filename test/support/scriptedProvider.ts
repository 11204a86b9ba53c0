/**
 * A deterministic stand-in for the *model* (and only the model) in engine tests: replies
 * come from a script. The end-to-end tests use the real SDK clients against local servers
 * instead; this one keeps loop tests fast and exact.
 */
import type { Completion, CompletionRequest, ModelProvider } from '../../src/core/providers/types';
import { ProviderError } from '../../src/core/providers/types';
import { SUBCALL_SYSTEM_PROMPT } from '../../src/core/engine/prompts';

export interface ScriptContext {
  /** 0-based index of this root-model turn (sub-calls are not counted). */
  turn: number;
  request: CompletionRequest;
  /** The last user message: the question, or the output of the previous turn. */
  lastUser: string;
  /** The question of the RLM this call belongs to (root or recursive). */
  question: string;
}

export type RootScript = (ctx: ScriptContext) => string | Promise<string>;
export type SubScript = (prompt: string, request: CompletionRequest) => string | Promise<string>;

export class ScriptedProvider implements ModelProvider {
  readonly id = 'scripted';
  readonly defaultModel = 'scripted-root';
  readonly requests: CompletionRequest[] = [];
  readonly rootRequests: CompletionRequest[] = [];
  readonly subRequests: CompletionRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private turns = new Map<string, number>();

  constructor(
    private readonly root: RootScript,
    private readonly sub: SubScript = (prompt) => `summary of ${prompt.length} chars`,
    private readonly options: { subDelayMs?: number; rootDelayMs?: number; maxInputTokens?: number } = {},
  ) {}

  maxInputTokens(): number {
    return this.options.maxInputTokens ?? 128_000;
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    this.requests.push(request);
    const isSub = request.messages[0]?.content === SUBCALL_SYSTEM_PROMPT;
    const lastUser = [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await delay(isSub ? this.options.subDelayMs : this.options.rootDelayMs, request.signal);
      let text: string;
      if (isSub) {
        this.subRequests.push(request);
        text = await this.sub(lastUser, request);
      } else {
        this.rootRequests.push(request);
        // Each RLM (root or recursive) is its own conversation, keyed by its first user message.
        const key = request.messages[1]?.content ?? '';
        const turn = this.turns.get(key) ?? 0;
        this.turns.set(key, turn + 1);
        const question = /^Question: (.*)$/m.exec(key)?.[1] ?? '';
        text = await this.root({ turn, request, lastUser, question });
      }
      const input = request.messages.reduce((n, m) => n + m.content.length, 0);
      return { text, usage: { inputTokens: Math.ceil(input / 4), outputTokens: Math.ceil(text.length / 4) }, model: request.model ?? this.defaultModel, finishReason: 'stop' };
    } finally {
      this.inFlight--;
    }
  }
}

function delay(ms: number | undefined, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new ProviderError('cancelled', 'The request was cancelled.'));
  if (!ms) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new ProviderError('cancelled', 'The request was cancelled.'));
      },
      { once: true },
    );
  });
}

/** A reply with one js cell. */
export function js(code: string, prose = 'Next step.'): string {
  return `${prose}\n\n\`\`\`js\n${code}\n\`\`\``;
}
