/**
 * Every sentence the engine sends a model, in one place so they can be read and compared
 * side by side: the system prompts, the opening of a question (first or follow-up), what a
 * turn's output looks like, notices, and the errors thrown to the guest by the engine. The
 * API reference inside the system prompt is generated from the session's sandbox API
 * definition; nothing here restates it by hand.
 */
import type { SandboxApi } from '../sandbox/api';
import type { GuestVariable } from '../sandbox/protocol';
import type { ResetReason } from '../sandbox/sandbox';
import type { RepoSummary } from '../repo/types';
import { formatBytes } from '../util/formatBytes';
import type { LimitName } from './limits';

const n = (x: number): string => x.toLocaleString('en-US');

export interface SystemPromptOptions {
  api: SandboxApi;
  depth: number;
  maxDepth: number;
  maxIterations: number;
  maxSubCalls: number;
  subCallConcurrency: number;
  maxOutputChars: number;
  cellTimeoutMs: number;
  /** False in the "REPL only" evaluation mode: llm() and rlm() are unavailable. */
  subcalls: boolean;
  /** Characters of text one llm() prompt should stay under, from the sub-model's context. */
  subPromptChars: number;
  /** What one cell may do (the node's own sandbox limits). */
  cell: { maxChars: number; maxCalls: number; callsAtOnce: number; maxBytes: number; maxReturnedBytes: number; arrayBufferMb: number; heapMb: number };
}

export function systemPrompt(o: SystemPromptOptions): string {
  const recursion =
    o.depth + 1 <= o.maxDepth
      ? 'rlm() starts a recursive RLM with its own REPL, one level deeper; use it for a sub-question that itself needs exploring.'
      : 'You are at the maximum recursion depth: rlm() is a plain llm() call with the listed files put in its prompt.';
  const delegation = o.subcalls
    ? `- Delegate reading. Sub-models are fresh: they see only the prompt you pass, so put the file text in it
  (e.g. \`"Which functions here write to the cache? Cite path:line.\\n\\n" + text\`). Use llm.batch over
  repo.clusters() to read many files at once: few fat prompts (up to ~${n(o.subPromptChars)} characters each) beat
  many thin ones. Up to ${o.subCallConcurrency} run in parallel; ${o.maxSubCalls} sub-calls in total for the whole run.
- ${recursion}`
    : '- llm(), llm.batch() and rlm() are disabled in this run: read and analyse with code and print only.';
  return `You answer questions about a code repository by writing JavaScript that runs in a REPL.
The repository is NOT in this conversation. It is available only through the \`repo\` object in the REPL,
so you must look at it with code. Each turn, reply with one or more fenced blocks tagged \`js\`; they run in
order and you get back what they print.

## The REPL API
\`\`\`
${o.api.render()}
\`\`\`

## How the REPL behaves
- Cells are async: use \`await\` at the top level. Always await repo, llm and rlm calls.
- Top-level const/let/var/function/class declarations persist to later cells (they become globals); so do
  properties you set on globalThis. Keep findings in variables instead of printing everything.
- You see only what you print (print or console.log) and thrown errors. Output over ${o.maxOutputChars.toLocaleString('en-US')} characters
  is cut: print counts, slices and summaries, not whole files.
- Standard JavaScript only: no require, no import, no process, no fetch, no timers. The sandbox refuses any
  code containing the text "import(", "-->" or "<!--" (even inside strings: write "i-- > 0") and direct eval(.
- A cell may run for ${Math.round(o.cellTimeoutMs / 1000)} s (time waiting for llm/rlm calls does not count). A cell that runs too long or
  uses too much memory (${o.cell.heapMb} MiB) is stopped and the REPL restarts empty (you will be told).
- A cell may be up to ${n(o.cell.maxChars)} characters and make up to ${n(o.cell.maxCalls)} repo/llm/rlm calls (${o.cell.callsAtOnce} run at once, the
  rest wait their turn), whose arguments may total ${formatBytes(o.cell.maxBytes)} and whose results ${formatBytes(o.cell.maxReturnedBytes)}; typed arrays may
  hold ${o.cell.arrayBufferMb} MiB. Past a limit
  the call throws and says what to do; the next cell starts afresh.

## How to work
- Probe first: repo.tree(), repo.files() with globs, repo.grep() for identifiers, then repo.read() of the
  line ranges that matter. Filter with code (regex, map, filter) before reading or delegating.
${delegation}
- Verify before you answer: check claims against the code you read. Cite files as path:line or
  path:start-end, only for lines you actually read or grepped.
- Draft answer.content early and revise it as you learn more. When it is complete and checked, set
  answer.ready = true (the boolean) in the same or a later cell. The answer is what the user sees: make it direct,
  self-contained markdown, with citations. Do not mark it ready before you have looked at the repository.
- You have at most ${o.maxIterations} turns.`;
}


