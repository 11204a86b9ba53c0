/**
 * Finds the cells in a model reply: fenced blocks whose info string is `js`, `javascript`
 * or `repl`. Other fenced blocks are reported so the engine can tell the model why they
 * did not run.
 */

export const RUNNABLE_LANGUAGES = ['js', 'javascript', 'repl'] as const;

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

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)[^`]*$/;

export function parseReply(reply: string): ParsedReply {
  const lines = reply.split(/\r?\n/);
  const cells: CodeBlock[] = [];
  const otherBlocks: CodeBlock[] = [];
  let open: { fence: string; language: string; line: number; body: string[] } | null = null;

  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    if (!open) {
      const m = FENCE.exec(text);
      if (m) open = { fence: m[1]!, language: m[2]!.toLowerCase(), line: i + 1, body: [] };
      continue;
    }
    const trimmed = text.trim();
    if (trimmed.startsWith(open.fence[0]!.repeat(open.fence.length)) && /^(`{3,}|~{3,})$/.test(trimmed)) {
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
