/**
 * `OverlaySource`: unsaved editor text over another source. For the paths it has text
 * for, reads, sizes, the binary test and grep answer from that text instead of the base
 * (the file on disk); everything else goes to the base.
 *
 * - Paths are the base's listing paths (with the folder prefix in a multi-root base; or
 *   wrap each folder's source before combining them, with folder-relative paths).
 * - The overlay never changes what is listed: the base's ignore rules, excludes and path
 *   guard decide, as for saved files. Text for a path the base does not list (an
 *   untitled document given a path, a file deleted on disk while its editor still holds
 *   changes, or an excluded file) is ignored: it is neither listed nor readable. So
 *   unsaved text can never make an excluded or outside path visible.
 * - The text is read live from `texts` at each call (a `Map` works, or the editor's own
 *   view of its dirty documents), like the disk, which may also change under a run; the
 *   view's snapshot caches sizes and line counts as it does for files.
 * - grep: the base's search (ripgrep) searches the rest, its lines for overlaid files are
 *   dropped, and every line of each overlaid file is offered instead, merged in path
 *   order; the view's JavaScript regex judges them like any other line (in the grep
 *   worker, off the host thread), so both grep engines give the same matches. Reads and grep hits of overlaid files are recorded
 *   with `unsaved: true`.
 */
import { comparePaths } from './pathOrder';
import { decodeUtf8, splitLines } from './lines';
import type { EntryKind, SearchOutcome, SearchQuery, SearchRecord, SourceFolder, SourceListing, SourceLocation, SourceSearch, WorkspaceSource } from './source';
import { SNIFF_BYTES, hasBinaryExtension, looksBinary } from './binary';

/** Characters of unsaved text per streamed piece. */
const STREAM_CHARS = 256 * 1024;

/** Unsaved text by path; a `Map<string, string>` is one. */
export interface UnsavedTexts {
  get(path: string): string | undefined;
  keys(): Iterable<string>;
}

export class OverlaySource implements WorkspaceSource {
  constructor(
    readonly base: WorkspaceSource,
    private readonly texts: UnsavedTexts,
  ) {}

  get folders(): readonly SourceFolder[] {
    return this.base.folders;
  }

  get ripgrepPath(): string | null {
    return this.base.ripgrepPath ?? null;
  }

  async list(): Promise<SourceListing> {
    const listing = await this.base.list();
    if (listing.sizes === undefined) return listing;
    // The disk's sizes are wrong for files with unsaved text: leave those to size().
    const overlaid = new Set(this.texts.keys());
    if (overlaid.size === 0) return listing;
    const sizes = listing.sizes.then((known) => {
      if (known === null) return null;
      const copy = known.slice();
      listing.files.forEach((f, i) => {
        if (overlaid.has(f)) copy[i] = Number.NaN;
      });
      return copy;
    });
    return { ...listing, sizes };
  }

  locate(path: string): Promise<SourceLocation> {
    return this.base.locate(path);
  }

  entryKind(path: string): Promise<EntryKind> {
    return this.base.entryKind(path);
  }

  isUnsaved(path: string): boolean {
    return this.texts.get(path) !== undefined || this.base.isUnsaved?.(path) === true;
  }

  // Size and sniff without encoding the whole text: an editor can hold a buffer of 100 MB.
  async size(path: string): Promise<number> {
    const text = this.texts.get(path);
    return text === undefined ? this.base.size(path) : Buffer.byteLength(text, 'utf8');
  }

  async isBinary(path: string): Promise<boolean> {
    const text = this.texts.get(path);
    if (text === undefined) return this.base.isBinary(path);
    // The first SNIFF_BYTES characters encode to at least SNIFF_BYTES bytes: enough for the test.
    return hasBinaryExtension(path) || looksBinary(Buffer.from(text.slice(0, SNIFF_BYTES), 'utf8'));
  }

  async readBytes(path: string, maxBytes: number): Promise<Uint8Array | null> {
    const text = this.texts.get(path);
    if (text === undefined) return this.base.readBytes(path, maxBytes);
    // Measured before it is encoded: a text too big to return whole is not copied.
    return Buffer.byteLength(text, 'utf8') > maxBytes ? null : Buffer.from(text, 'utf8');
  }

  stream(path: string): AsyncIterable<Uint8Array | string> & { destroy(): void } {
    const text = this.texts.get(path);
    if (text === undefined) return this.base.stream(path);
    let stopped = false;
    return {
      // A piece at a time, so a streamed scan of a huge buffer holds one piece, not a copy of it all.
      async *[Symbol.asyncIterator]() {
        for (let from = 0; from < text.length && !stopped; ) {
          let to = Math.min(text.length, from + STREAM_CHARS);
          const last = text.charCodeAt(to - 1);
          if (to < text.length && last >= 0xd800 && last <= 0xdbff) to--; // never split a surrogate pair
          yield Buffer.from(text.slice(from, to), 'utf8');
          from = to;
        }
      },
      destroy() {
        stopped = true;
      },
    };
  }

  /** The base's search with the unsaved text merged in; absent when the base has none. */
  get search(): SourceSearch | undefined {
    const base = this.base.search;
    return base === undefined ? undefined : (query, onRecord) => this.searchOver(base, query, onRecord);
  }

  private async searchOver(base: SourceSearch, query: SearchQuery, onRecord: (record: SearchRecord) => Promise<boolean>): Promise<SearchOutcome> {
    const overlaid = new Set<string>();
    // A part of a partitioned walk offers only the unsaved files below its directories.
    const under = query.paths === null ? (query.under ?? null) : null;
    const inPart = (p: string): boolean => under === null || under.some((u) => p === u || p.startsWith(`${u}/`));
    for (const p of query.paths ?? this.texts.keys()) if (this.texts.get(p) !== undefined && inPart(p)) overlaid.add(p);
    const pending = [...overlaid].sort(comparePaths);
    let stopped = false;

    // Offers every line of the overlaid files that sort before `until` (all when null).
    const flush = async (until: string | null): Promise<boolean> => {
      while (pending.length > 0 && (until === null || comparePaths(pending[0]!, until) < 0)) {
        const path = pending.shift()!;
        const lines = splitLines(decodeUtf8(this.bytesOf(path) ?? Buffer.alloc(0)));
        for (let i = 0; i < lines.length; i++) {
          if (query.signal?.aborted || !(await onRecord({ path, line: i + 1, text: lines[i]!, cut: false }))) return false;
        }
      }
      return true;
    };

    const rest = query.paths === null ? null : query.paths.filter((p) => !overlaid.has(p));
    if (rest === null || rest.length > 0) {
      const outcome = await base({ ...query, paths: rest }, async (record) => {
        if (overlaid.has(record.path)) return true; // its disk text; the unsaved text is offered instead
        if (!(await flush(record.path))) {
          stopped = true;
          return false;
        }
        const go = await onRecord(record);
        if (!go) stopped = true;
        return go;
      });
      if (!outcome.ok || stopped) return outcome;
    }
    await flush(null);
    return { ok: true };
  }

  private bytesOf(path: string): Buffer | null {
    const text = this.texts.get(path);
    return text === undefined ? null : Buffer.from(text, 'utf8');
  }
}
