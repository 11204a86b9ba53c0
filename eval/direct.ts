/**
 * The `direct` mode, the baseline the published RLM figures are measured against: the
 * repository's files concatenated into one prompt (path header, then contents), in the
 * repository's listing order, up to the model's context window less room for the question
 * and the answer; then one model call. What did not fit is left out and the prompt says so.
 * Files come from the same `WorkspaceRepo` listing the RLM modes explore, so every mode sees
 * the same files.
 */
import type { ModelProvider, TokenUsage } from '../src/core/providers/types';
import { ProviderError } from '../src/core/providers/types';
import type { Repo } from '../src/core/repo/types';
import { estimateTokens } from '../src/core/util/estimateTokens';
import type { DirectFit } from './types';

export const DIRECT_SYSTEM_PROMPT =
  'You answer questions about a code repository. Its files are given in the user message, each after a line "=== path ===". Answer from those files; cite them as path:line where it helps.';

/** Tokens kept free for the answer by default. */
export const DEFAULT_ANSWER_RESERVE = 8_000;
/** A cut-off file is included only when at least this many characters of it fit (or a quarter of the budget). */
const MIN_PARTIAL_CHARS = 2_000;

export interface DirectPrompt {
  user: string;
  fit: DirectFit;
  included: string[];
  omitted: string[];
  /** The file cut short at the end of the budget, if one was. */
  cut: { path: string; charsShown: number; chars: number } | null;
}

function header(repoName: string): string {
  return `Repository: ${repoName}\n\nFiles:\n\n`;
}

function footer(query: string, omittedNote: string): string {
  return `${omittedNote}\n\nQuestion: ${query}`;
}

/** Builds the user message: as many files as fit in `contextWindow` tokens less the reserve. */
export async function buildDirectPrompt(repo: Repo, query: string, contextWindow: number, reserveTokens = DEFAULT_ANSWER_RESERVE): Promise<DirectPrompt> {
  // A small window keeps at most a quarter of itself for the answer.
  const reserve = Math.min(reserveTokens, Math.floor(contextWindow / 4));
  const fixedTokens = estimateTokens(DIRECT_SYSTEM_PROMPT.length + header(repo.name).length + footer(query, '').length + 400);
  const budgetChars = Math.max(0, (contextWindow - reserve - fixedTokens) * 4);
  const paths = await repo.files();
  const blocks: string[] = [];
  const included: string[] = [];
  const omitted: string[] = [];
  let used = 0;
  let charsOmitted = 0;
  let cut: DirectPrompt['cut'] = null;
  let full = false;
  for (const file of paths) {
    const info = await repo.info(file);
    if (info.binary) continue; // not text the model could read
    if (full) {
      omitted.push(file);
      charsOmitted += info.bytes;
      continue;
    }
    const text = await repo.read(file);
    const head = `=== ${file} ===\n`;
    const block = `${head}${text}${text.endsWith('\n') ? '' : '\n'}\n`;
    if (used + block.length <= budgetChars) {
      blocks.push(block);
      included.push(file);
      used += block.length;
      continue;
    }
    full = true;
    const room = budgetChars - used - head.length - 80;
    if (room >= Math.min(MIN_PARTIAL_CHARS, budgetChars / 4)) {
      const shown = text.slice(0, text.lastIndexOf('\n', room) > 0 ? text.lastIndexOf('\n', room) : room);
      blocks.push(`${head}${shown}\n[... ${file} is cut here: ${(text.length - shown.length).toLocaleString('en-US')} more characters did not fit ...]\n\n`);
      included.push(file);
      used += head.length + shown.length;
      charsOmitted += text.length - shown.length;
      cut = { path: file, charsShown: shown.length, chars: text.length };
    } else {
      omitted.push(file);
      charsOmitted += text.length;
    }
  }
  const note =
    omitted.length > 0 || cut
      ? `[The context window ended here: ${omitted.length.toLocaleString('en-US')} more file${omitted.length === 1 ? '' : 's'}${cut ? ` and the rest of ${cut.path}` : ''} (${charsOmitted.toLocaleString('en-US')} characters, about ${estimateTokens(charsOmitted).toLocaleString('en-US')} tokens) are not shown${omitted.length ? `: ${omitted.slice(0, 20).join(', ')}${omitted.length > 20 ? ', …' : ''}` : ''}.]`
      : '[All files of the repository are shown above.]';
  return {
    user: `${header(repo.name)}${blocks.join('')}${footer(query, note)}`,
    fit: { contextWindow, filesIncluded: included.length, filesOmitted: omitted.length, charsOmitted, charsIncluded: used },
    included,
    omitted,
    cut,
  };
}

