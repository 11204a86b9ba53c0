/**
 * Answers the guest's host-function calls for one RLM node. The sandbox has already checked
 * the arguments against the API definition; the entry's own handler does the work, given a
 * context with the node's repo view and the engine's sub-calls. There is no dispatch table
 * here: a host function added to the session's API is answered the same way.
 */
import type { HostCallContext } from '../sandbox/api';
import type { ReadRecord, Repo } from '../repo/types';
import { LimitError } from './limits';
import * as prompts from './prompts';
import type { RunContext } from './runContext';
import { subLlm, subRlm, type CallSite, type RunChild } from './subCalls';

export interface NodeCalls {
  site: Omit<CallSite, 'signal'>;
  /** The node's observed repo view: reads through it are recorded and cited. */
  repo: Repo;
  /** Records lines a host function showed the guest. */
  record(record: ReadRecord): void;
  runChild: RunChild;
}

/** The handler a node's sandbox calls for every guest call of one cell. */
export function hostCallHandler(calls: () => NodeCalls): (name: string, args: unknown[], signal: AbortSignal) => Promise<unknown> {
  return async (name, args, signal) => {
    const current = calls();
    const { ctx, node, step } = current.site;
    const fn = ctx.api.get(name);
    if (!fn.describe) return fn.handler(args, hostCallContext(current, signal));
    const started = performance.now();
    const report = (ok: boolean, result: unknown) => {
      let summary: string;
      try {
        summary = fn.describe!(args, result);
      } catch {
        summary = name;
      }
      ctx.emit(node, { type: 'call', iteration: step.iteration, name, summary, ok, durationMs: performance.now() - started });
    };
    try {
      const result = await fn.handler(args, hostCallContext(current, signal));
      report(true, result);
      return result;
    } catch (error) {
      report(false, undefined);
      throw error;
    }
  };
}

function hostCallContext(calls: NodeCalls, signal: AbortSignal): HostCallContext {
  const site: CallSite = { ...calls.site, signal };
  const { ctx } = site;
  return {
    repo: calls.repo,
    signal,
    llm(prompt, options) {
      reserveSubCalls(ctx, 1);
      ctx.emit(site.node, { type: 'subcalls-requested', kind: 'llm', count: 1 });
      return subLlm(site, prompt, options.model);
    },
    llmBatch(batch, options) {
      reserveSubCalls(ctx, batch.length);
      ctx.emit(site.node, { type: 'subcalls-requested', kind: 'llm', count: batch.length });
      return Promise.all(
        batch.map((p) =>
          subLlm(site, p, options.model).catch((e: unknown) => {
            if (signal.aborted) throw e;
            return `[llm error] ${e instanceof Error ? e.message : String(e)}`;
          }),
        ),
      );
    },
    rlm(query, options) {
      reserveSubCalls(ctx, 1);
      ctx.emit(site.node, { type: 'subcalls-requested', kind: 'rlm', count: 1 });
      return subRlm(site, calls.repo, query, options.files ?? null, calls.runChild);
    },
    recordRead(record) {
      calls.record({ ...record, unsaved: record.unsaved ?? false });
    },
  };
}

/** Refuses a sub-call the run cannot afford, with a message the model can act on. */
function reserveSubCalls(ctx: RunContext, count: number): void {
  if (!ctx.subcalls) throw new Error(prompts.SUBCALLS_DISABLED);
  const stop = ctx.stopReason();
  if (stop === 'tokens' || stop === 'wall-time') {
    ctx.limitsHit.add(stop);
    throw new LimitError(stop, prompts.budgetSpent(stop));
  }
  const left = ctx.budget.subCallsLeft;
  if (!ctx.budget.takeSubCalls(count)) {
    const max = ctx.budget.limits.maxSubCalls;
    ctx.limitsHit.add('sub-calls');
    throw new LimitError('sub-calls', left === 0 ? prompts.subCallsUsedUp(max) : prompts.subCallsShort(count, left, max));
  }
}
