/**
 * Messages between the host (grepWorkerPool.ts) and the grep worker (grepWorker.ts), the
 * thread where every guest-chosen regex and glob is compiled and run. Plain data only;
 * arrays of numbers travel as typed arrays, which clone as one block.
 */

/** A guest regex: its source and flags ("" or "i"). */
export interface PatternSpec {
  readonly pattern: string;
  readonly flags: string;
}

export type WorkerRequest =
  /** Compile the pattern (a syntax check); the worker keeps it for the jobs that follow. */
  | { id: number; kind: 'compile'; spec: PatternSpec }
  /**
   * Judge lines: `cut[i]` = 1 when `texts[i]` is only the start of a longer line (rg's
   * preview). Stops after `limit` matches.
   */
  | { id: number; kind: 'lines'; spec: PatternSpec; texts: string[]; cut: Uint8Array; limit: number }
  /** Judge some lines of one file, found in its bytes (grepText.lineAt): the whole of lines a search engine cut. */
  | { id: number; kind: 'fileLines'; spec: PatternSpec; bytes: Uint8Array; lines: Int32Array }
  /** Judge whole files' bytes (split into lines as lines.ts does). Stops after `limit` matches. */
  | { id: number; kind: 'files'; spec: PatternSpec; files: Uint8Array[]; limit: number }
  /**
   * Which of `paths` a `files`/`grep`/`clusters` glob argument selects (globMatch.compileGlobs),
   * or, with `include`, a `subset()` include list (globMatch.compileInclude).
   */
  | { id: number; kind: 'select'; glob: string | string[]; call: string; paths: string[]; include?: boolean };

export type WorkerReply =
  | { id: number; ok: true; kind: 'compile' }
  | {
      id: number;
      ok: true;
      kind: 'lines';
      /** Indices of matching lines, in order. */
      hits: Int32Array;
      /** Per hit: the text the match shows, or null when it is the whole input text. */
      texts: Array<string | null>;
      /** Indices of cut lines whose preview did not decide; the host re-reads them whole. */
      undecided: Int32Array;
    }
  | {
      id: number;
      ok: true;
      kind: 'files';
      /** Per match: index of its file in the request, its 1-based line, its text. */
      file: Int32Array;
      line: Int32Array;
      texts: string[];
    }
  | { id: number; ok: true; kind: 'select'; mask: Uint8Array; ripgrepGlobs: string[] | null }
  /** Per requested line: the text its match shows, or null (no match, or no such line). */
  | { id: number; ok: true; kind: 'fileLines'; texts: Array<string | null> }
  /** `repoError`: a message for the model (a bad glob); else an unexpected failure. */
  | { id: number; ok: false; message: string; repoError: boolean };

/** Posted once by a worker when it is ready for requests. */
export interface WorkerReady {
  ready: true;
}
