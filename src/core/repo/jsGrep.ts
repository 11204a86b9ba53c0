/**
 * The pure-JavaScript grep: used when ripgrep is not available, fails to start, or
 * rejects the pattern. It visits the candidate files in listing order and stops at
 * `maxResults`, exactly the cut-off ripgrep's path-ordered search produces, so both
 * engines return the same matches. Files are read a few ahead of the one being searched,
 * to overlap I/O with matching. It reads through the source, so an overlaid file is
 * searched in its unsaved text.
 *
 * The host thread only reads: whole files go to the grep worker as bytes, which it splits
 * and matches there (lineJudge.ts); a file too big to hold is streamed and its lines go
 * over in batches.
 */
import type { GrepMatch } from './types';
import type { Snapshot } from './snapshot';
import type { LineJudge } from './lineJudge';
import { GrepStopped } from './lineJudge';
import { stripBom, stripCr } from './lines';

const READ_AHEAD = 8;

export interface JsGrepRun {
  snapshot: Snapshot;
  /** Candidate files in listing order: already filtered by glob, scope, symlink and binary extension. */
  files: readonly string[];
  judge: LineJudge;
  signal?: AbortSignal;
  /** Thrown when `signal` aborts. */
  cancelled(): Error;
}

type Loaded = Uint8Array | 'stream' | null;

export async function jsGrep(run: JsGrepRun): Promise<GrepMatch[]> {
  const { snapshot, files, judge, signal } = run;

  const load = async (rel: string): Promise<Loaded> => {
    try {
      return (await snapshot.bytes(rel)) ?? 'stream';
    } catch {
      return null; // vanished or unreadable: nothing to find there
    }
  };

  const queue: Array<Promise<Loaded>> = [];
  let nextToLoad = 0;
  try {
    for (let i = 0; i < files.length && !judge.done; i++) {
      if (signal?.aborted) throw run.cancelled();
      while (queue.length < READ_AHEAD && nextToLoad < files.length) queue.push(load(files[nextToLoad++]!));
      const rel = files[i]!;
      const content = await queue.shift()!;
      if (content === null) continue;
      if (content === 'stream') {
        if (await snapshot.isBinary(rel).catch(() => true)) continue;
        await streamLines(snapshot, rel, judge);
        continue;
      }
      if (snapshot.noteBinary(rel, content)) continue;
      const sent = judge.pushFile(rel, content);
      if (sent !== undefined) await sent;
    }
    if (signal?.aborted) throw run.cancelled();
    return await judge.finish();
  } finally {
    // Reads still ahead are dropped; their failures must not surface as unhandled.
    for (const pending of queue) void pending.catch(() => undefined);
  }
}

/**
 * The lines of a file too big to hold, streamed (numbered as lines.ts numbers them). A read
 * error part-way keeps what was found; the judge's own stop (deadline, cancel) propagates.
 */
async function streamLines(snapshot: Snapshot, rel: string, judge: LineJudge): Promise<void> {
  const stream = snapshot.source.stream(rel);
  let pending: Uint8Array[] = [];
  let lineNo = 0;
  const emit = async (parts: Uint8Array[]): Promise<boolean> => {
    lineNo++;
    let line = stripCr(Buffer.concat(parts).toString('utf8'));
    if (lineNo === 1) line = stripBom(line);
    const sent = judge.pushLine(rel, lineNo, line, false);
    if (sent !== undefined) await sent;
    return !judge.done;
  };
  try {
    for await (const raw of stream) {
      const chunk: Uint8Array = typeof raw === 'string' ? Buffer.from(raw) : raw;
      let from = 0;
      for (let nl = chunk.indexOf(10, from); nl !== -1; nl = chunk.indexOf(10, from)) {
        pending.push(chunk.subarray(from, nl));
        const go = await emit(pending);
        pending = [];
        from = nl + 1;
        if (!go) return;
      }
      if (from < chunk.length) pending.push(chunk.subarray(from));
    }
    if (pending.some((p) => p.length > 0)) await emit(pending);
  } catch (err) {
    if (err instanceof GrepStopped) throw err;
    // Read error part-way: keep what was found.
  } finally {
    stream.destroy();
  }
}
