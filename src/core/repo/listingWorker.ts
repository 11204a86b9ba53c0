/**
 * The listing worker (bundled as dist/listing-worker.js): walks a folder for `DiskSource`
 * off the host's thread. See listingPool.ts for why and how it is used.
 *
 * It calls the file system synchronously (fsAccess.syncRepoFs): on this thread a synchronous
 * call costs the caller nothing (nobody else's events wait on it) and skips the two thread
 * hops of each asynchronous one, which made the walk about twice as fast. Everything else is
 * the same walk the host would run (listing.ts): ignore files opened the safe way, the same
 * caps, the same order. It also makes the binary sniffs grep asks for (`sniff` below). The result goes back as one message, the paths joined by NUL (no path holds
 * one), which is a single copy instead of a structured clone of 50,000 strings.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { openInside, readUpTo, syncRepoFs } from './fsAccess';
import { listWorkspace } from './listing';
import { SNIFF_BYTES, looksBinary } from './binary';
import { SNIFF_BINARY, SNIFF_REFUSED, SNIFF_TEXT, type ListingRequest, type ListingReply, type SniffRequest } from './listingPool';

/**
 * The size of every listed file, by a synchronous lstat here; NaN for a link, which the host
 * sizes through a checked handle when it needs to. These are hints only (what to stream, how
 * to group): a directory swapped for a link mid-walk could still lend a name an outside size,
 * so the host never reports them as a file's size (snapshot.ts).
 */
function sizesOf(root: string, files: readonly string[]): Float64Array {
  const sizes = new Float64Array(files.length);
  for (let i = 0; i < files.length; i++) {
    try {
      const stat = fs.lstatSync(path.join(root, files[i]!));
      sizes[i] = stat.isFile() ? stat.size : Number.NaN;
    } catch {
      sizes[i] = Number.NaN;
    }
  }
  return sizes;
}

/**
 * The first 8 KiB of each file, opened and checked exactly as the host opens it (openInside),
 * with synchronous calls: a grep that matched in 1,000 files sniffs them here without 5,000
 * hops to libuv's thread pool, which the extension host shares with every other extension.
 * A file refused (gone, swapped, special) is left to the host, which says why.
 */
async function sniff(request: SniffRequest): Promise<Uint8Array> {
  const out = new Uint8Array(request.rels.length);
  for (let i = 0; i < request.rels.length; i++) {
    try {
      const { file, size } = await openInside(syncRepoFs, request.realRoot, path.join(request.root, request.rels[i]!), 'sniff');
      try {
        out[i] = looksBinary(await readUpTo(file, SNIFF_BYTES, size)) ? SNIFF_BINARY : SNIFF_TEXT;
      } finally {
        await file.close();
      }
    } catch {
      out[i] = SNIFF_REFUSED;
    }
  }
  return out;
}

parentPort?.on('message', (request: ListingRequest | SniffRequest) => {
  if (request.kind === 'sniff') {
    void sniff(request).then((sniffed) => parentPort!.postMessage({ id: request.id, sniffed } satisfies ListingReply, [sniffed.buffer as ArrayBuffer]));
    return;
  }
  void listWorkspace({ ...request, fs: syncRepoFs, sliceMs: Number.POSITIVE_INFINITY }).then(
    (listing) => {
      const reply: ListingReply = {
        id: request.id,
        ok: true,
        files: listing.files.join('\0'),
        count: listing.files.length,
        links: [...listing.links],
        special: [...listing.special],
        notes: [...listing.notes],
      };
      parentPort!.postMessage(reply);
      // Then the sizes (an lstat per file takes about as long as the walk): `repo.files()`
      // need not wait for them, only the summary and clusters do.
      const sizes = sizesOf(request.root, listing.files);
      parentPort!.postMessage({ id: request.id, sizes } satisfies ListingReply, [sizes.buffer as ArrayBuffer]);
    },
    (err: unknown) => {
      const reply: ListingReply = { id: request.id, ok: false, error: err instanceof Error ? err.message : String(err) };
      parentPort!.postMessage(reply);
    },
  );
});
