/**
 * Grep patterns come from model-written code and run as JavaScript regexes on the host
 * thread, where a catastrophically backtracking pattern would block the editor. This
 * refuses the shapes that backtrack exponentially: an unbounded repetition of a group
 * that itself contains an unbounded repetition, e.g. (a+)+, or an alternation, e.g.
 * (?:.|.)*. It is a guard, not a proof: polynomial backtracking (\w*\w*\w*!) remains
 * possible on very long lines.
 */

interface Frame {
  start: number;
  /** An alternation directly inside this group. */
  alternates: boolean;
  /** An unbounded repetition anywhere inside this group. */
  repeats: boolean;
}

/** Length of an unbounded quantifier (*, +, {n,}, {n,m} with m > 16) at `i`, else 0. */
function unboundedQuantifier(source: string, i: number): number {
  const c = source[i];
  if (c === '*' || c === '+') return source[i + 1] === '?' ? 2 : 1;
  if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}\??/.exec(source.slice(i));
    if (m && m[2] !== undefined && (m[3] === '' || Number(m[3]) > 16)) return m[0].length;
  }
  return 0;
}

/** The offending part of the pattern, or null when no exponential shape was found. */
export function exponentialBacktracking(source: string): string | null {
  const stack: Frame[] = [{ start: 0, alternates: false, repeats: false }];
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      // Skip a character class: its ( | * are literal.
      i++;
      if (source[i] === '^') i++;
      if (source[i] === ']') i++;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      continue;
    }
    const top = stack[stack.length - 1]!;
    if (c === '(') stack.push({ start: i, alternates: false, repeats: false });
    else if (c === '|') top.alternates = true;
    else if (c === ')' && stack.length > 1) {
      const group = stack.pop()!;
      const q = unboundedQuantifier(source, i + 1);
      if (q > 0 && (group.alternates || group.repeats)) return source.slice(group.start, i + 1 + q);
      const parent = stack[stack.length - 1]!;
      if (group.repeats || q > 0) parent.repeats = true;
      i += q;
    } else if (unboundedQuantifier(source, i) > 0) top.repeats = true;
  }
  return null;
}
