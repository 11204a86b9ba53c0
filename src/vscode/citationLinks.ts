/**
 * Turns the answer's mentions of files into citations a user can click, for what the run
 * actually read, and only for that: a mention of a file the run never opened stays plain
 * text, so a link always leads to code the answer was based on.
 *
 * The model cites as `path:line`, `path:start-end`, `path#L10` or a bare path, often in
 * backticks, sometimes as a Markdown link. Mentions inside fenced code blocks are left
 * alone. Pure, so it is unit-tested; the chat view turns `cite` segments into anchors.
 */
import type { Citation } from '../core/engine/citations';

export interface LineRange {
  start: number;
  end: number;
}

export type AnswerSegment =
  | { kind: 'text'; text: string }
  /** A mention of a file the run read; `range` is the lines named, when the run read them. */
  | { kind: 'cite'; path: string; range: LineRange | null; label: string };

/** A path-like token with an optional line or line range after it. */
const MENTION = /(?<![\w/.-])((?:[\w@+-][\w@+.-]*\/)*[\w@+-][\w@+.-]*\.[A-Za-z0-9]{1,10}|(?:[\w@+-][\w@+.-]*\/)+[\w@+-][\w@+.-]*)(?:(?::L?|#L)(\d+)(?:-L?(\d+))?)?/g;
/** `inline code` that is nothing but a mention. */
const INLINE_CODE = /`([^`\n]+)`/g;
/** [text](target) with a relative target (no scheme). */
const MD_LINK = /\[([^\]\n]+)\]\((?![a-z][a-z0-9+.-]*:)([^)\s]+)\)/gi;

export function linkCitations(answer: string, citations: readonly Citation[]): AnswerSegment[] {
  const read = new Map(citations.map((c) => [c.path, c]));
  const bySuffix = suffixIndex(citations);
  const out: AnswerSegment[] = [];
  for (const block of splitFences(answer)) {
    if (block.code) push(out, { kind: 'text', text: block.text });
    else linkProse(block.text, read, bySuffix, out);
  }
  return out;
}

/** The text with fenced code blocks (``` or ~~~) marked, so nothing inside them is touched. */
function splitFences(text: string): Array<{ text: string; code: boolean }> {
  const parts: Array<{ text: string; code: boolean }> = [];
  const lines = text.split(/(?<=\n)/);
  let buffer = '';
  let fence: string | null = null;
  for (const line of lines) {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === null && m) {
      if (buffer) parts.push({ text: buffer, code: false });
      buffer = line;
      fence = m[1]!;
    } else if (fence !== null && m && m[1]!.startsWith(fence[0]!) && m[1]!.length >= fence.length && line.trim() === m[1]) {
      parts.push({ text: buffer + line, code: true });
      buffer = '';
      fence = null;
    } else {
      buffer += line;
    }
  }
  if (buffer) parts.push({ text: buffer, code: fence !== null });
  return parts;
}

function linkProse(text: string, read: Map<string, Citation>, bySuffix: Map<string, string | null>, out: AnswerSegment[]): void {
  // Markdown links first (their text and target), then inline code, then bare mentions.
  const pieces: Array<{ start: number; end: number; segment: AnswerSegment[] }> = [];
  for (const m of text.matchAll(MD_LINK)) {
    const target = resolveMention(m[2]!.replace(/^\.\//, ''), read, bySuffix);
    pieces.push({ start: m.index!, end: m.index! + m[0].length, segment: target ? [target] : [{ kind: 'text', text: `${m[1]} (${m[2]})` }] });
  }
  for (const m of text.matchAll(INLINE_CODE)) {
    if (overlaps(pieces, m.index!, m.index! + m[0].length)) continue;
    const whole = new RegExp(`^${MENTION.source}$`).exec(m[1]!.trim());
    const target = whole ? resolveMention(m[1]!.trim(), read, bySuffix) : null;
    if (target) pieces.push({ start: m.index!, end: m.index! + m[0].length, segment: [target] });
    else pieces.push({ start: m.index!, end: m.index! + m[0].length, segment: [{ kind: 'text', text: m[0] }] });
  }
  for (const m of text.matchAll(MENTION)) {
    if (overlaps(pieces, m.index!, m.index! + m[0].length)) continue;
    const target = resolveMention(m[0], read, bySuffix);
    if (target) pieces.push({ start: m.index!, end: m.index! + m[0].length, segment: [target] });
  }
  pieces.sort((a, b) => a.start - b.start);
  let at = 0;
  for (const p of pieces) {
    if (p.start > at) push(out, { kind: 'text', text: text.slice(at, p.start) });
    for (const s of p.segment) push(out, s);
    at = p.end;
  }
  if (at < text.length) push(out, { kind: 'text', text: text.slice(at) });
}

function overlaps(pieces: Array<{ start: number; end: number }>, start: number, end: number): boolean {
  return pieces.some((p) => start < p.end && end > p.start);
}

/** A cite segment for `mention` when it names a file the run read; null otherwise. */
function resolveMention(mention: string, read: Map<string, Citation>, bySuffix: Map<string, string | null>): AnswerSegment | null {
  const m = new RegExp(`^${MENTION.source}$`).exec(mention);
  if (!m) return null;
  const named = m[1]!.replace(/^\.\//, '');
  const path = read.has(named) ? named : (bySuffix.get(named) ?? null);
  if (path === null) return null;
  const citation = read.get(path)!;
  let range: LineRange | null = null;
  if (m[2] !== undefined) {
    const start = Number(m[2]);
    const end = m[3] !== undefined ? Math.max(start, Number(m[3])) : start;
    // Link the lines named only where the run read them; otherwise the file itself.
    if (citation.ranges.some((r) => start <= r.end && end >= r.start)) range = { start, end };
  }
  return { kind: 'cite', path, range, label: mention };
}

/** Path suffixes ("config.ts", "util/env.ts") that name exactly one file read; null when ambiguous. */
function suffixIndex(citations: readonly Citation[]): Map<string, string | null> {
  const index = new Map<string, string | null>();
  for (const c of citations) {
    const parts = c.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const suffix = parts.slice(i).join('/');
      index.set(suffix, index.has(suffix) && index.get(suffix) !== c.path ? null : c.path);
    }
  }
  return index;
}

function push(out: AnswerSegment[], s: AnswerSegment): void {
  const last = out.at(-1);
  if (s.kind === 'text' && last?.kind === 'text') last.text += s.text;
  else if (s.kind !== 'text' || s.text) out.push(s.kind === 'text' ? { ...s } : s);
}
