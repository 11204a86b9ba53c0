/**
 * The pure-JavaScript grep: used when ripgrep is not available, fails to start, or
 * rejects the pattern. It visits the candidate files in listing order and stops at
 * `maxResults`, exactly the cut-off `rg --sort path` produces, so both engines return
 * the same matches. Files are read a few ahead of the one being searched, to overlap
 * I/O with matching.
 */
import type { GrepMatch } from './types';
import type { Snapshot } from './snapshot';
import { SNIFF_BYTES } from './binary';
import { matchLineText } from './grepText';
import { scanLines, splitLines } from './lines';

const READ_AHEAD = 8;

export interface GrepRun {
  snapshot: Snapshot;
  /** Candidate files in listing order: already filtered by glob, scope, symlink and binary extension. */
  files: readonly string[];
  re: RegExp;
  maxResults: number;
}

type Loaded = Buffer | 'stream' | null;

export async function jsGrep(run: GrepRun): Promise<GrepMatch[]> {
  const { snapshot, files, re, maxResults } = run;
  const out: GrepMatch[] = [];

  const load = async (rel: string): Promise<Loaded> => {
    try {
      const size = await snapshot.size(rel);
      if (size > snapshot.settings.maxReadBytes) return 'stream';
      return await snapshot.fs.readFile(snapshot.abs(rel));
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
        await scanLines(snapshot.fs.createReadStream(snapshot.abs(rel)), (line, lineNo) => {
          const text = matchLineText(re, line);
          if (text !== null) out.push({ path: rel, line: lineNo, text });
          return out.length < maxResults;
        });
      } catch {
        // Read error part-way: keep what was found.
      }
      continue;
    }
    if (snapshot.noteBinary(rel, content.subarray(0, SNIFF_BYTES))) continue;
    const lines = splitLines(content.toString('utf8'));
    for (let n = 0; n < lines.length && out.length < maxResults; n++) {
      const text = matchLineText(re, lines[n]);
      if (text !== null) out.push({ path: rel, line: n + 1, text });
    }
  }
  return out;
}
