/**
 * The regex and the matched-line text shared by both grep engines. The JavaScript
 * `RegExp` is the final judge of every match, also of the lines ripgrep reports (its
 * Rust/PCRE2 dialect differs from JavaScript in corners), which is what keeps the two
 * engines' answers identical.
 */
import { RepoError } from './types';
import { exponentialBacktracking } from './regexRisk';

/** Longest line text a match returns; longer lines show a window around the match. */
export const MAX_MATCH_CHARS = 300;
/** Characters kept before the match when a long line is windowed. */
export const MATCH_CONTEXT_BEFORE = 100;

/**
 * Refuses, before anything runs, the shapes known to backtrack exponentially, with advice.
 * This is advice for the model, not the host's safety: patterns only ever run in the grep
 * worker, under a deadline (grepWorkerPool.ts), whatever they look like.
 */
export function refuseRiskyPattern(pattern: string): void {
  const risky = exponentialBacktracking(pattern);
  if (risky !== null) {
    throw new RepoError(
      `The pattern ${JSON.stringify(pattern)} repeats a group that itself repeats or alternates (${JSON.stringify(risky)}), which can take ` +
        'exponential time on some lines. Rewrite it without the nested repetition (e.g. "a+" for "(a+)+", "[ab]*" for "(a|b)*"), or run simpler greps.',
    );
  }
}

/** The message for a pattern the JavaScript regex parser refused with `reason`. */
export function invalidPatternMessage(pattern: string, reason: string): string {
  // Linear: one anchored scan for the slashes of a regex literal.
  const literal = pattern.length >= 2 && pattern.startsWith('/') && /\/[a-z]*$/.test(pattern.slice(1));
  const hint = literal ? ' Pass the source without slashes or flags, e.g. "foo\\\\d+" and { ignoreCase: true }.' : '';
  return `Invalid regular expression ${JSON.stringify(pattern)}: ${reason}.${hint}`;
}

/** The guest's regex, compiled (in the grep worker: never on the host thread). */
export function compileRegex(pattern: string, flags: string): RegExp {
  return new RegExp(pattern, flags);
}

/**
 * Tests one line (already without its terminator) and returns the text a match shows,
 * or null when the line does not match.
 */
export function matchLineText(re: RegExp, line: string): string | null {
  const m = re.exec(line);
  if (m === null) return null;
  if (line.length <= MAX_MATCH_CHARS) return line;
  // Minified files have lines of megabytes; show the part around the match.
  const start = Math.max(0, Math.min(m.index - MATCH_CONTEXT_BEFORE, line.length - MAX_MATCH_CHARS));
  const end = start + MAX_MATCH_CHARS;
  return `${start > 0 ? '…' : ''}${line.slice(start, end)}${end < line.length ? '…' : ''}`;
}

/** Room a match must leave before the end of a cut line's preview, so the cut cannot change it. */
const PREVIEW_MARGIN = 64;

/**
 * The text a long line shows when the start of it that a search engine returned (its
 * `preview`, e.g. rg's first --max-columns bytes) already decides it: the JavaScript regex
 * matches early enough that the window starts at column 0 and ends well inside the
 * preview. Then the file need not be read again, which in `npm run bench` was most of
 * repo.grep's cost on minified files. Null when unsure.
 */
export function windowFromPreview(re: RegExp, preview: string): string | null {
  if (preview.length < MAX_MATCH_CHARS + PREVIEW_MARGIN) return null; // too short to decide
  const m = re.exec(preview);
  // A match starting within the first MATCH_CONTEXT_BEFORE characters gives the window
  // [0, 300) whichever early match the full line yields, so the cut cannot change it.
  if (m === null || m.index > MATCH_CONTEXT_BEFORE || m.index + m[0].length + PREVIEW_MARGIN > preview.length) return null;
  return `${preview.slice(0, MAX_MATCH_CHARS)}…`;
}

/**
 * Line `lineNo` of a file's bytes as lines.ts numbers lines ("\n" ends a line, a "\r"
 * before it is dropped, a BOM is not part of line 1), found by scanning for newlines on
 * from `cursor` (which it advances); only that line is decoded. Null past the end.
 */
export function lineAt(bytes: Buffer, lineNo: number, cursor: { line: number; offset: number }): string | null {
  let at = cursor.offset;
  for (let line = cursor.line; line < lineNo; line++) {
    const nl = bytes.indexOf(10, at);
    if (nl < 0) return null;
    at = nl + 1;
  }
  cursor.line = lineNo;
  cursor.offset = at;
  if (at >= bytes.length) return null;
  const nl = bytes.indexOf(10, at);
  let text = bytes.toString('utf8', at, nl < 0 ? bytes.length : nl);
  if (lineNo === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
