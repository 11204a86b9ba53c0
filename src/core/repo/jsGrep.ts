/**
 * The pure-JavaScript grep: used when ripgrep is not available, fails to start, or
 * rejects the pattern. It visits the candidate files in listing order and stops at
 * `maxResults`, exactly the cut-off `rg --sort path` produces, so both engines return
 * the same matches. Files are read a few ahead of the one being searched, to overlap
 * I/O with matching. It reads through the source, so an overlaid file is searched in its
 * unsaved text.
 */
import type { GrepMatch } from './types';
import type { Snapshot } from './snapshot';
import { matchLineText } from './grepText';
import { decodeUtf8, scanLines, splitLines } from './lines';

const READ_AHEAD = 8;

export interface GrepRun {
  snapshot: Snapshot;
  /** Candidate files in listing order: already filtered by glob, scope, symlink and binary extension. */
  files: readonly string[];
  re: RegExp;
  maxResults: number;
}

type Loaded = Uint8Array | 'stream' | null;

export async function jsGrep(run: GrepRun): Promise<GrepMatch[]> {
  const { snapshot, files, re, maxResults } = run;
  const out: GrepMatch[] = [];

  const load = async (rel: string): Promise<Loaded> => {
    try {
      return (await snapshot.bytes(rel)) ?? 'stream';
    } catch {
      return null; // vanished or unreadable: nothing to find there
    }
  };

  const queue: Array<Promise<Loaded>> = [];
  let nextToLoad = 0;
  for (let i = 0; i < files.length && out.length < maxResults; i++) {
    while (queue.length < READ_AHEAD && nextToLoad < files.length) queue.push(load(files[nextToLoad++]));
    const rel = files[i];
    const content = await queue.shift()!;
    if (content === null) continue;
    if (content === 'stream') {
      if (await snapshot.isBinary(rel).catch(() => true)) continue;
      try {
        await scanLines(snapshot.source.stream(rel), (line, lineNo) => {
          const text = matchLineText(re, line);
          if (text !== null) out.push({ path: rel, line: lineNo, text });
          return out.length < maxResults;
        });
      } catch {
        // Read error part-way: keep what was found.
      }
      continue;
    }
    if (snapshot.noteBinary(rel, content)) continue;
    const lines = splitLines(decodeUtf8(content));
    for (let n = 0; n < lines.length && out.length < maxResults; n++) {
      const text = matchLineText(re, lines[n]);
      if (text !== null) out.push({ path: rel, line: n + 1, text });
    }
  }
  return out;
}
