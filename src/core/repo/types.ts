/**
 * The workspace as the sandbox sees it. Implemented by `WorkspaceRepo` over a
 * `WorkspaceSource` (source.ts: a folder on disk, several folders, unsaved editor text);
 * every path in and out is relative to the workspace, with `/` separators, and starts
 * with the folder's name when the workspace has several folders. Nothing is read before
 * it is asked for. Argument types are checked once, at the sandbox boundary
 * (sandbox/api.ts); the repo checks what only it can judge (ranges against the file,
 * paths against the workspace).
 */

export interface GrepMatch {
  path: string;
  /** 1-based line number. */
  line: number;
  /** The matching line, without its line terminator (long lines are cut). */
  text: string;
}

export interface FileStat {
  path: string;
  bytes: number;
  /** Number of lines; `null` for binary files. */
  lines: number | null;
  /**
   * Present (true) when the file is too big to count in full (more than the scan limit,
   * 256 MiB by default): `lines` is then extrapolated from the part that was counted.
   */
  linesEstimated?: true;
}

/** What a file is, learned without reading past its first 8 KiB. */
export interface FileInfo {
  path: string;
  bytes: number;
  binary: boolean;
}

export interface FileCluster {
  files: string[];
  chars: number;
}

export interface FilesOptions {
  /** At most this many paths (a positive integer). */
  limit?: number;
}

export interface ReadOptions {
  /** 1-based first line, inclusive (a positive integer). */
  start?: number;
  /** 1-based last line, inclusive (a positive integer, at least `start`); past the end means to the end. */
  end?: number;
}

export interface GrepOptions {
  glob?: string | string[];
  ignoreCase?: boolean;
  /** A positive integer; default 200, at most 5,000. */
  maxResults?: number;
}

export interface TreeOptions {
  /** Levels shown below the directory (0: only its own line); default 2. */
  depth?: number;
}

export interface ClustersOptions {
  /** A positive integer; default 100,000. */
  maxChars?: number;
}

/** A range of lines the sandbox actually saw; the raw material of citations. */
export interface ReadRecord {
  path: string;
  start: number;
  end: number;
  /** How the lines were seen: `read`, `grep`, or the name of the host function that showed them. */
  via: string;
  /** True when the text came from an editor's unsaved changes rather than the file on disk. */
  unsaved?: boolean;
}

export interface RepoSummary {
  name: string;
  /** The workspace folders' names; with more than one, every path starts with one of them. */
  folders: string[];
  fileCount: number;
  totalBytes: number;
  /** Language (by file extension) → file count, most common first. */
  languages: Array<{ language: string; files: number; bytes: number }>;
  /** Indented top-level listing with file counts, bounded in size; ends with the `notes`, one "Note: " line each. */
  topLevelTree: string;
  /**
   * What the listing could not do as configured (an ignore file over its size or rule cap,
   * one that is a special file or leads outside the workspace, unreadable directories) and
   * how many special files there are; at most a few. Empty when there is nothing to say.
   */
  notes?: string[];
}

export interface Repo {
  readonly name: string;
  readonly root: string;
  files(glob?: string | string[], options?: FilesOptions): Promise<string[]>;
  read(path: string, options?: ReadOptions): Promise<string>;
  /** `signal` is the host's (the guest cannot pass one): aborting it cancels the call, killing its rg processes. */
  grep(pattern: string, options?: GrepOptions, signal?: AbortSignal): Promise<GrepMatch[]>;
  tree(dir?: string, options?: TreeOptions): Promise<string>;
  stat(path: string): Promise<FileStat>;
  /** Size and binary-ness of a file; unlike stat() it does not read the file to count lines. */
  info(path: string): Promise<FileInfo>;
  clusters(glob?: string | string[], options?: ClustersOptions): Promise<FileCluster[]>;
  summary(): Promise<RepoSummary>;
  /**
   * A view restricted to the files matching `include` (paths or globs), for a recursive
   * sub-RLM. It shares this view's snapshot and read reporting (its read log, or its
   * observer), so reads made below are cited above.
   */
  subset(include: readonly string[]): Repo;
  /**
   * A view over the same snapshot and scope whose reads (read ranges and grep hits) are
   * reported to `onRead` as they happen, and only to it: not to this view's read log or
   * observer. Its `subset()` views report to the same observer. One per question gives
   * per-run citations from a repo shared between runs.
   */
  observe(onRead: (record: ReadRecord) => void): Repo;
  /**
   * The same source, options, scope and read reporting over a new snapshot: the listing,
   * sizes, binary-ness and line counts are looked up again, so files changed since are
   * seen. This view keeps its snapshot.
   */
  fresh(): Repo;
  /**
   * Ranges read so far through this view (and its subsets), in the order they were read.
   * An observed view has its own. Kept for tests and callers of one-run repos; per-run
   * citations should come from `observe()`.
   */
  readonly readLog: ReadRecord[];
}

/** A refused or failed repository operation; the message is written for the model to act on. */
export class RepoError extends Error {
  override readonly name = 'RepoError';
}
