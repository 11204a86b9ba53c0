/**
 * The chat participant `@rlm`: questions about the workspace, `/summarize`, `/explain` and
 * `/trace`, with progress as it happens, answers whose citations are inline anchors to the
 * lines the run read, follow-ups that continue the conversation's REPL, and errors that say
 * what to do next.
 */
import * as vscode from 'vscode';
import type { Exchange } from '../core/engine/session';
import { streamAnswer, runFooter } from './answerView';
import { adviseOn, untrustedAdvice, type Advice } from './errorAdvice';
import { explainQuestion, suggestFollowUps, summarizeQuestion } from './questions';
import { UntrustedWorkspaceError, type Runner } from './runner';
import type { WorkspacePaths } from './editorWorkspace';

export const PARTICIPANT_ID = 'rlm.participant';

interface ResultMetadata {
  conversationId?: string;
  runId?: string;
  followUps?: Array<{ prompt: string; label: string }>;
}

export function registerParticipant(runner: Runner, log: vscode.LogOutputChannel): vscode.Disposable {
  const participant = vscode.chat.createChatParticipant(PARTICIPANT_ID, (request, context, stream, token) => handle(runner, log, request, context, stream, token));
  participant.iconPath = new vscode.ThemeIcon('search-fuzzy');
  participant.followupProvider = {
    provideFollowups(result) {
      const meta = (result.metadata ?? {}) as ResultMetadata;
      return (meta.followUps ?? []).map((f) => ({ prompt: f.prompt, label: f.label, participant: PARTICIPANT_ID }));
    },
  };
  return participant;
}

async function handle(
  runner: Runner,
  log: vscode.LogOutputChannel,
  request: vscode.ChatRequest,
  context: vscode.ChatContext,
  stream: vscode.ChatResponseStream,
  token: vscode.CancellationToken,
): Promise<vscode.ChatResult> {
  // Keep a sandbox warm for the next question while the chat view is in use.
  runner.prewarm();
  if (request.command === 'trace') {
    await vscode.commands.executeCommand('rlm.showTrace');
    stream.markdown('Opened the trace of the last run in **RLM: Show Trace**.');
    return {};
  }
  if (!vscode.workspace.isTrusted) return showAdvice(stream, untrustedAdvice());

  let paths: WorkspacePaths;
  try {
    paths = runner.currentPaths();
  } catch (error) {
    return showAdvice(stream, adviseOn(error));
  }
  const { query, scope } = questionFor(request, paths);
  if (!query.trim()) {
    stream.markdown('Ask a question about the workspace, e.g. `@rlm Where is the configuration loaded?`, or use `/summarize` or `/explain`.');
    return {};
  }
  const { conversationId, history } = fromHistory(context);
  log.debug(`Chat request: command=${request.command ?? '-'} references=${request.references.map((r) => r.id).join(',') || '-'} scope=${scope.join(',') || '-'}`);

  let lastProgress = '';
  try {
    const outcome = await runner.ask({
      query,
      label: request.command ? `/${request.command} ${request.prompt}`.trim() : request.prompt,
      origin: 'chat',
      chatModel: request.model,
      ...(conversationId ? { conversationId } : {}),
      history,
      ...(scope.length ? { scope } : {}),
      token,
      onProgress: (line) => {
        if (line !== lastProgress) stream.progress(line);
        lastProgress = line;
      },
    });
    const { result } = outcome;
    if (outcome.failure) {
      const advice = adviseOn(outcome.failure);
      stream.markdown(`**${advice.message}**\n\n`);
      for (const a of advice.actions) stream.button(a);
      if (result.answer.trim()) stream.markdown('\n\nWhat the run had found before it stopped:\n\n');
    }
    if (result.answer.trim()) streamAnswer(stream, result, outcome.paths);
    stream.markdown(`\n\n*${runFooter(result)}*`);
    stream.button({ title: 'Show Trace', command: 'rlm.showTrace', arguments: [outcome.record.id] });
    const followUps = result.ready ? suggestFollowUps(query, result.citations.map((c) => c.path)) : [];
    const metadata: ResultMetadata = { conversationId: outcome.conversationId, runId: outcome.record.id, followUps };
    return { metadata };
  } catch (error) {
    if (error instanceof UntrustedWorkspaceError) return showAdvice(stream, untrustedAdvice());
    return showAdvice(stream, adviseOn(error));
  }
}

/** The message once, with its buttons (an errorDetails box would repeat it). */
function showAdvice(stream: vscode.ChatResponseStream, advice: Advice): vscode.ChatResult {
  stream.markdown(advice.message);
  for (const a of advice.actions) stream.button(a);
  return { metadata: { failed: true } };
}