export function describeRepo(summary: RepoSummary): string {
  const languages = summary.languages
    .slice(0, 8)
    .map((l) => `${l.language} (${l.files.toLocaleString('en-US')} file${l.files === 1 ? '' : 's'})`)
    .join(', ');
  return [
    `Repository: ${summary.name}`,
    `Files: ${summary.fileCount.toLocaleString('en-US')}, ${formatBytes(summary.totalBytes)} in total`,
    `Languages: ${languages || 'none detected'}`,
    'Top-level layout:',
    summary.topLevelTree,
  ].join('\n');
}

export function firstUserMessage(query: string, summary: RepoSummary): string {
  return `Question: ${query}

${describeRepo(summary)}

Start by exploring the repository with code. Reply with \`\`\`js blocks.`;
}

/** An earlier question of the conversation and the answer given to it. */
export interface Exchange {
  question: string;
  answer: string;
}

/** How much of the conversation a follow-up carries: the latest exchanges, each shortened. */
export const HISTORY_EXCHANGES = 6;
export const HISTORY_QUESTION_CHARS = 1_000;
export const HISTORY_ANSWER_CHARS = 3_000;

export interface FollowUpState {
  history: readonly Exchange[];
  /** What earlier cells left in the REPL; null when the REPL could not say. */
  variables: GuestVariable[] | null;
  /** Set when the REPL was restarted during the previous question: what came before is gone. */
  resetDuringLast: ResetReason | null;
}

function shorten(text: string, max: number): string {
  const t = text.trim();
  return t.length <= max ? t : `${t.slice(0, max)} […${n(t.length - max)} more characters]`;
}

/**
 * The opening of a follow-up question: the earlier questions and answers, what is still in
 * the REPL, then the question and the repository as for a first question.
 */
export function followUpMessage(query: string, summary: RepoSummary, state: FollowUpState): string {
  const recent = state.history.slice(-HISTORY_EXCHANGES);
  const skipped = state.history.length - recent.length;
  const exchanges = recent
    .map((e, i) => `Q${skipped + i + 1}: ${shorten(e.question, HISTORY_QUESTION_CHARS)}\nA${skipped + i + 1}: ${shorten(e.answer, HISTORY_ANSWER_CHARS) || '(no answer)'}`)
    .join('\n\n');
  const earlier = skipped > 0 ? ` (the first ${skipped} left out)` : '';
  const reset = state.resetDuringLast
    ? `The REPL was restarted during the last question (${RESET_CAUSES[state.resetDuringLast]}): variables made before that are gone. `
    : '';
  let repl: string;
  if (state.variables === null) {
    repl = `${reset}The REPL still holds the variables earlier cells left (it could not list them).`;
  } else if (state.variables.length === 0) {
    repl = `${reset}The REPL holds no variables from earlier cells.`;
  } else {
    repl = `${reset}The REPL still holds these variables from earlier cells; reuse them instead of reading again:\n${state.variables.map((v) => `- ${v.name}: ${v.summary}`).join('\n')}`;
  }
  return `This is a follow-up in a conversation about this repository. Earlier questions and your answers${earlier}:

${exchanges}

${repl}

Question: ${query}

${describeRepo(summary)}

Build on the earlier answers where they help, and check anything the new question depends on with code. Reply with \`\`\`js blocks.`;
}

const RESET_CAUSES: Record<ResetReason, string> = {
  timeout: 'a cell ran past its time limit',
  memory: 'a cell ran out of memory',
  background: 'code kept running after its cell ended',
  crashed: 'the sandbox crashed',
  cancelled: 'a cell was cancelled',
};

export interface TurnStatus {
  iteration: number;
  maxIterations: number;
  subCallsUsed: number;
  maxSubCalls: number;
  answerChars: number;
  answerReady: boolean;
  /** Set when the next turn is the last one the model gets. */
  finalTurn: string | null;
}

export function statusLine(s: TurnStatus): string {
  const answer = s.answerChars > 0 ? `draft of ${n(s.answerChars)} characters, not ready` : 'empty';
  const line = `[turn ${s.iteration} of ${s.maxIterations} done · sub-calls used ${s.subCallsUsed} of ${s.maxSubCalls} · answer: ${answer}]`;
  return s.finalTurn ? `${line}\n${s.finalTurn}` : line;
}

export const FINAL_TURN_NOTICE =
  'This is your last turn. Set answer.content to your best answer from what you have found (say what is uncertain) and set answer.ready = true now.';

export const SUBCALL_BUDGET_NOTICE =
  'The sub-call budget is used up: llm() and rlm() will fail from now on. Finish with what you have: set answer.content and answer.ready = true.';

/** A reply too long to parse: nothing in it ran. */
export function replyTooLong(chars: number, max: number, maxCellChars: number): string {
  return (
    `Your reply was ${n(chars)} characters, more than the ${n(max)} a reply may have, so none of its code ran. ` +
    `Reply with short cells (each under ${n(maxCellChars)} characters); keep data in the repository and variables, not in the code.`
  );
}

