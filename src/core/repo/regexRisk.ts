/**
 * Advice about grep patterns that backtrack. Grep patterns come from model-written code;
 * they run in the grep worker under a deadline (grepWorkerPool.ts), so none of this is the
 * host's safety. It is what the model is told:
 *   - `exponentialBacktracking` finds the shapes that backtrack exponentially (an
 *     unbounded repetition of a group that itself contains an unbounded repetition, e.g.
 *     (a+)+, or an alternation, e.g. (?:.|.)*); grep refuses them at once with a rewrite,
 *     rather than after the deadline;
 *   - `backtrackingAdvice` says, when a pattern was stopped by the deadline, which part of
 *     it is the likely cause and how to simplify it.
 * Both scan the pattern once (linear time: the pattern itself is guest input).
 */

interface Frame {
  start: number;
  /** An alternation directly inside this group. */
  alternates: boolean;
  /** An unbounded repetition anywhere inside this group. */
  repeats: boolean;
  /** Any repetition (bounded ones too) anywhere inside this group. */
  quantified: boolean;
}

const BRACES = /\{(\d+)(,(\d*))?\}\??/y;

/** Length of the quantifier at `i` and whether it is unbounded (*, +, {n,}, {n,m} with m > 16); length 0 when none. */
function quantifierAt(source: string, i: number): { length: number; unbounded: boolean; lazy: boolean; count: number } {
  const c = source[i];
  if (c === '*' || c === '+' || c === '?') {
    const lazy = source[i + 1] === '?';
    return { length: lazy ? 2 : 1, unbounded: c !== '?', lazy, count: c === '?' ? 1 : Infinity };
  }
  if (c === '{') {
    BRACES.lastIndex = i;
    const m = BRACES.exec(source);
    if (m) {
      const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
      return { length: m[0].length, unbounded: m[2] !== undefined && (m[3] === '' || Number(m[3]) > 16), lazy: m[0].endsWith('?'), count: max };
    }
  }
  return { length: 0, unbounded: false, lazy: false, count: 0 };
}

/**
 * Index just past the character class starting at `i` (a "["). In JavaScript a "]" right
 * after "[" or "[^" closes the class: "[]" matches nothing, "[^]" any character.
 */
function skipClass(source: string, i: number): number {
  i++;
  if (source[i] === '^') i++;
  while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** The offending part of the pattern, or null when no exponential shape was found. */
export function exponentialBacktracking(source: string): string | null {
  const stack: Frame[] = [{ start: 0, alternates: false, repeats: false, quantified: false }];
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      // A character class: its ( | * are literal.
      i = skipClass(source, i) - 1;
      continue;
    }
    const top = stack[stack.length - 1]!;
    if (c === '(') stack.push({ start: i, alternates: false, repeats: false, quantified: false });
    else if (c === '|') top.alternates = true;
    else if (c === ')' && stack.length > 1) {
      const group = stack.pop()!;
      const q = quantifierAt(source, i + 1);
      if (q.unbounded && (group.alternates || group.repeats)) return source.slice(group.start, i + 1 + q.length);
      const parent = stack[stack.length - 1]!;
      if (group.repeats || q.unbounded) parent.repeats = true;
      i += q.length;
    } else if (quantifierAt(source, i).unbounded) top.repeats = true;
  }
  return null;
}

/**
 * One or two sentences on why `source` may backtrack and how to simplify it, for the
 * message of a grep its deadline stopped. Looks for: a repeated group that itself repeats
 * or alternates (under any count, `{n}` too), several unbounded repetitions in a row,
 * back-references, lazy repetitions; else general advice.
 */
