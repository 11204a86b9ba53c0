/**
 * grep through the source's fast search (ripgrep), when it has one.
 *
 * The search engine only proposes lines; this decides. Every line it reports is checked
 * against the same candidate list (listing, scope, glob, no symbolic links, no binary
 * extension), the same binary test and the same JavaScript regex (in the grep worker,
 * lineJudge.ts) the pure-JS grep applies, so both engines return exactly the same
 * matches. Lines the engine cut short are decided from their start when that is enough
 * (grepText.windowFromPreview), else re-read from the source.
 *
 * Parallel and still deterministic: a search in path order stops at the first
 * `maxResults` matches, but is one thread; a parallel search is fast but finishes files in
 * any order. So a big candidate list is cut into consecutive parts (partitions.ts), one
 * path-ordered search each, run at once (as many as ripgrep.ts lets run). The first k
 * matches of the whole are the first k of the concatenation of each part's first k, so
 *   - each part stops at its own k-th match;
 *   - as soon as parts 0..j hold k matches between them, every part after j is stopped
 *     (its rg killed): none of its matches can be among the first k.
 * A pattern with few matches gets every core; a common one stops almost at once, as a
 * single ordered search would.
 */
import type { GrepMatch } from './types';
import type { Snapshot } from './snapshot';
import type { SearchOutcome, SearchQuery, SourceSearch } from './source';
import type { SearchPartition } from './partitions';
import { GrepStopped, type LineJudge, type WholeLines } from './lineJudge';
import { backtrackingAdvice } from './regexRisk';
import { ripgrepLimits } from './ripgrep';
import { stripBom } from './lines';
import { Slots } from './slots';

/** Binary sniffs (an 8 KiB read each) running at once, over every grep of the process. */
const sniffs = new Slots(32);

export interface SourceGrepRun {
  search: SourceSearch;
  snapshot: Snapshot;
  /** Candidate files in listing order. */
  files: readonly string[];
  /** Position of each candidate in `files`. */
  index: ReadonlyMap<string, number>;
  /** The query, but for the parts (`under`) and the signal, which this sets. */
  query: Omit<SearchQuery, 'under' | 'signal'>;
  /** Consecutive parts searched at once, or null for one search of everything. */
  partitions: readonly SearchPartition[] | null;
  maxResults: number;
  /** A judge for one part, with the given re-reader of cut lines. */
  judge(wholeLines: (path: string, lines: readonly number[]) => Promise<WholeLines | null>, onProgress: () => void): LineJudge;
  /** The grep's cancellation. */
  signal?: AbortSignal;
}

interface Part {
  under: readonly string[] | null;
  lo: number;
  hi: number;
  /** Kills this part's rg: set when the part can no longer contribute, or the grep ends. */
  readonly stop: AbortController;
  judge: LineJudge | null;
  outcome: SearchOutcome | null;
  /** The engine's own failure, when it was not stopped. */
  failed: Extract<SearchOutcome, { ok: false }> | null;
  error: unknown;
}

