/**
 * The grep worker: the one thread where guest-chosen regexes and globs are compiled and
 * run (bundled as dist/grep-worker.js; started by grepWorkerPool.ts). A pattern that
 * backtracks for minutes only ever blocks this thread, and the host, which watches every
 * request with a deadline, terminates it and starts another. It holds no state but a small
 * cache of compiled patterns, so a replacement picks up where the last one stopped.
 */
import { parentPort } from 'node:worker_threads';
import type { PatternSpec, WorkerReply, WorkerRequest } from './grepProtocol';
import { compileRegex, lineAt, matchLineText, windowFromPreview } from './grepText';
import { decodeUtf8, splitLines } from './lines';
import { compileGlobs, compileInclude, ripgrepGlobs, type GlobSelection } from './globMatch';

const port = parentPort;
if (port === null) throw new Error('grepWorker.ts runs as a worker thread');

const CACHE = 32;
const compiled = new Map<string, RegExp>();
const globs = new Map<string, GlobSelection | null>();

function regexOf(spec: PatternSpec): RegExp {
  const key = `${spec.flags}/${spec.pattern}`;
  let re = compiled.get(key);
  if (re === undefined) {
    re = compileRegex(spec.pattern, spec.flags);
    if (compiled.size >= CACHE) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, re);
  }
  return re;
}

function answer(request: WorkerRequest): WorkerReply {
  switch (request.kind) {
    case 'compile':
      regexOf(request.spec);
      return { id: request.id, ok: true, kind: 'compile' };
    case 'lines': {
      const re = regexOf(request.spec);
      const { texts, cut, limit } = request;
      const hits: number[] = [];
      const shown: Array<string | null> = [];
      const undecided: number[] = [];
      for (let i = 0; i < texts.length && hits.length < limit; i++) {
        const text = texts[i]!;
        if (cut[i] === 1) {
          const window = windowFromPreview(re, text);
          if (window === null) undecided.push(i);
          else {
            hits.push(i);
            shown.push(window);
          }
          continue;
        }
        const m = matchLineText(re, text);
        if (m !== null) {
          hits.push(i);
          shown.push(m === text ? null : m);
        }
      }
      return { id: request.id, ok: true, kind: 'lines', hits: Int32Array.from(hits), texts: shown, undecided: Int32Array.from(undecided) };
    }
    case 'files': {
      const re = regexOf(request.spec);
      const file: number[] = [];
      const line: number[] = [];
      const texts: string[] = [];
      for (let f = 0; f < request.files.length && texts.length < request.limit; f++) {
        const lines = splitLines(decodeUtf8(request.files[f]!));
        for (let n = 0; n < lines.length && texts.length < request.limit; n++) {
          const m = matchLineText(re, lines[n]!);
          if (m !== null) {
            file.push(f);
            line.push(n + 1);
            texts.push(m);
          }
        }
      }
      return { id: request.id, ok: true, kind: 'files', file: Int32Array.from(file), line: Int32Array.from(line), texts };
    }
    case 'fileLines': {
      const re = regexOf(request.spec);
      const bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
      const cursor = { line: 1, offset: 0 };
      const texts: Array<string | null> = [];
      for (const n of request.lines) {
        if (n < cursor.line) {
          cursor.line = 1;
          cursor.offset = 0;
        }
        const line = lineAt(bytes, n, cursor);
        texts.push(line === null ? null : matchLineText(re, line));
      }
      return { id: request.id, ok: true, kind: 'fileLines', texts };
    }
    case 'select': {
      // compileGlobs throws a RepoError the model can act on for a bad glob. A selection
      // comes in slices of paths, so the compiled glob is kept for the next slice.
      const key = `${request.include === true ? 'include' : 'glob'}\u0000${request.call}\u0000${JSON.stringify(request.glob)}`;
      let selection = globs.get(key);
      if (selection === undefined) {
        selection = request.include === true ? { match: compileInclude([request.glob].flat(), request.call), positives: [], negatives: [] } : compileGlobs(request.glob, request.call);
        if (globs.size >= CACHE) globs.delete(globs.keys().next().value!);
        globs.set(key, selection);
      }
      const mask = new Uint8Array(request.paths.length);
      if (selection === null) mask.fill(1);
      else for (let i = 0; i < request.paths.length; i++) if (selection.match(request.paths[i]!)) mask[i] = 1;
      return { id: request.id, ok: true, kind: 'select', mask, ripgrepGlobs: ripgrepGlobs(selection) };
    }
  }
}

port.on('message', (request: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = answer(request);
  } catch (err) {
    const e = err as Error;
    // Only the error's own message: a stack would name this machine's paths.
    reply = { id: request.id, ok: false, message: String(e?.message ?? e), repoError: e?.name === 'RepoError' };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true });
