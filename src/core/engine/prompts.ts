/**
 * Every prompt the engine sends, in one place so they can be read and compared side by
 * side. The API reference inside the system prompt is generated from the sandbox API
 * definition; nothing here restates it by hand.
 */
import { renderApiReference } from '../sandbox/api';
import type { RepoSummary } from '../repo/types';
import { formatBytes } from '../util/formatBytes';

export interface SystemPromptOptions {
  depth: number;
  maxDepth: number;
  maxIterations: number;
  maxSubCalls: number;
  subCallConcurrency: number;
  maxOutputChars: number;
  cellTimeoutMs: number;
  /** False in the "REPL only" evaluation mode: llm() and rlm() are unavailable. */
  subcalls: boolean;
}

export function systemPrompt(o: SystemPromptOptions): string {
  const recursion =
    o.depth + 1 <= o.maxDepth
      ? 'rlm() starts a recursive RLM with its own REPL, one level deeper; use it for a sub-question that itself needs exploring.'
      : 'You are at the maximum recursion depth: rlm() is a plain llm() call with the listed files put in its prompt.';
  const delegation = o.subcalls
    ? `- Delegate reading. Sub-models are fresh: they see only the prompt you pass, so put the file text in it
  (e.g. \`"Which functions here write to the cache? Cite path:line.\\n\\n" + text\`). Use llm.batch over
  repo.clusters() to read many files at once: few fat prompts (up to ~100,000 characters each) beat
  many thin ones. Up to ${o.subCallConcurrency} run in parallel; ${o.maxSubCalls} sub-calls in total for the whole run.
- ${recursion}`
    : '- llm(), llm.batch() and rlm() are disabled in this run: read and analyse with code and print only.';
  return `You answer questions about a code repository by writing JavaScript that runs in a REPL.
The repository is NOT in this conversation. It is available only through the \`repo\` object in the REPL,
so you must look at it with code. Each turn, reply with one or more fenced blocks tagged \`js\`; they run in
order and you get back what they print.

## The REPL API
\`\`\`
${renderApiReference()}
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
  uses too much memory is stopped and the REPL restarts empty (you will be told).

## How to work
- Probe first: repo.tree(), repo.files() with globs, repo.grep() for identifiers, then repo.read() of the
  line ranges that matter. Filter with code (regex, map, filter) before reading or delegating.
${delegation}
- Verify before you answer: check claims against the code you read. Cite files as path:line or
  path:start-end, only for lines you actually read or grepped.
- Draft answer.content early and revise it as you learn more. When it is complete and checked, set
  answer.ready = true in the same or a later cell. The answer is what the user sees: make it direct,
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
  const answer = s.answerChars > 0 ? `draft of ${s.answerChars.toLocaleString('en-US')} characters, not ready` : 'empty';
  const line = `[turn ${s.iteration} of ${s.maxIterations} done · sub-calls used ${s.subCallsUsed} of ${s.maxSubCalls} · answer: ${answer}]`;
  return s.finalTurn ? `${line}\n${s.finalTurn}` : line;
}

export const FINAL_TURN_NOTICE =
  'This is your last turn. Set answer.content to your best answer from what you have found (say what is uncertain) and set answer.ready = true now.';

export const SUBCALL_BUDGET_NOTICE =
  'The sub-call budget is used up: llm() and rlm() will fail from now on. Finish with what you have: set answer.content and answer.ready = true.';

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
  const body = files.map((f) => `--- ${f.path} ---\n${f.text}`).join('\n\n');
  const note = omitted.length ? `\n\n(${omitted.length} more files did not fit and are not shown: ${omitted.slice(0, 20).join(', ')}${omitted.length > 20 ? ', …' : ''})` : '';
  return `${query}\n\nFiles:\n\n${body}${note}`;
}
