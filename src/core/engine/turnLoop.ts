/**
 * The turn loop of one RLM node, the root or a recursive one: send the conversation to the
 * root model, run the cells of its reply in the node's sandbox, feed back what they printed,
 * until the model marks its answer ready or a limit stops the node.
 *
 * The root model never sees the repository: it gets the question, a short description of
 * the repository and the REPL API, writes code, and reads what the code printed.
 */
import type { ChatMessage, Completion } from '../providers/types';
import type { ReadRecord, Repo } from '../repo/types';
import { SANDBOX_DEFAULTS, Sandbox, type CellOutcome } from '../sandbox/sandbox';
import { MAX_CELLS_PER_REPLY, MAX_REPLY_CHARS, parseReply } from '../sandbox/codeBlocks';
import { withDefaults } from '../util/withDefaults';
import { ReadLedger } from './citations';
import { hostCallHandler, type NodeCalls } from './hostCalls';
import { stopNote } from './limits';
import * as prompts from './prompts';
import { nodeStopReason, type NodeRef, type RunContext } from './runContext';
import { recommendedPromptChars, type RunChild } from './subCalls';
import type { TraceCell, TraceRlm, TraceStep } from './trace';

/** Outputs older than this many turns are shortened in the root model's context. */
export const FULL_OUTPUT_TURNS = 4;
export const SHORTENED_OUTPUT_CHARS = 1_500;

export interface NodeRun {
  ctx: RunContext;
  trace: TraceRlm;
  parentId: number | null;
  /** The node's view of the workspace (a subset for a scoped rlm()); reads are observed here. */
  repo: Repo;
  /**
   * The sandbox to run cells in. A session's root keeps its warm sandbox across questions; a
   * recursive node passes null and gets a fresh one, disposed when it ends.
   */
  sandbox: Sandbox | null;
  /** The user message that opens the node's conversation. */
  opening: (repo: Repo) => Promise<string>;
  /** Where the node's reads go besides its own steps: the parent's step and the run's log. */
  sink: (record: ReadRecord) => void;
  signal: AbortSignal;
}

interface Turn {
  reply: ChatMessage;
  feedback: ChatMessage | null;
}

