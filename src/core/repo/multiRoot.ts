/**
 * `MultiRootSource`: a workspace of several folders, each its own source (its own root,
 * ignore rules, excludes and rg), seen as one.
 *
 * - Paths carry the folder's name as their first segment: "api/src/x.ts" is "src/x.ts" of
 *   the folder named "api". (With a single folder there is no prefix; the view over a
 *   lone `DiskSource` needs no `MultiRootSource` at all.)
 * - Folder names that collide get a stable disambiguation: in the order the folders are
 *   given, the first keeps its name and each later one gets the first free "name-2",
 *   "name-3", … (a free name is one no folder has been given yet). Names that cannot be a
 *   path segment ("", ".", "..", or with "/", "\\" or NUL) are made into one ("folder",
 *   or those characters replaced by "_").
 * - The listing is the folders' listings, prefixed, folder after folder in name order,
 *   which is exactly `comparePaths` order of the prefixed paths (a name is a whole
 *   segment). A search runs folder after folder in the same order, so records still come
 *   in path order and the view's cut-off at `maxResults` is the one a single walk gives.
 *   A part of a partitioned search (`under`) goes to the folders it names, in the same
 *   order; the cancellation signal goes to each folder's search.
 */
import { comparePaths } from './pathOrder';
import type { EntryKind, SearchOutcome, SearchQuery, SearchRecord, SourceFolder, SourceListing, SourceLocation, SourceSearch, SpecialKind, WorkspaceSource } from './source';
import { quotePath } from './pathGuard';
import { RepoError } from './types';

interface Member {
  name: string;
  source: WorkspaceSource;
}

export class MultiRootSource implements WorkspaceSource {
  readonly folders: readonly SourceFolder[];
  /** In name order. */
  private readonly members: readonly Member[];
  private readonly byName: ReadonlyMap<string, Member>;

  /** Each source must have exactly one folder. */
  constructor(sources: readonly WorkspaceSource[]) {
    if (sources.length < 2) throw new RepoError(`A multi-root workspace needs at least two folders; got ${sources.length}.`);
    const names = uniqueNames(
      sources.map((s) => {
        if (s.folders.length !== 1) throw new RepoError(`Each folder of a multi-root workspace must be one folder; got one of ${s.folders.length}.`);
        return s.folders[0]!.name;
      }),
    );
    this.folders = sources.map((s, i) => ({ name: names[i]!, root: s.folders[0]!.root }));
    this.members = sources.map((source, i) => ({ name: names[i]!, source })).sort((a, b) => comparePaths(a.name, b.name));
    this.byName = new Map(this.members.map((m) => [m.name, m]));
  }

  get ripgrepPath(): string | null {
    return this.members.map((m) => m.source.ripgrepPath ?? null).find((p) => p !== null) ?? null;
  }

  async list(): Promise<SourceListing> {
    const listings = await Promise.all(this.members.map((m) => m.source.list()));
    const files: string[] = [];
    const links = new Set<string>();
    const special = new Map<string, SpecialKind>();
    const notes: string[] = [];
    listings.forEach((listing, i) => {
      const name = this.members[i]!.name;
      const prefix = `${name}/`;
      for (const f of listing.files) files.push(prefix + f);
      for (const f of listing.links) links.add(prefix + f);
      for (const [f, kind] of listing.special ?? []) special.set(prefix + f, kind);
      // A folder's notes name paths inside it; say which folder.
      for (const note of listing.notes ?? []) notes.push(`In folder ${quotePath(name)}: ${note}`);
    });
    // Sizes only when every folder knows them (else the view asks per file, as without them).
    const total = files.length;
    const sizes = listings.every((l) => l.sizes !== undefined)
      ? Promise.all(listings.map((l) => l.sizes!)).then((parts) => {
          if (parts.some((p) => p === null)) return null;
          const joined = new Float64Array(total);
          let at = 0;
          for (const p of parts) {
            joined.set(p!, at);
            at += p!.length;
          }
          return joined;
        })
      : undefined;
    return { files, links, special, notes, ...(sizes ? { sizes } : {}) };
  }

  async locate(path: string): Promise<SourceLocation> {
    const { member, rest } = this.route(path);
    if (member === null) return { outside: false, real: null };
    const where = await member.source.locate(rest);
    return where.outside || where.real === null ? where : { outside: false, real: join(member.name, where.real) };
  }

