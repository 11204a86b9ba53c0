/**
 * Runs one question for any part of the extension (the chat participant, the commands, the
 * code lens, the agent tool): checks the workspace can be asked about, picks the models,
 * takes the conversation's session, binds cancellation, feeds progress, logs the run and
 * records it for the trace view. No RLM logic lives here; it is all in the core.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { Exchange, RlmResult, RlmSession } from '../core/engine/session';
import { RlmRunError, RlmSession as Session } from '../core/engine/session';
import { Conversations } from './conversations';
import { buildWorkspace, type WorkspacePaths } from './editorWorkspace';
import { languageFunctions } from './languageApi';
import { editorLanguageIntelligence } from './languageIntelligence';
import type { Models } from './models';
import type { RunOrigin, RunRecord, Runs } from './runs';
import { readSettings } from './settings';
import { usageText } from './progressText';

export class UntrustedWorkspaceError extends Error {
  override readonly name = 'UntrustedWorkspaceError';
}

export interface Question {
  query: string;
  /** How the run is named in the trace view and the log (default: the query). */
  label?: string;
  origin: RunOrigin;
  /** The chat panel's model for a chat request; other origins use `Models.forCommand`. */
  chatModel?: vscode.LanguageModelChat;
  /** The conversation to continue, if any. */
  conversationId?: string;
  /** The conversation so far as the chat view holds it, for a session that is no longer warm. */
  history?: Exchange[];
  /** Workspace paths (files, folders, globs) the question is about. */
  scope?: string[];
  token: vscode.CancellationToken;
  onProgress?(line: string): void;
}

export interface Outcome {
  result: RlmResult;
  conversationId: string;
  record: RunRecord;
  paths: WorkspacePaths;
  /** Set when the run failed part-way; `result` holds what it found. */
  failure: unknown;
}

export class Runner implements vscode.Disposable {
  readonly conversations: Conversations;
  /** The workspace of the latest question, for mapping the language servers' URIs. */
  private paths: WorkspacePaths | undefined;
  private loggedRipgrep = false;

  constructor(
    private readonly models: Models,
    private readonly runs: Runs,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const currentPaths: WorkspacePaths = {
      toUri: (p) => this.paths?.toUri(p),
      toRepoPath: (u) => this.paths?.toRepoPath(u),
    };
    const hostFunctions = languageFunctions(editorLanguageIntelligence(currentPaths));
    this.conversations = new Conversations({
      create: () => new Session({ repo: () => this.workspace(), hostFunctions, sandbox: { cellTimeoutMs: readSettings().cellTimeoutMs } }),
    });
  }

  /** The workspace as a repo, built fresh for each question. */
  private workspace() {
    const ws = buildWorkspace(readSettings());
    this.paths = ws.paths;
    if (!this.loggedRipgrep) {
      this.loggedRipgrep = true;
      this.log.info(ws.ripgrep ? `Searching with VS Code's ripgrep (${ws.ripgrep}).` : "VS Code's ripgrep was not found under its app root; searching with the JavaScript grep (same results, slower).");
    }
    for (const s of ws.skipped) this.log.warn(`Skipped folder ${s}`);
    return ws.repo;
  }

  /** A repo-path mapper for the workspace as it is now (for scoping and links before a run). */
  currentPaths(): WorkspacePaths {
    return this.paths ?? buildWorkspace(readSettings()).paths;
  }

  /**
   * Throws what stops a question before it starts (untrusted workspace, no folder, no model),
   * so that a command can say so before it shows progress.
   */
  async check(origin: RunOrigin, chatModel?: vscode.LanguageModelChat): Promise<void> {
    await this.prepare({ origin, ...(chatModel ? { chatModel } : {}) });
  }

  private async prepare(q: Pick<Question, 'origin' | 'chatModel'>) {
    if (!vscode.workspace.isTrusted) throw new UntrustedWorkspaceError('The workspace is not trusted.');
    const settings = readSettings();
    // Fails early, before any model is asked, when no folder is open.
    this.paths = buildWorkspace(settings).paths;
    const choice = q.origin === 'chat' ? await this.models.forChat(q.chatModel, settings) : await this.models.forCommand(settings);
    return { settings, choice };
  }

