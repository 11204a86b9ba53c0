/**
 * Sub-calls: llm() (a fresh sub-model on one prompt), rlm() (a recursive RLM one level
 * deeper, or at the maximum depth a single sub-model call with the files in its prompt).
 * Each takes a slot of the run's concurrency limit only while it talks to a model, and is
 * reported (started, finished) only once it holds one, so progress shows what really runs.
 */
import { setMaxListeners } from 'node:events';
import type { Repo } from '../repo/types';
import { estimateTokens } from '../util/estimateTokens';
import * as prompts from './prompts';
import type { NodeRef, RunContext } from './runContext';
import type { TraceLlmCall, TraceRlm, TraceStep } from './trace';

/** Share of a model's input tokens that file text built into a prompt may take. */
const PROMPT_SHARE_OF_CONTEXT = 0.75;
/** Characters per token assumed when sizing prompts: code is denser than prose, so 3, not 4. */
const CHARS_PER_TOKEN = 3;
/** Largest llm() prompt the system prompt recommends, however big the context. */
const RECOMMENDED_PROMPT_CHARS_CAP = 200_000;

/** Characters of file text that fit a prompt for `model`, with room for the rest of it. */
export function promptBudgetChars(ctx: RunContext): number {
  return Math.floor(ctx.sub.provider.maxInputTokens(ctx.sub.model) * PROMPT_SHARE_OF_CONTEXT) * CHARS_PER_TOKEN;
}

/** What the system prompt tells the model one llm() prompt should stay under. */
export function recommendedPromptChars(ctx: RunContext): number {
  return Math.min(RECOMMENDED_PROMPT_CHARS_CAP, Math.floor(promptBudgetChars(ctx) * 0.8));
}

/** Where a sub-call is made from: the node, and the step whose trace records it. */
export interface CallSite {
  ctx: RunContext;
  node: NodeRef;
  step: TraceStep;
  signal: AbortSignal;
}

export async function subLlm(site: CallSite, prompt: string, model: string | undefined): Promise<string> {
  const { ctx, node, step, signal } = site;
  const modelName = model ?? ctx.sub.model;
  const maxTokens = ctx.sub.provider.maxInputTokens(modelName);
  const tokens = estimateTokens(prompt.length + prompts.SUBCALL_SYSTEM_PROMPT.length);
  if (tokens > maxTokens) {
    throw new RangeError(prompts.promptTooLong('llm()', tokens, modelName, maxTokens, recommendedPromptChars(ctx)));
  }
  return ctx.semaphore.run(async () => {
    const id = ctx.nextId();
    const record: TraceLlmCall = {
      kind: 'llm',
      id,
      depth: node.depth + 1,
      model: modelName,
      promptChars: prompt.length,
      promptPreview: prompt.slice(0, 500),
      replyChars: 0,
      reply: '',
      usage: null,
      durationMs: 0,
      error: null,
    };
    step.subCalls.push(record);
    const started = performance.now();
    ctx.emit(node, { type: 'subcall-started', id, kind: 'llm', model: modelName, promptChars: prompt.length });
    try {
      const completion = await ctx.sub.provider.complete({
        messages: [
          { role: 'system', content: prompts.SUBCALL_SYSTEM_PROMPT },
          { role: 'user', content: prompt },
        ],
        model: modelName,
        signal,
        onRetry: (r) => ctx.emit(node, { type: 'retry', ...r, subcallId: id }),
      });
      ctx.budget.record(modelName, completion.usage);
      record.usage = completion.usage;
      record.reply = completion.text;
      record.replyChars = completion.text.length;
      record.durationMs = performance.now() - started;
      ctx.emit(node, { type: 'subcall-finished', id, kind: 'llm', ok: true, replyChars: completion.text.length, durationMs: record.durationMs });
      ctx.emit(node, { type: 'usage', totals: ctx.budget.totals() });
      return completion.text;
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
      record.durationMs = performance.now() - started;
      ctx.emit(node, { type: 'subcall-finished', id, kind: 'llm', ok: false, replyChars: 0, durationMs: record.durationMs, error: record.error });
      throw error;
    }
  }, signal);
}

