/**
 * The workspace as the sandbox sees it. Implemented by `WorkspaceRepo` over the file
 * system; every path in and out is relative to the workspace root, with `/` separators.
 * Nothing is read before it is asked for.
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
  limit?: number;
}

export interface ReadOptions {
  /** 1-based first line, inclusive. */
  start?: number;
  /** 1-based last line, inclusive. */
  end?: number;
}

export interface GrepOptions {
  glob?: string | string[];
  ignoreCase?: boolean;
  maxResults?: number;
}

export interface TreeOptions {
  depth?: number;
}

export interface ClustersOptions {
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
  fileCount: number;
  totalBytes: number;
  /** Language (by file extension) → file count, most common first. */
  languages: Array<{ language: string; files: number; bytes: number }>;
  /** Indented top-level listing with file counts, bounded in size. */
  topLevelTree: string;
}

export interface Repo {
  readonly name: string;
  readonly root: string;
  files(glob?: string | string[], options?: FilesOptions): Promise<string[]>;
  read(path: string, options?: ReadOptions): Promise<string>;
  grep(pattern: string, options?: GrepOptions): Promise<GrepMatch[]>;
  tree(dir?: string, options?: TreeOptions): Promise<string>;
  stat(path: string): Promise<FileStat>;
  /** Size and binary-ness of a file; unlike stat() it does not read the file to count lines. */
  info(path: string): Promise<FileInfo>;
  clusters(glob?: string | string[], options?: ClustersOptions): Promise<FileCluster[]>;
  summary(): Promise<RepoSummary>;
  /**
   * A view restricted to the files matching `include` (paths or globs), for a recursive
   * sub-RLM. It shares this repo's read log, so reads made below are cited above.
   */
  subset(include: string[]): Repo;
  /**
   * A view over the same snapshot and scope whose reads are reported to `onRead` as they
   * happen, and only to it; subsets of it report to the same observer. The engine observes
   * one view per question, so each question cites only what it read itself.
   */
  observe(onRead: (record: ReadRecord) => void): Repo;
  /** The same workspace, options and scope with nothing cached: sees files changed since. */
  fresh(): Repo;
}

/** A refused or failed repository operation; the message is written for the model to act on. */
export class RepoError extends Error {
  override readonly name = 'RepoError';
}