  async ask(q: Question): Promise<Outcome> {
    const requested = performance.now();
    const { settings, choice } = await this.prepare(q);
    const { id, session, warm } = this.conversations.take(q.conversationId);

    const cancel = new vscode.CancellationTokenSource();
    const forward = q.token.onCancellationRequested(() => cancel.cancel());
    if (q.token.isCancellationRequested) cancel.cancel();
    const controller = new AbortController();
    const onCancel = cancel.token.onCancellationRequested(() => controller.abort());

    const concurrency = settings.limits.subCallConcurrency ?? 4;
    const handle = this.runs.start(q.label ?? q.query, q.origin, choice.label, concurrency, cancel);
    this.log.info(`Run (${q.origin}) · ${choice.label} · ${warm ? 'follow-up in a warm REPL' : q.history?.length ? 'follow-up, REPL restarted' : 'new conversation'}: ${oneLine(q.label ?? q.query)}`);
    // What the user feels: how soon the first progress line and the first model request come,
    // and how long the extension host's event loop (shared with every extension) was held up.
    const health = new HostHealth(requested);
    try {
      const result = await session.ask(q.query, {
        signal: controller.signal,
        root: choice.root,
        ...(choice.sub ? { sub: choice.sub } : {}),
        limits: settings.limits,
        prices: settings.prices,
        ...(q.scope?.length ? { scope: q.scope } : {}),
        ...(!warm && q.history?.length ? { history: q.history } : {}),
        onEvent: (e) => {
          health.saw(e.type);
          for (const line of handle.onEvent(e)) {
            health.progressed();
            q.onProgress?.(line);
          }
          if (e.type === 'retry') this.log.warn(`Retry ${e.attempt} in ${e.delayMs} ms: ${e.reason}`);
        },
      });
      handle.finish(result);
      this.logResult(result, health.report());
      return { result, conversationId: id, record: handle.record, paths: this.currentPaths(), failure: null };
    } catch (error) {
      const partial = error instanceof RlmRunError ? error.partial : undefined;
      const cause = error instanceof RlmRunError ? error.cause : error;
      handle.fail(cause instanceof Error ? cause.message : String(cause), partial);
      this.log.error(`Run failed: ${cause instanceof Error ? cause.message : String(cause)}`);
      if (!partial) throw cause;
      return { result: partial, conversationId: id, record: handle.record, paths: this.currentPaths(), failure: cause };
    } finally {
      health.end();
      forward.dispose();
      onCancel.dispose();
      cancel.dispose();
    }
  }

  private logResult(r: RlmResult, health: string): void {
    const u = r.usage;
    this.log.info(
      `Run done: ${r.ready ? 'answer ready' : `stopped by ${r.stoppedBy}`} · ${r.trace.root.steps.length} turns · ${u.subCalls} sub-calls · ${usageText(u)}` +
        (r.limitsHit.length ? ` · limits hit: ${r.limitsHit.join(', ')}` : '') +
        ` · ${r.citations.length} files cited · ${health}`,
    );
    const unsaved = r.citations.filter((c) => c.unsaved).map((c) => c.path);
    if (unsaved.length) this.log.info(`Read unsaved changes in ${unsaved.join(', ')}.`);
  }

  /** Keeps a session warm for the next question (called when the chat view is used). */
  prewarm(): void {
    if (vscode.workspace.isTrusted && vscode.workspace.workspaceFolders?.length) this.conversations.prewarm();
  }

  dispose(): void {
    void this.conversations.dispose();
  }
}

/** Timings of one run as the user feels them, for the log (and `npm run bench`, which reads it). */
class HostHealth {
  private readonly histogram = monitorEventLoopDelay({ resolution: 10 });
  private firstProgress: number | null = null;
  private firstModelRequest: number | null = null;

  constructor(private readonly requested: number) {
    this.histogram.enable();
  }

  progressed(): void {
    this.firstProgress ??= performance.now() - this.requested;
  }

  saw(type: string): void {
    if (type === 'step-started') this.firstModelRequest ??= performance.now() - this.requested;
  }

  end(): void {
    this.histogram.disable();
  }

  report(): string {
    const ms = (v: number | null) => (v === null ? 'n/a' : `${Math.round(v)} ms`);
    // The histogram is in nanoseconds; its 10 ms resolution is subtracted, as Node's docs advise.
    const max = Math.max(0, this.histogram.max / 1e6 - 10);
    const p99 = Math.max(0, this.histogram.percentile(99) / 1e6 - 10);
    return `first progress after ${ms(this.firstProgress)} · first model request after ${ms(this.firstModelRequest)} · extension host event loop max ${Math.round(max)} ms, p99 ${Math.round(p99)} ms`;
  }
}

function oneLine(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

export type { RlmSession };