export async function runNode(run: NodeRun): Promise<void> {
  const { ctx, trace, signal } = run;
  const started = performance.now();
  const node: NodeRef = { id: trace.id, parentId: run.parentId, depth: trace.depth };
  const limits = ctx.budget.limits;

  // Reads are reported where they happen: to the step that made them, up to the parent, and
  // as an event for a UI that attaches references while the run goes.
  let stepReads = new ReadLedger();
  const record = (r: ReadRecord): void => {
    const rec = { ...r, unsaved: r.unsaved ?? false };
    stepReads.add(rec);
    run.sink(rec);
    ctx.emit(node, { type: 'read', ...rec });
  };
  const repo = run.repo.observe(record);

  let currentStep: TraceStep | null = null;
  const runChild: RunChild = (child, childRepo, childSignal) =>
    runNode({
      ctx,
      trace: child,
      parentId: node.id,
      repo: childRepo,
      sandbox: null,
      opening: async (r) => prompts.firstUserMessage(child.query, await r.summary()),
      sink: (r) => {
        stepReads.add(r);
        run.sink(r);
      },
      signal: childSignal,
    });
  const calls = (): NodeCalls => ({ site: { ctx, node, step: currentStep! }, repo, record, runChild });
  const handleCall = hostCallHandler(calls);

  const ownSandbox = run.sandbox === null;
  const sandbox =
    run.sandbox ??
    new Sandbox({ repoName: repo.name, api: ctx.api, ...ctx.memory.child, ...ctx.sandboxSettings, handleCall });
  const warming = sandbox.warm();
  warming.catch(() => {});

  const sandboxLimits = withDefaults({ ...SANDBOX_DEFAULTS, ...(ownSandbox ? ctx.memory.child : ctx.memory.root) }, ctx.sandboxSettings);
  const head: ChatMessage[] = [
    {
      role: 'system',
      content: prompts.systemPrompt({
        api: ctx.api,
        depth: trace.depth,
        maxDepth: limits.maxDepth,
        maxIterations: limits.maxIterations,
        maxSubCalls: limits.maxSubCalls,
        subCallConcurrency: limits.subCallConcurrency,
        maxOutputChars: sandboxLimits.maxOutputChars,
        cellTimeoutMs: sandboxLimits.cellTimeoutMs,
        cell: {
          maxChars: sandboxLimits.maxCellChars,
          maxCalls: sandboxLimits.maxCallsPerCell,
          callsAtOnce: sandboxLimits.maxCallsInFlight,
          maxBytes: sandboxLimits.maxCellBytes,
          maxReturnedBytes: sandboxLimits.maxReturnedBytes,
          arrayBufferMb: sandboxLimits.arrayBufferMb,
          heapMb: sandboxLimits.heapMb,
        },
        subcalls: ctx.subcalls,
        subPromptChars: recommendedPromptChars(ctx),
      }),
    },
    { role: 'user', content: await run.opening(repo) },
  ];
  const turns: Turn[] = [];
  let nudged = false;
  let subCallNoticeSent = false;
  let lastOutput = '';
  /** The status line that ends a turn's feedback, with the notice of a last turn or a spent budget. */
  const statusFor = (iteration: number): string => {
    let finalTurn: string | null = null;
    if (iteration + 1 === limits.maxIterations) finalTurn = prompts.FINAL_TURN_NOTICE;
    else if (ctx.budget.subCallsLeft === 0 && ctx.subcalls && !subCallNoticeSent) {
      subCallNoticeSent = true;
      finalTurn = prompts.SUBCALL_BUDGET_NOTICE;
    }
    const answer = sandbox.currentAnswer;
    return prompts.statusLine({
      iteration,
      maxIterations: limits.maxIterations,
      subCallsUsed: ctx.budget.subCalls,
      maxSubCalls: limits.maxSubCalls,
      answerChars: answer.content.length,
      answerReady: answer.ready,
      finalTurn,
    });
  };
  sandbox.setAnswer({ content: '', ready: false });

  try {
    await warming;
    for (let iteration = 1; ; iteration++) {
      const stop = nodeStopReason(ctx, signal);
      if (stop) {
        trace.limitHit = stop;
        break;
      }
      if (iteration > limits.maxIterations) {
        trace.limitHit = 'iterations';
        break;
      }
      ctx.emit(node, { type: 'step-started', iteration, maxIterations: limits.maxIterations });
      const stepStarted = performance.now();
      const messages = renderHistory(head, turns);
      const step: TraceStep = {
        iteration,
        model: ctx.root.model,
        promptChars: messages.reduce((n, m) => n + m.content.length, 0),
        usage: null,
        reply: '',
        cells: [],
        subCalls: [],
        filesRead: [],
        durationMs: 0,
      };
      trace.steps.push(step);
      stepReads = new ReadLedger();
      const endStep = async (): Promise<void> => {
        step.durationMs = performance.now() - stepStarted;
        step.filesRead = await stepReads.citations();
      };
      currentStep = step;

      let completion: Completion;
      try {
        completion = await ctx.root.provider.complete({
          messages,
          model: ctx.root.model,
          signal,
          onText: (fragment) => ctx.emit(node, { type: 'model-text', iteration, fragment }),
          onRetry: (r) => ctx.emit(node, { type: 'retry', ...r }),
        });
      } catch (error) {
        await endStep();
        const reason = signal.aborted ? nodeStopReason(ctx, signal) : null;
        if (reason) {
          trace.limitHit = reason;
          break;
        }
        throw error;
      }
      ctx.budget.modelCalls++;
      // Priced by the configured name: servers often answer with a dated model id.
      ctx.budget.record(ctx.root.model, completion.usage);
      step.usage = completion.usage;
      step.reply = completion.text;
      ctx.emit(node, { type: 'model-replied', iteration, text: completion.text, ...completion.usage });
      ctx.emit(node, { type: 'usage', totals: ctx.budget.totals() });

      if (completion.text.length > MAX_REPLY_CHARS) {
        // Not parsed, so nothing in it runs; the history and trace keep only its start, so
        // that the conversation stays bounded.
        const kept = prompts.shortenedReply(completion.text);
        step.reply = kept;
        const sections = [prompts.replyTooLong(completion.text.length, MAX_REPLY_CHARS, sandboxLimits.maxCellChars)];
        sections.push(statusFor(iteration));
        turns.push({ reply: { role: 'assistant', content: kept }, feedback: { role: 'user', content: sections.join('\n\n') } });
        await endStep();
        continue;
      }
      const reply: ChatMessage = { role: 'assistant', content: completion.text };
      const parsed = parseReply(completion.text);

      if (parsed.cells.length === 0) {
        if (!nudged) {
          nudged = true;
          turns.push({ reply, feedback: { role: 'user', content: prompts.noCodeNudge(parsed.otherBlocks.map((b) => b.language), parsed.unclosed !== null) } });
          await endStep();
          continue;
        }
        // Second reply in a row without code: take it as the answer rather than loop.
        const current = sandbox.currentAnswer;
        if (!current.content.trim()) sandbox.setAnswer({ content: completion.text.trim(), ready: true });
        else sandbox.setAnswer({ ...current, ready: true });
        await endStep();
        break;
      }
      nudged = false;

      const sections: string[] = [];
      let ready = false;
      // A reply of thousands of tiny blocks would hold the turn for as many sandbox round trips.
      if (parsed.cells.length > MAX_CELLS_PER_REPLY) {
        sections.push(prompts.tooManyCells(parsed.cells.length, MAX_CELLS_PER_REPLY));
        parsed.cells.length = MAX_CELLS_PER_REPLY;
      }
      for (let i = 0; i < parsed.cells.length; i++) {
        const cell = parsed.cells[i]!;
        const before = sandbox.currentAnswer.content;
        ctx.emit(node, { type: 'code', iteration, cell: i + 1, code: cell.code });
        const outcome: CellOutcome = await sandbox.runCell(cell.code, { signal, handleCall, repoName: repo.name });
        step.cells.push(traceCell(cell.code, outcome));
        ctx.emit(node, { type: 'output', iteration, cell: i + 1, output: outcome.output, error: outcome.error, durationMs: outcome.durationMs });
        if (outcome.reset) ctx.emit(node, { type: 'sandbox-reset', reason: outcome.reset });
        if (outcome.answer.content !== before) ctx.emit(node, { type: 'answer-drafted', chars: outcome.answer.content.length, text: outcome.answer.content });
        sections.push(prompts.cellOutput(i + 1, parsed.cells.length, outcome.output, outcome.error));
        lastOutput = outcome.output || lastOutput;
        if (outcome.answerProblem) sections.push(outcome.answerProblem);
        if (outcome.answer.ready) {
          if (outcome.answer.content.trim()) {
            ready = true;
            break;
          }
          sandbox.setAnswer({ content: '', ready: false });
          sections.push(prompts.READY_WITHOUT_CONTENT);
        }
        if (outcome.error) {
          if (i < parsed.cells.length - 1) sections.push(prompts.cellsSkipped(i + 1, parsed.cells.length));
          break;
        }
        if (outcome.reset === 'cancelled') break;
      }
      await endStep();
      if (ready) break;

      sections.push(statusFor(iteration));
      turns.push({ reply, feedback: { role: 'user', content: sections.join('\n\n') } });
    }
  } finally {
    const answer = sandbox.currentAnswer;
    trace.ready = answer.ready && answer.content.trim().length > 0 && trace.limitHit === null;
    trace.answer = answer.content.trim() ? answer.content : trace.limitHit ? prompts.fallbackAnswer(lastOutput) : '';
    if (trace.limitHit) {
      ctx.limitsHit.add(trace.limitHit);
      ctx.emit(node, { type: 'limit-hit', limit: trace.limitHit, message: stopNote(trace.limitHit, limits, answer.content.length > 0) });
    }
    if (trace.ready) ctx.emit(node, { type: 'answer-ready', answer: trace.answer });
    trace.durationMs = performance.now() - started;
    if (ownSandbox) await sandbox.dispose();
  }
}

/** Renders the conversation, shortening cell outputs of older turns to keep the context bounded. */
export function renderHistory(head: ChatMessage[], turns: Turn[]): ChatMessage[] {
  const out = [...head];
  turns.forEach((t, i) => {
    out.push(t.reply);
    if (!t.feedback) return;
    const old = i < turns.length - FULL_OUTPUT_TURNS;
    const text = t.feedback.content;
    out.push(
      old && text.length > SHORTENED_OUTPUT_CHARS
        ? { role: 'user', content: `${text.slice(0, SHORTENED_OUTPUT_CHARS)}\n${prompts.OLDER_OUTPUT_SHORTENED}` }
        : t.feedback,
    );
  });
  return out;
}

function traceCell(code: string, o: CellOutcome): TraceCell {
  return { code, output: o.output, error: o.error, durationMs: Math.round(o.durationMs), reset: o.reset };
}
