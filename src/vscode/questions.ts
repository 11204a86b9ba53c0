/**
 * The questions the extension asks on the user's behalf (Summarize Folder, Explain), and the
 * follow-ups it suggests. They are ordinary questions to the engine: what makes a good summary
 * or explanation is said here, once, for the chat commands and the editor commands alike.
 */

export function summarizeQuestion(target: string | null): string {
  const what = target ? `the folder \`${target}\`` : 'the whole workspace';
  return (
    `Summarize ${what} for a developer new to it. Cover: its structure (the main parts and what each is for), ` +
    'the entry points (where execution starts, public APIs, commands), how data flows between the parts, ' +
    'and anything unusual a newcomer should know. Use Markdown headings, keep it to about a page, and cite files as path:line for every claim.'
  );
}

export interface ExplainTarget {
  /** Workspace-relative path of the file. */
  path: string;
  /** The symbol's name, when a symbol (function, class...) is explained. */
  symbol?: string;
  kind?: string;
  /** 1-based lines of the symbol or selection. */
  startLine?: number;
  endLine?: number;
}

export function explainQuestion(t: ExplainTarget, extra = ''): string {
  const where = t.startLine ? `${t.path}:${t.startLine}${t.endLine && t.endLine !== t.startLine ? `-${t.endLine}` : ''}` : t.path;
  const subject = t.symbol ? `the ${t.kind ? `${t.kind.toLowerCase()} ` : ''}\`${t.symbol}\` at ${where}` : t.startLine ? `the code at ${where}` : `the file ${t.path}`;
  return (
    `Explain ${subject}: what it does and why, its inputs and outputs, what it calls, and where it is used across the repository ` +
    `(every call site you can find, with path:line). Point out anything surprising or risky.${extra ? ` ${extra}` : ''}`
  );
}

/** Two or three follow-ups after an answer, built from what the run read. */
export function suggestFollowUps(query: string, citedPaths: readonly string[]): Array<{ prompt: string; label: string }> {
  const out: Array<{ prompt: string; label: string }> = [];
  const top = citedPaths[0];
  if (top) out.push({ prompt: `/explain ${top}`, label: `Explain ${top}` });
  if (!/test/i.test(query)) out.push({ prompt: 'Where is this tested, and what is not covered?', label: 'Where is this tested?' });
  const dirs = [...new Set(citedPaths.map((p) => p.split('/').slice(0, -1).join('/')).filter(Boolean))];
  if (dirs[0]) out.push({ prompt: `/summarize ${dirs[0]}`, label: `Summarize ${dirs[0]}` });
  return out.slice(0, 3);
}
