/**
 * Finds the cells in a model reply: fenced blocks whose info string is `js`, `javascript`
 * or `repl`. Other fenced blocks are reported so the engine can tell the model why they
 * did not run.
 *
 * It runs on the host thread over text a hostile model chose, so it is a single scan: each
 * line is looked at a constant number of times, with no regular expression that could
 * backtrack (a fence line of 200,000 backticks or spaces costs what its length costs). The
 * engine also refuses replies over MAX_REPLY_CHARS before they get here.
 */

export const RUNNABLE_LANGUAGES = ['js', 'javascript', 'repl'] as const;

/** The longest reply the engine parses, in characters; a longer one runs nothing. */
export const MAX_REPLY_CHARS = 200_000;
/** Cells of one reply that run; the rest are not run, and the model is told. */
export const MAX_CELLS_PER_REPLY = 20;

export interface CodeBlock {
  language: string;
  code: string;
  /** 1-based line of the opening fence in the reply. */
  line: number;
}

export interface ParsedReply {
  cells: CodeBlock[];
  /** Fenced blocks in other languages (not run). */
  otherBlocks: CodeBlock[];
  /** The reply ended inside an open fence: probably cut off by an output-token limit. */
  unclosed: CodeBlock | null;
}

interface Fence {
  char: string;
  length: number;
  language: string;
}

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 11 || c === 12 || c === 13 || c === 0xa0 || c === 0xfeff;

/** An opening fence: up to 3 spaces, 3 or more backticks or tildes, an info string without backticks. */
function openingFence(line: string): Fence | null {
  let i = 0;
  while (i < line.length && i < 4 && line.charCodeAt(i) === 32) i++;
  if (i > 3) return null;
  const char = line[i];
  if (char !== '`' && char !== '~') return null;
  let j = i;
  while (j < line.length && line[j] === char) j++;
  if (j - i < 3) return null;
  if (line.indexOf('`', j) >= 0) return null;
  let start = j;
  while (start < line.length && isSpace(line.charCodeAt(start))) start++;
  let end = start;
  while (end < line.length && !isSpace(line.charCodeAt(end))) end++;
  return { char, length: j - i, language: line.slice(start, end).toLowerCase() };
}

/** A closing fence for `open`: the line, trimmed, is only its character, at least as many. */
function closes(line: string, open: Fence): boolean {
  let start = 0;
  let end = line.length;
  while (start < end && isSpace(line.charCodeAt(start))) start++;
  while (end > start && isSpace(line.charCodeAt(end - 1))) end--;
  if (end - start < open.length) return false;
  for (let i = start; i < end; i++) if (line[i] !== open.char) return false;
  return true;
}

export function parseReply(reply: string): ParsedReply {
  const lines = reply.split('\n');
  const cells: CodeBlock[] = [];
  const otherBlocks: CodeBlock[] = [];
  let open: (Fence & { line: number; body: string[] }) | null = null;

  for (let i = 0; i < lines.length; i++) {
    let text = lines[i]!;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (!open) {
      const fence = openingFence(text);
      if (fence) open = { ...fence, line: i + 1, body: [] };
      continue;
    }
    if (closes(text, open)) {
      const block = { language: open.language, code: open.body.join('\n'), line: open.line };
      (isRunnable(block.language) ? cells : otherBlocks).push(block);
      open = null;
      continue;
    }
    open.body.push(text);
  }
  const unclosed = open ? { language: open.language, code: open.body.join('\n'), line: open.line } : null;
  return { cells, otherBlocks, unclosed };
}

export function isRunnable(language: string): boolean {
  return (RUNNABLE_LANGUAGES as readonly string[]).includes(language);
}