/** Runs one recursive RLM node and resolves when it has finished; provided by the turn loop. */
export type RunChild = (child: TraceRlm, repo: Repo, signal: AbortSignal) => Promise<void>;

export async function subRlm(site: CallSite, repo: Repo, query: string, files: string[] | null, runChild: RunChild): Promise<string> {
  const { ctx, node, step } = site;
  const scoped = files ? repo.subset(files) : repo;
  const depth = node.depth + 1;
  if (depth > ctx.budget.limits.maxDepth) return leafRlm(site, scoped, query);

  const childSignal = AbortSignal.any([ctx.signal, site.signal]);
  setMaxListeners(0, childSignal);
  // Each recursive RLM is a sandbox process and a conversation with the root model: only
  // rlmConcurrency of them live at once per level; the rest wait here, and are dropped with
  // the cell that asked for them.
  return ctx.rlmSlots[depth]!.run(async () => {
    const child = newRlmTrace(ctx, depth, query, files);
    step.subCalls.push(child);
    ctx.emit(node, { type: 'subcall-started', id: child.id, kind: 'rlm', model: ctx.root.model, promptChars: query.length });
    try {
      await runChild(child, scoped, childSignal);
    } catch (error) {
      ctx.emit(node, { type: 'subcall-finished', id: child.id, kind: 'rlm', ok: false, replyChars: 0, durationMs: child.durationMs, error: String(error) });
      throw error;
    }
    ctx.emit(node, { type: 'subcall-finished', id: child.id, kind: 'rlm', ok: true, replyChars: child.answer.length, durationMs: child.durationMs });
    return child.ready ? child.answer : prompts.recursiveStopped(child.limitHit, child.answer);
  }, childSignal);
}

export function newRlmTrace(ctx: RunContext, depth: number, query: string, files: string[] | null): TraceRlm {
  return { kind: 'rlm', id: ctx.nextId(), depth, query, files, steps: [], answer: '', ready: false, limitHit: null, durationMs: 0 };
}

/**
 * rlm() at the maximum depth: the files go straight into one sub-model prompt, as many as
 * the sub-model's context takes. Files that do not fit are named, not read (so not cited).
 */
async function leafRlm(site: CallSite, repo: Repo, query: string): Promise<string> {
  // What the rest of the request takes: the sub-model's system prompt, the query, and the
  // note naming files left out.
  const budget = promptBudgetChars(site.ctx) - prompts.SUBCALL_SYSTEM_PROMPT.length - query.length - 200;
  const paths = await repo.files();
  const included: Array<{ path: string; text: string }> = [];
  const omitted: string[] = [];
  let chars = 0;
  for (const path of paths) {
    const overhead = prompts.leafRlmFileOverhead(path);
    if (chars + overhead >= budget) {
      omitted.push(path);
      continue;
    }
    const stat = await repo.stat(path);
    if (stat.lines === null) continue; // binary
    // An upper bound of the numbered text (UTF-8 has at least one byte per character), known
    // before reading: a file is read only when it will be in the prompt, so every file cited
    // was really shown to the sub-model.
    const bound = stat.bytes + (stat.lines + 1) * (String(stat.lines + 1).length + 2);
    if (chars + overhead + bound > budget) {
      omitted.push(path);
      continue;
    }
    const numbered = numberLines(await repo.read(path));
    chars += overhead + numbered.length;
    included.push({ path, text: numbered });
  }
  return subLlm(site, prompts.leafRlmPrompt(query, included, omitted), undefined);
}

function numberLines(text: string): string {
  if (text === '') return '';
  const lines = text.split('\n');
  const width = String(lines.length).length;
  return lines.map((l, i) => `${String(i + 1).padStart(width)}| ${l}`).join('\n');
}
