/**
 * grep through the source's fast search (ripgrep), when it has one.
 *
 * The search engine only proposes lines; this decides. Every line it reports is checked
 * against the same candidate list (listing, scope, glob, no symbolic links, no binary
 * extension), the same binary test and the same JavaScript regex the pure-JS grep
 * applies, so both engines return exactly the same matches. Lines the engine cut short
 * are decided from their start when that is enough (grepText.windowFromPreview), else
 * re-read from the source.
 */
import type { GrepMatch } from './types';
import type { GrepRun } from './jsGrep';
import type { SearchOutcome, SearchQuery, SourceSearch } from './source';
import { matchLineText, windowFromPreview } from './grepText';
import { decodeUtf8, splitLines, stripBom } from './lines';

export interface SourceGrepRun extends GrepRun {
  search: SourceSearch;
  query: SearchQuery;
}

/** The matches, or the outcome explaining why the search could not give them. */
export async function sourceGrep(run: SourceGrepRun): Promise<GrepMatch[] | Extract<SearchOutcome, { ok: false }>> {
  const { snapshot, re, maxResults } = run;
  const candidates = new Set(run.files);
  const out: GrepMatch[] = [];

  const fileLines = new Map<string, Promise<string[] | null>>();

  // The whole of a line the engine cut short: from the file read once, or streamed to it.
  const fullLine = async (rel: string, lineNo: number): Promise<string | null> => {
    let lines = fileLines.get(rel);
    if (lines === undefined) {
      lines = snapshot.bytes(rel).then((b) => (b === null ? null : splitLines(decodeUtf8(b))));
      fileLines.set(rel, lines);
    }
    const all = await lines;
    if (all !== null) return all[lineNo - 1] ?? null;
    let found: string | null = null;
    await snapshot.scan(rel, (line, n) => {
      if (n === lineNo) found = line;
      return n < lineNo;
    });
    return found;
  };

  const outcome = await run.search(run.query, async (record) => {
    if (!candidates.has(record.path)) return true;
    try {
      if (await snapshot.isBinary(record.path)) return true;
      let line: string | null = record.line === 1 ? stripBom(record.text) : record.text;
      if (record.cut) line = windowFromPreview(re, line) ?? (await fullLine(record.path, record.line));
      if (line === null) return true;
      const text = matchLineText(re, line);
      if (text !== null) out.push({ path: record.path, line: record.line, text });
    } catch {
      // The file changed or vanished under us; skip the line.
    }
    return out.length < maxResults;
  });
  return outcome.ok ? out : outcome;
}
