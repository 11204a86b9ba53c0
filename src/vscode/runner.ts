/**
 * Runs one question for any part of the extension (the chat participant, the commands, the
 * code lens, the agent tool): checks the workspace can be asked about, picks the models,
 * takes the conversation's session, binds cancellation, feeds progress, logs the run and
 * records it for the trace view. No RLM logic lives here; it is all in the core.
 */
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
    for (const s of ws.skipped) this.log.warn(`Skipped folder ${s}`);
    return ws.repo;
  }

  /** A repo-path mapper for the workspace as it is now (for scoping and links before a run). */
  currentPaths(): WorkspacePaths {
    return this.paths ?? buildWorkspace(readSettings()).paths;
  }

  async ask(q: Question): Promise<Outcome> {
    if (!vscode.workspace.isTrusted) throw new UntrustedWorkspaceError('The workspace is not trusted.');
    const settings = readSettings();
    // Fails early, before any model is asked, when no folder is open.
    this.paths = buildWorkspace(settings).paths;
    const choice = q.origin === 'chat' ? await this.models.forChat(q.chatModel, settings) : await this.models.forCommand(settings);
    const { id, session, warm } = this.conversations.take(q.conversationId);

    const cancel = new vscode.CancellationTokenSource();
    const forward = q.token.onCancellationRequested(() => cancel.cancel());
    if (q.token.isCancellationRequested) cancel.cancel();
    const controller = new AbortController();
    const onCancel = cancel.token.onCancellationRequested(() => controller.abort());

    const concurrency = settings.limits.subCallConcurrency ?? 4;
    const handle = this.runs.start(q.query, q.origin, choice.label, concurrency, cancel);
    this.log.info(`Run (${q.origin}) · ${choice.label} · ${warm ? 'follow-up in a warm REPL' : q.history?.length ? 'follow-up, REPL restarted' : 'new conversation'}: ${oneLine(q.query)}`);
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
          for (const line of handle.onEvent(e)) q.onProgress?.(line);
          if (e.type === 'retry') this.log.warn(`Retry ${e.attempt} in ${e.delayMs} ms: ${e.reason}`);
        },
      });
      handle.finish(result);
      this.logResult(result);
      return { result, conversationId: id, record: handle.record, paths: this.paths, failure: null };
    } catch (error) {
      const partial = error instanceof RlmRunError ? error.partial : undefined;
      const cause = error instanceof RlmRunError ? error.cause : error;
      handle.fail(cause instanceof Error ? cause.message : String(cause), partial);
      this.log.error(`Run failed: ${cause instanceof Error ? cause.message : String(cause)}`);
      if (!partial) throw cause;
      return { result: partial, conversationId: id, record: handle.record, paths: this.paths!, failure: cause };
    } finally {
      forward.dispose();
      onCancel.dispose();
      cancel.dispose();
    }
  }

  private logResult(r: RlmResult): void {
    const u = r.usage;
    this.log.info(
      `Run done: ${r.ready ? 'answer ready' : `stopped by ${r.stoppedBy}`} · ${r.trace.root.steps.length} steps · ${u.subCalls} sub-calls · ${usageText(u)}` +
        (r.limitsHit.length ? ` · limits hit: ${r.limitsHit.join(', ')}` : '') +
        ` · ${r.citations.length} files cited`,
    );
  }

  /** Keeps a session warm for the next question (called when the chat view is used). */
  prewarm(): void {
    if (vscode.workspace.isTrusted && vscode.workspace.workspaceFolders?.length) this.conversations.prewarm();
  }

  dispose(): void {
    void this.conversations.dispose();
  }
}

function oneLine(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

export type { RlmSession };