/** The matches (at most maxResults, in path order), or the outcome explaining why the search could not give them. */
export async function sourceGrep(run: SourceGrepRun): Promise<GrepMatch[] | Extract<SearchOutcome, { ok: false }>> {
  const k = run.maxResults;
  const parts: Part[] = (run.partitions ?? [{ under: null, lo: 0, hi: run.files.length }]).map((p) => ({
    under: p.under ?? null,
    lo: p.lo,
    hi: p.hi,
    stop: new AbortController(),
    judge: null,
    outcome: null,
    failed: null,
    error: null,
  }));
  const stopAll = (): void => parts.forEach((p) => p.stop.abort());
  run.signal?.addEventListener('abort', stopAll, { once: true });
  // Cancelled while it waited to get here (for the listing, a glob's selection): a listener
  // added now would never fire, and the parts' rg would run to their time limit.
  if (run.signal?.aborted) stopAll();

  // Stops every part after the first j whose matches already make k.
  const cutOff = (): void => {
    let sum = 0;
    for (let j = 0; j < parts.length; j++) {
      sum += parts[j]!.judge?.matches.length ?? 0;
      if (sum >= k) {
        for (let m = j + 1; m < parts.length; m++) parts[m]!.stop.abort();
        return;
      }
    }
  };

  const searchPart = async (part: Part): Promise<void> => {
    const judge = run.judge(wholeLines(run.snapshot), cutOff);
    part.judge = judge;
    let lastPath: string | null = null;
    let lastBinary: () => Promise<boolean> = () => Promise.resolve(false);
    try {
      part.outcome = await run.search({ ...run.query, under: part.under, signal: part.stop.signal }, async (record) => {
        const i = run.index.get(record.path);
        // Outside this part: a source may walk more than it was asked to.
        if (i === undefined || i < part.lo || i >= part.hi) return true;
        if (record.path !== lastPath) {
          lastPath = record.path;
          // Sniffed for binary content at once, while rg goes on (a few files at a time,
          // over all greps); a file that vanished or changed under us counts as binary:
          // its lines are skipped.
          const sniff = sniffs.run(() => run.snapshot.isBinary(record.path).catch(() => true));
          lastBinary = () => sniff;
        }
        const text = record.line === 1 ? stripBom(record.text) : record.text;
        const sent = judge.pushLine(record.path, record.line, text, record.cut, lastBinary);
        if (sent !== undefined) await sent;
        return !judge.done && !part.stop.signal.aborted;
      });
      // The judge's own stop (deadline, budget) ended the search: that is the answer.
      if (judge.failure !== null) throw judge.failure;
      // The engine failed by itself (not stopped by us): the JavaScript grep answers instead.
      if (!part.outcome.ok && !part.stop.signal.aborted) part.failed = part.outcome;
      // A part stopped because earlier ones already hold the first k needs no more judging.
      if (part.stop.signal.aborted && !run.signal?.aborted) return;
      if (part.outcome.ok) await judge.finish();
    } catch (err) {
      part.error = err;
    }
    if (part.error !== null || part.failed !== null) stopAll();
  };

  try {
    await Promise.all(parts.map(searchPart));
  } finally {
    run.signal?.removeEventListener('abort', stopAll);
  }
  // The first failure in part order: the judge's (deadline, budget) is thrown; the
  // engine's (rg missing, pattern refused) is returned, for the JavaScript grep to answer.
  for (const part of parts) {
    if (part.error !== null) throw part.error;
    if (part.failed?.tooSlow === true) throw tooSlowError(run.query.pattern);
    if (part.failed !== null) return part.failed;
  }
  const out: GrepMatch[] = [];
  for (const part of parts) {
    for (const m of part.judge?.matches ?? []) {
      if (out.length >= k) break;
      out.push(m);
    }
  }
  return out;
}

/**
 * The whole of the lines the engine cut short, for the judge: the file's bytes (the worker
 * finds the lines in them: a minified bundle of megabytes is neither decoded nor split on
 * this thread), or, for a file too big to hold, the lines themselves, streamed to.
 */
function wholeLines(snapshot: Snapshot): (rel: string, lines: readonly number[]) => Promise<WholeLines | null> {
  return async (rel, lines) => {
    const bytes = await snapshot.bytes(rel).catch(() => null);
    if (bytes !== null) return { bytes };
    const wanted = new Set(lines);
    const last = Math.max(...lines);
    const found = new Map<number, string>();
    await snapshot.scan(rel, (line, n) => {
      if (wanted.has(n)) found.set(n, line);
      return n < last;
    });
    return { texts: lines.map((n) => found.get(n) ?? null) };
  };
}

/** The grep's end when rg ran past its time limit (ripgrep.ts: ripgrepLimits). */
function tooSlowError(pattern: string): GrepStopped {
  const p = JSON.stringify(pattern.length > 200 ? `${pattern.slice(0, 200)}…` : pattern);
  return new GrepStopped(
    `repo.grep(${p}) was stopped: ripgrep searched for more than ${Number((ripgrepLimits.wallMs / 1000).toFixed(1))} s. ` +
      'Back-references and look-arounds make it try every split of every line; narrow the search with a glob, or grep for literal text ' +
      `and check the matched lines in JavaScript. ${backtrackingAdvice(pattern)} The next grep runs normally.`,
  );
}