export function tooManyCells(count: number, max: number): string {
  return `Your reply had ${n(count)} code blocks; only the first ${max} ran. Put more into each cell and send fewer of them.`;
}

/** What the conversation keeps of a reply too long to parse. */
export function shortenedReply(text: string): string {
  return `${text.slice(0, 2_000)}\n[reply cut: ${n(text.length - 2_000)} more characters not kept]`;
}

export function noCodeNudge(otherLanguages: string[], unclosed: boolean): string {
  if (unclosed) {
    return 'Your reply ended inside a code block (was it cut off?), so nothing ran. Send shorter cells, closed with ```.';
  }
  const other = otherLanguages.length
    ? ` Your reply had \`\`\`${otherLanguages[0] || ' (untagged)'} blocks; only blocks tagged js, javascript or repl run.`
    : '';
  return `Your reply had no code to run and the answer is not marked ready.${other} Continue exploring with a \`\`\`js block, or set answer.content and answer.ready = true if you are done.`;
}

export const READY_WITHOUT_CONTENT =
  'answer.ready is true but answer.content is empty. Put the answer text in answer.content, then set answer.ready = true.';

export const SUBCALL_SYSTEM_PROMPT =
  'You are a sub-model called by a program that is analysing a code repository. Answer the request directly and concisely, using only the text given. When the text shows file paths and line numbers, cite them as path:line. If the text does not contain the answer, say so plainly.';

/** The prompt of an rlm() call at the maximum depth: the files go into the prompt. */
export function leafRlmPrompt(query: string, files: Array<{ path: string; text: string }>, omitted: string[]): string {
  return `${query}\n\nFiles:\n\n${leafRlmFile(files)}${leafRlmOmitted(omitted)}`;
}

function leafRlmFile(files: Array<{ path: string; text: string }>): string {
  return files.map((f) => `--- ${f.path} ---\n${f.text}`).join('\n\n');
}

function leafRlmOmitted(omitted: string[]): string {
  return omitted.length ? `\n\n(${omitted.length} more files did not fit and are not shown: ${omitted.slice(0, 20).join(', ')}${omitted.length > 20 ? ', …' : ''})` : '';
}

/** Characters a leaf rlm() prompt adds around each file (its header and separator). */
export function leafRlmFileOverhead(path: string): number {
  return leafRlmFile([{ path, text: '' }]).length + 2;
}

// ---- what a turn's output looks like -------------------------------------------------------

export function cellOutput(index: number, count: number, output: string, error: string | null): string {
  const label = count > 1 ? `Cell ${index} output` : 'Output';
  const parts = [`${label}:\n${output.trimEnd() || '(nothing printed)'}`];
  if (error) parts.push(`Error: ${error}`);
  return parts.join('\n');
}

export function cellsSkipped(failed: number, count: number): string {
  return `(Cells ${failed + 1}-${count} did not run because cell ${failed} failed.)`;
}

export const OLDER_OUTPUT_SHORTENED = '[older output shortened; keep results in variables rather than relying on old output]';

/** What the answer is when a limit ended an RLM before it drafted one. */
export function fallbackAnswer(lastOutput: string): string {
  const excerpt = lastOutput.trim().slice(0, 2_000);
  return excerpt ? `No answer was drafted. The last output of the exploration was:\n\n\`\`\`\n${excerpt}\n\`\`\`` : 'No answer was drafted.';
}

/** What rlm() returns to its caller when the recursive RLM stopped at a limit. */
export function recursiveStopped(limit: LimitName | null, answer: string): string {
  return `[The recursive RLM stopped at the ${limit ?? 'iteration'} limit before finishing; partial answer follows]\n${answer}`;
}

// ---- errors the engine throws to the guest --------------------------------------------------

export const SUBCALLS_DISABLED = 'llm(), llm.batch() and rlm() are disabled in this run (REPL-only mode). Read and analyse with code.';

export function budgetSpent(limit: 'tokens' | 'wall-time'): string {
  return `The ${limit === 'tokens' ? 'token' : 'time'} budget is used up; no more sub-calls. Set answer.content and answer.ready = true now.`;
}

export function subCallsUsedUp(max: number): string {
  return `The sub-call budget (${max}) is used up. Finish with what you have found.`;
}

export function subCallsShort(needed: number, left: number, max: number): string {
  return `This needs ${n(needed)} sub-calls but only ${left} of ${max} are left. Send fewer, larger prompts (e.g. one per repo.clusters() group).`;
}

/** A prompt that cannot fit the sub-model's context, refused before it is sent. */
export function promptTooLong(call: string, tokens: number, model: string, maxTokens: number, suggestChars: number): string {
  return (
    `${call}: the prompt is about ${n(tokens)} tokens, more than the ${n(maxTokens)} the sub-model "${model}" takes. ` +
    `Send smaller pieces, e.g. repo.clusters(glob, {maxChars: ${n(suggestChars).replace(/,/g, '_')}}) and one llm() per group.`
  );
}