export interface DirectTrace {
  kind: 'direct';
  version: 1;
  startedAt: string;
  repo: string;
  query: string;
  model: string;
  systemPrompt: string;
  /** Each try; a context-length refusal is retried with a smaller window. */
  attempts: Array<{ contextWindow: number; promptChars: number; error: string | null }>;
  filesIncluded: string[];
  filesOmitted: string[];
  cut: DirectPrompt['cut'];
  fit: DirectFit;
  reply: string;
  usage: TokenUsage;
  durationMs: number;
}

export interface DirectResult {
  answer: string;
  usage: TokenUsage;
  model: string;
  fit: DirectFit;
  trace: DirectTrace;
}

/** A failed direct call; carries the trace of what was tried. */
export class DirectRunError extends Error {
  override readonly name = 'DirectRunError';
  constructor(
    message: string,
    readonly trace: DirectTrace,
    override readonly cause: unknown,
  ) {
    super(message);
  }
}

/** Tries left after a context-length refusal, each with three quarters of the window. */
const CONTEXT_RETRIES = 3;

export async function runDirect(options: {
  provider: ModelProvider;
  model: string;
  repo: Repo;
  query: string;
  contextWindow: number;
  reserveTokens?: number;
  signal?: AbortSignal;
}): Promise<DirectResult> {
  const started = performance.now();
  const trace: DirectTrace = {
    kind: 'direct',
    version: 1,
    startedAt: new Date().toISOString(),
    repo: options.repo.name,
    query: options.query,
    model: options.model,
    systemPrompt: DIRECT_SYSTEM_PROMPT,
    attempts: [],
    filesIncluded: [],
    filesOmitted: [],
    cut: null,
    fit: { contextWindow: options.contextWindow, filesIncluded: 0, filesOmitted: 0, charsOmitted: 0, charsIncluded: 0 },
    reply: '',
    usage: { inputTokens: 0, outputTokens: 0 },
    durationMs: 0,
  };
  let window = options.contextWindow;
  for (let attempt = 0; ; attempt++) {
    const prompt = await buildDirectPrompt(options.repo, options.query, window, options.reserveTokens);
    Object.assign(trace, { filesIncluded: prompt.included, filesOmitted: prompt.omitted, cut: prompt.cut, fit: prompt.fit });
    const record = { contextWindow: window, promptChars: DIRECT_SYSTEM_PROMPT.length + prompt.user.length, error: null as string | null };
    trace.attempts.push(record);
    try {
      const completion = await options.provider.complete({
        messages: [
          { role: 'system', content: DIRECT_SYSTEM_PROMPT },
          { role: 'user', content: prompt.user },
        ],
        model: options.model,
        signal: options.signal,
      });
      trace.reply = completion.text;
      trace.usage = completion.usage;
      trace.durationMs = performance.now() - started;
      return { answer: completion.text, usage: completion.usage, model: completion.model || options.model, fit: prompt.fit, trace };
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
      trace.durationMs = performance.now() - started;
      if (error instanceof ProviderError && error.kind === 'context-length' && attempt < CONTEXT_RETRIES) {
        window = Math.floor(window * 0.75);
        continue;
      }
      throw new DirectRunError(record.error, trace, error);
    }
  }
}
