/**
 * Where the workspace's text comes from, as opposed to what the REPL does with it.
 *
 * A `WorkspaceSource` answers for one or more folders: what is listed, how big a file is,
 * whether it is binary, its bytes, and (optionally) a fast line search. It knows nothing
 * of globs, subsets, trees, read logs or the messages the model reads: that is the view,
 * `WorkspaceRepo`, which owns the path guard (normalisation, listing membership, scope),
 * caches per snapshot, and makes the JavaScript regex the judge of every grep match.
 *
 * Implementations here: `DiskSource` (one folder on disk: .gitignore, excludes, the
 * realpath guard, ripgrep), `MultiRootSource` (several folder sources, each path prefixed
 * with its folder's name) and `OverlaySource` (unsaved editor text over any source). The
 * editor's own source (honouring `files.exclude`, its bundled rg, `vscode.workspace.fs`)
 * plugs in through the same interface.
 *
 * Paths in and out are the source's listing paths: relative, "/"-separated, already
 * normalised by the view (never "", never absolute, never climbing with ".."). A source
 * with more than one folder prefixes every path with the folder's name ("api/src/x.ts");
 * a source with one folder does not.
 *
 * The view only asks about paths it has checked: `size`, `isBinary`, `readBytes` and
 * `stream` are called with listed paths only; `locate` and `entryKind` with any
 * normalised path. Contents are read only through `isBinary`, `readBytes`, `stream` and
 * `search`, so a source that opens each file once (with O_NOFOLLOW, fstat-checking the
 * handle) can do so entirely behind these methods.
 */

export interface SourceFolder {
  /** Display name; with several folders, the first segment of every path in that folder. */
  readonly name: string;
  /** Where the folder is (an absolute directory for a disk source); used for messages and hints. */
  readonly root: string;
}

export interface SourceListing {
  /** Every listed file, in `comparePaths` order. */
  readonly files: readonly string[];
  /**
   * Listed files grep does not search: symbolic links to files inside the workspace
   * (ripgrep does not follow them; their targets are searched under their own paths).
   */
  readonly links: ReadonlySet<string>;
  /**
   * Special files (named pipes, sockets, devices; or links to one inside), by path, in
   * `comparePaths` order. Not in `files`: they are never opened (opening a FIFO can block
   * forever, a device can stream without end). The view shows them in `tree()` and says
   * what they are when one is read. Absent: none.
   */
  readonly special?: ReadonlyMap<string, SpecialKind>;
  /**
   * Sizes in bytes, aligned with `files` (NaN where unknown), when the listing can learn
   * them without opening anything (the disk listing worker lstats each file it listed, off
   * the host's thread, after handing over the files: `files()` does not wait for them).
   * The view then needs no call per file for sizes (`summary()`, `clusters()`); they are
   * hints, and reads still open each file the checked way. Never rejects; null or absent:
   * ask `size()`.
   */
  readonly sizes?: Promise<Float64Array | null>;
  /**
   * What the listing could not do as configured, in words for the user and the model: an
   * ignore file cut at its size or rule cap, one that is special or leads outside and so
   * was not applied, unreadable directories. Shown in the repository summary. Absent: none.
   */
  readonly notes?: readonly string[];
}

/** What a special file is. */
export type SpecialKind = 'fifo' | 'socket' | 'character-device' | 'block-device';

/** Where a path leads once symbolic links are followed. */
export type SourceLocation =
  /** Through a symbolic link (the entry itself or a directory on the way) out of its folder. */
  | { readonly outside: true }
  /** Inside; `real` is the path with links resolved, or null when nothing exists there. */
  | { readonly outside: false; readonly real: string | null };

/** What is at a path, following links: enough for the view to explain why it is not listed. */
export type EntryKind = 'file' | 'directory' | 'special' | 'missing';

export interface SearchQuery {
  /** The regex source; the source's engine may read it in its own dialect (the view re-checks every line). */
  readonly pattern: string;
  readonly ignoreCase: boolean;
  /**
   * File-name globs (`*.ts`, `*.{ts,js}`) that select a superset of the candidates, or
   * null; only ever a hint that narrows the walk.
   */
  readonly includeGlobs: readonly string[] | null;
  /** Search exactly these listed files, in this order, instead of walking; or null to walk. */
  readonly paths: readonly string[] | null;
  /**
   * With `paths` null: walk only below these listing paths (directories, or single files),
   * given in path order; null or absent walks everything. The view runs several such
   * searches over consecutive parts of the tree at once (sourceGrep.ts); a source may
   * search more than asked (the view drops lines outside the part), never less.
   */
  readonly under?: readonly string[] | null;
  /** Aborted when the grep is cancelled or no longer needs this search: stop (kill rg) and resolve soon after. */
  readonly signal?: AbortSignal;
}

export interface SearchRecord {
  /** Listing path of the file. */
  readonly path: string;
  /** 1-based line number. */
  readonly line: number;
  /** The line without its terminator; when `cut`, only its start. */
  readonly text: string;
  /** The engine cut a long line short; the view re-reads the line when it needs the rest. */
  readonly cut: boolean;
}

export type SourceSearch = (query: SearchQuery, onRecord: (record: SearchRecord) => Promise<boolean>) => Promise<SearchOutcome>;

export type SearchOutcome =
  | { readonly ok: true }
  /**
   * The engine failed (it did not start, or refused the pattern); the view then uses its
   * JavaScript grep. `tooSlow`: it ran past its time limit; the grep then ends with a message.
   */
  | { readonly ok: false; readonly reason: string; readonly tooSlow?: boolean };

export interface WorkspaceSource {
  readonly folders: readonly SourceFolder[];

  /** Walks the folders. Reads no file contents beyond ignore files. Called once per view snapshot. */
  list(): Promise<SourceListing>;

  /** Where `path` really is; refused as outside when a symbolic link leads out of its folder. */
  locate(path: string): Promise<SourceLocation>;

  /** What is at `path` (following links); asked only for paths that are not listed. */
  entryKind(path: string): Promise<EntryKind>;

  /** Size in bytes (of the target, for a symbolic link). */
  size(path: string): Promise<number>;

  /** Binary by the rule in binary.ts (extension, or a NUL byte in the first 8 KiB); reads at most 8 KiB. */
  isBinary(path: string): Promise<boolean>;

  /** The whole contents, or null when the file holds more than `maxBytes` (then the view streams it). */
  readBytes(path: string, maxBytes: number): Promise<Uint8Array | null>;

  /** The contents as a stream, for files too large to hold; `destroy()` stops reading. */
  stream(path: string): AsyncIterable<Uint8Array | string> & { destroy(): void };

  /**
   * Fast line search (ripgrep), present only while the source can run one. Feeds candidate
   * lines to `onRecord` in path order, one at a time; `onRecord` resolves false to stop.
   * Records are candidates only: the view filters them with the listing and the
   * JavaScript regex (run in the grep worker, never on the host thread). Paths must be
   * parsed so that no file name can pass for another (rg's output is NUL-framed).
   * Absent: the view's JavaScript grep.
   */
  readonly search?: SourceSearch;

  /** True when `path` is answered from unsaved editor text rather than the file. Absent: never. */
  isUnsaved?(path: string): boolean;

  /** For diagnostics: the rg binary `search` runs, or null when it has none (or it failed to start). */
  readonly ripgrepPath?: string | null;
}