  async entryKind(path: string): Promise<EntryKind> {
    const { member, rest } = this.route(path);
    if (member === null) return 'missing';
    return member.source.entryKind(rest);
  }

  async size(path: string): Promise<number> {
    const { source, rest } = this.member(path);
    return source.size(rest);
  }

  async isBinary(path: string): Promise<boolean> {
    const { source, rest } = this.member(path);
    return source.isBinary(rest);
  }

  async readBytes(path: string, maxBytes: number): Promise<Uint8Array | null> {
    const { source, rest } = this.member(path);
    return source.readBytes(rest, maxBytes);
  }

  stream(path: string): AsyncIterable<Uint8Array | string> & { destroy(): void } {
    const { source, rest } = this.member(path);
    return source.stream(rest);
  }

  isUnsaved(path: string): boolean {
    const { member, rest } = this.route(path);
    return member?.source.isUnsaved?.(rest) === true;
  }

  /** Every folder's search, folder after folder; absent unless every folder has one. */
  get search(): SourceSearch | undefined {
    const searches = this.members.map((m) => m.source.search);
    if (searches.some((s) => s === undefined)) return undefined;
    return (query, onRecord) => this.searchAll(searches as SourceSearch[], query, onRecord);
  }

  private async searchAll(searches: readonly SourceSearch[], query: SearchQuery, onRecord: (record: SearchRecord) => Promise<boolean>): Promise<SearchOutcome> {
    // Explicit candidates, or the parts of a partitioned walk, go to their folders; a
    // whole walk walks every folder. A part naming a folder itself walks all of it.
    const narrowed = query.paths ?? query.under ?? null;
    const routed = new Map<Member, { list: string[]; whole: boolean }>();
    if (narrowed !== null) {
      for (const p of narrowed) {
        const { member, rest } = this.route(p);
        if (member === null) continue;
        const entry = routed.get(member) ?? { list: [], whole: false };
        if (rest === '') entry.whole = true;
        else entry.list.push(rest);
        routed.set(member, entry);
      }
    }
    for (const [i, member] of this.members.entries()) {
      const entry = routed.get(member);
      if (narrowed !== null && entry === undefined) continue;
      if (query.signal?.aborted) return { ok: false, reason: 'cancelled' };
      let stopped = false;
      const prefix = `${member.name}/`;
      const own: SearchQuery =
        query.paths !== null
          ? { ...query, paths: entry!.list }
          : { ...query, under: entry === undefined || entry.whole ? null : entry.list };
      const outcome = await searches[i]!(own, async (record) => {
        const go = await onRecord({ ...record, path: prefix + record.path });
        if (!go) stopped = true;
        return go;
      });
      if (!outcome.ok || stopped) return outcome;
    }
    return { ok: true };
  }

  /** The folder a path is in and the path inside it; null when its first segment names no folder. */
  private route(path: string): { member: Member | null; rest: string } {
    const slash = path.indexOf('/');
    const name = slash === -1 ? path : path.slice(0, slash);
    return { member: this.byName.get(name) ?? null, rest: slash === -1 ? '' : path.slice(slash + 1) };
  }

  /** For listed paths, which always name a folder. */
  private member(path: string): { source: WorkspaceSource; rest: string } {
    const { member, rest } = this.route(path);
    if (member === null) throw new RepoError(`No folder holds ${quotePath(path)}.`);
    return { source: member.source, rest };
  }
}

function join(name: string, rest: string): string {
  return rest === '' ? name : `${name}/${rest}`;
}

/** Folder names as distinct path segments, in the given order (see the file comment). */
export function uniqueNames(wanted: readonly string[]): string[] {
  const segment = (name: string): string => {
    const cleaned = name.replace(/[/\\\0]/g, '_');
    return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'folder' : cleaned;
  };
  const base = wanted.map(segment);
  const taken = new Set<string>();
  const given = new Set(base);
  return base.map((name) => {
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
    let k = 2;
    while (taken.has(`${name}-${k}`) || given.has(`${name}-${k}`)) k++;
    taken.add(`${name}-${k}`);
    return `${name}-${k}`;
  });
}

/** The workspace of these folder sources: the one source itself for one folder (no path prefix), else a `MultiRootSource`. */
export function workspaceOf(folders: readonly WorkspaceSource[]): WorkspaceSource {
  return folders.length === 1 ? folders[0]! : new MultiRootSource(folders);
}