export function backtrackingAdvice(source: string): string {
  const found: string[] = [];
  const stack: Frame[] = [{ start: 0, alternates: false, repeats: false, quantified: false }];
  let nested: string | null = null;
  let backref: string | null = null;
  let lazy: string | null = null;
  // The current run of consecutive unboundedly repeated items at the top level of a group.
  let runStart = -1;
  let runLength = 0;
  let run: string | null = null;
  const item = (start: number, end: number, unbounded: boolean): void => {
    if (unbounded) {
      if (runLength === 0) runStart = start;
      runLength++;
      if (runLength >= 2 && run === null) run = source.slice(runStart, end);
    } else {
      runLength = 0;
    }
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    const top = stack[stack.length - 1]!;
    if (c === '(') {
      stack.push({ start: i, alternates: false, repeats: false, quantified: false });
      runLength = 0;
      // Skip the group's prefix ((?:, (?=, (?<name>) so that it is not read as items.
      if (source[i + 1] === '?') {
        if (source[i + 2] === '<' && source[i + 3] !== '=' && source[i + 3] !== '!') {
          const close = source.slice(i + 3, i + 67).indexOf('>'); // names are short; keeps the scan linear
          i = close < 0 ? i + 2 : i + 3 + close;
        } else i += 2;
      }
      continue;
    }
    if (c === '|') {
      top.alternates = true;
      runLength = 0;
      continue;
    }
    if (c === ')' && stack.length > 1) {
      const group = stack.pop()!;
      const q = quantifierAt(source, i + 1);
      const repeated = q.length > 0 && q.count > 1;
      if (repeated && (group.alternates || group.quantified) && nested === null) nested = source.slice(group.start, i + 1 + q.length);
      if (q.lazy && lazy === null) lazy = source.slice(group.start, i + 1 + q.length);
      const parent = stack[stack.length - 1]!;
      if (group.quantified || q.length > 0) parent.quantified = true;
      if (group.repeats || q.unbounded) parent.repeats = true;
      item(group.start, i + 1 + q.length, q.unbounded);
      i += q.length;
      continue;
    }
    // An atom: an escape, a class, or one character.
    const start = i;
    if (c === '\\') {
      const d = source[i + 1];
      if (d !== undefined && ((d >= '1' && d <= '9') || (d === 'k' && source[i + 2] === '<'))) {
        const m = /^\\(?:[1-9]\d*|k<[^>]*>)/.exec(source.slice(i, i + 40));
        if (backref === null) backref = m ? m[0] : source.slice(i, i + 2);
      }
      i++;
    } else if (c === '[') {
      i = skipClass(source, i) - 1;
    } else if (c === '^' || c === '$') {
      runLength = 0;
      continue;
    }
    const q = quantifierAt(source, i + 1);
    if (q.length > 0) top.quantified = true;
    if (q.unbounded) top.repeats = true;
    if (q.lazy && lazy === null) lazy = source.slice(start, i + 1 + q.length);
    item(start, i + 1 + q.length, q.unbounded);
    i += q.length;
  }
  if (nested !== null) {
    found.push(
      `It repeats a group that itself repeats or alternates (${JSON.stringify(nested)}): write the repetition once, e.g. "(?:ab)+" for "((ab)+){3}", "a{3,}" for "(a+){3}", or a character class "[ab]*" for "(a|b)*".`,
    );
  }
  if (run !== null) {
    found.push(
      `It has several repetitions in a row that can match the same characters (${JSON.stringify(run)}): merge them into one (e.g. "\\\\w*" for "\\\\w*\\\\w*"), or put literal text between them.`,
    );
  }
  if (backref !== null) {
    found.push(
      `Its back-reference (${JSON.stringify(backref)}) makes every earlier split be retried: grep for literal text instead, or for a simpler pattern and check the matched lines in JavaScript.`,
    );
  }
  if (lazy !== null && found.length < 2) {
    found.push(`Its lazy repetition (${JSON.stringify(lazy)}) is retried at every position of a long line: anchor the pattern or use a character class such as "[^\\"]*".`);
  }
  if (found.length === 0) {
    found.push(
      'Simplify it: literal text, one repetition per run of characters, anchors (^, \\\\b) and classes such as "[^\\"]*" instead of ".*"; or grep for a distinctive literal and filter the lines in JavaScript.',
    );
  }
  return found.slice(0, 2).join(' ');
}
