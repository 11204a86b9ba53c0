/**
 * The regex and the matched-line text shared by both grep engines. The JavaScript
 * `RegExp` is the final judge of every match, also of the lines ripgrep reports (its
 * Rust/PCRE2 dialect differs from JavaScript in corners), which is what keeps the two
 * engines' answers identical.
 */
import { RepoError } from './types';
import { describe } from './validate';
import { exponentialBacktracking } from './regexRisk';

/** Longest line text a match returns; longer lines show a window around the match. */
export const MAX_MATCH_CHARS = 300;
/** Characters kept before the match when a long line is windowed. */
export const MATCH_CONTEXT_BEFORE = 100;

export function compilePattern(pattern: unknown, ignoreCase: boolean): RegExp {
  if (typeof pattern !== 'string') {
    throw new RepoError(
      `grep() needs a regular expression source string, e.g. repo.grep("function\\\\s+main"); got ${describe(pattern)}.`,
    );
  }
  const risky = exponentialBacktracking(pattern);
  if (risky !== null) {
    throw new RepoError(
      `The pattern ${JSON.stringify(pattern)} repeats a group that itself repeats or alternates (${JSON.stringify(risky)}), which can take ` +
        'exponential time on some lines. Rewrite it without the nested repetition (e.g. "a+" for "(a+)+", "[ab]*" for "(a|b)*"), or run simpler greps.',
    );
  }
  try {
    return new RegExp(pattern, ignoreCase ? 'i' : '');
  } catch (err) {
    const hint = /^\/.*\/[a-z]*$/.test(pattern)
      ? ' Pass the source without slashes or flags, e.g. "foo\\\\d+" and { ignoreCase: true }.'
      : '';
    throw new RepoError(`Invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}.${hint}`);
  }
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