/**
 * The question for the engine and its scope: the prompt itself, or the question a slash
 * command stands for; `#file` and selection references scope the run to those files (the
 * editor's implicit context does not: it only says what the user is looking at).
 */
export function questionFor(request: vscode.ChatRequest, paths: WorkspacePaths): { query: string; scope: string[] } {
  const scope: string[] = [];
  const selections: string[] = [];
  let explained: { path: string; start?: number; end?: number } | undefined;
  for (const ref of request.references) {
    const value = ref.value;
    const uri = value instanceof vscode.Uri ? value : value instanceof vscode.Location ? value.uri : undefined;
    const p = uri ? paths.toRepoPath(uri) : undefined;
    if (!p) continue;
    const range = value instanceof vscode.Location ? { start: value.range.start.line + 1, end: value.range.end.line + 1 } : undefined;
    const implicit = ref.id.startsWith('vscode.implicit');
    if (range) selections.push(`${p}:${range.start}-${range.end}`);
    if (!implicit && request.command !== 'explain') scope.push(p);
    if (!explained || (!implicit && request.command === 'explain')) explained = { path: p, ...(range ? range : {}) };
  }
  const prompt = stripReferences(request);
  if (request.command === 'summarize') {
    const target = prompt.trim().replace(/^["'`]|["'`]$/g, '') || (scope.length === 1 ? scope[0]! : null);
    const folder = target && !/\s/.test(target) ? target.replace(/\/+$/, '') : null;
    return { query: summarizeQuestion(folder) + (target && !folder ? ` Focus: ${target}` : ''), scope: folder ? [folder] : [] };
  }
  if (request.command === 'explain') {
    // "path[:start[-end]] [symbol]", as the Explain code lens and a user would write it.
    const named = /^(\S+?)(?::(\d+)(?:-(\d+))?)?(?:\s+(\S.*))?$/.exec(prompt.trim());
    if (named && /[./]/.test(named[1]!) && !named[1]!.includes('(')) {
      const start = named[2] ? Number(named[2]) : undefined;
      // "createServer (function)": the symbol and its kind, as the code lens writes them.
      const symbol = named[4] ? /^(.+?)(?:\s+\((\w+)\))?$/.exec(named[4].trim()) : null;
      return {
        query: explainQuestion({
          path: named[1]!,
          ...(symbol ? { symbol: symbol[1]!, ...(symbol[2] ? { kind: symbol[2] } : {}) } : {}),
          ...(start ? { startLine: start, endLine: Number(named[3] ?? named[2]) } : {}),
        }),
        scope: [],
      };
    }
    if (prompt.trim() && !explained) return { query: `Explain ${prompt.trim()}: what it does, what it calls, and where it is used across the repository (cite path:line).`, scope: [] };
    if (!explained) return { query: '', scope: [] };
    return {
      query: explainQuestion({ path: explained.path, ...(explained.start ? { startLine: explained.start, endLine: explained.end } : {}) }, prompt.trim() ? `The user asks: ${prompt.trim()}` : ''),
      scope: [],
    };
  }
  const looking = selections.length && scope.length === 0 ? ` (The user is looking at ${selections.join(', ')}.)` : '';
  return { query: prompt.trim() ? prompt.trim() + looking : '', scope };
}

/** The prompt without the `#file:...` text of its references (their ranges are known). */
function stripReferences(request: vscode.ChatRequest): string {
  let text = request.prompt;
  const ranges = request.references.map((r) => r.range).filter((r): r is [number, number] => !!r).sort((a, b) => b[0] - a[0]);
  for (const [start, end] of ranges) text = text.slice(0, start) + text.slice(end);
  return text.replace(/\s+/g, ' ').trim();
}

/** The conversation so far, as the chat view holds it, and the id of its session. */
export function fromHistory(context: vscode.ChatContext): { conversationId: string | undefined; history: Exchange[] } {
  const history: Exchange[] = [];
  let conversationId: string | undefined;
  let pending: string | null = null;
  for (const turn of context.history) {
    if (turn instanceof vscode.ChatRequestTurn) {
      pending = turn.command ? `/${turn.command} ${turn.prompt}` : turn.prompt;
    } else if (turn instanceof vscode.ChatResponseTurn) {
      const meta = (turn.result.metadata ?? {}) as ResultMetadata;
      if (meta.conversationId) conversationId = meta.conversationId;
      const answer = turn.response
        .map((part) => (part instanceof vscode.ChatResponseMarkdownPart ? part.value.value : part instanceof vscode.ChatResponseAnchorPart ? (part.title ?? '') : ''))
        .join('')
        .trim();
      if (pending !== null) history.push({ question: pending, answer });
      pending = null;
    }
  }
  return { conversationId, history };
}
