/**
 * Listing a folder off the host's thread, in one worker thread shared by the process.
 *
 * Why: inside VS Code the engine shares the extension host's event loop and libuv's four
 * thread-pool threads with every other extension. An asynchronous walk costs two thread hops
 * per directory (measured: 8,700 `fs.readdir` calls at four in flight took as long as all of
 * `rg --files --sort path` on a 50,000-file tree, before any work on the entries), keeps the
 * thread pool busy for everyone, and runs ignore rules and sorting on the host's thread. The
 * worker reads directories synchronously on its own thread (half the time), applies the
 * rules there, and hands back one string: the host only splits it.
 *
 * The worker is started on first use, kept while listings come (a second listing pays no
 * start-up), and ended after `IDLE_MS` without one; it holds the process open only while a
 * listing is running. Its heap is capped (`WORKER_HEAP_MB`): a tree that would need more
 * fails the listing with a message rather than growing the host. When there is no worker
 * bundle (dist/listing-worker.js) or it cannot start, the caller lists on its own thread.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DiskListing } from './listing';
import type { SpecialKind } from './source';
import { RepoError } from './types';
import { forEachSliced } from '../util/slices';

export interface ListingRequest {
  kind: 'list';
  id: number;
  root: string;
  realRoot: string;
  exclude: readonly string[];
  useGitignore: boolean;
  maxEntries?: number;
}

/** Binary sniffs of some listed files (relative paths), opened the checked way. */
export interface SniffRequest {
  kind: 'sniff';
  id: number;
  root: string;
  realRoot: string;
  rels: string[];
}

/** What a sniff found, per file. */
export const SNIFF_TEXT = 0;
export const SNIFF_BINARY = 1;
/** The worker could not open it the checked way; the host looks again (and says why). */
export const SNIFF_REFUSED = 2;

/** A listing's replies: the files (or the error), then, for a listing, its sizes; or a sniff's findings. */
export type ListingReply =
  | { id: number; sniffed: Uint8Array }
  | { id: number; ok: true; files: string; count: number; links: string[]; special: Array<[string, SpecialKind]>; notes: string[] }
  | { id: number; ok: false; error: string }
  | { id: number; sizes: Float64Array };

/** Idle time after which the worker ends (it is started again on the next listing). */
export const IDLE_MS = 30_000;
/** Heap of the listing worker: enough for a listing at the entry cap (1,000,000 paths). */
export const WORKER_HEAP_MB = 512;

/** The worker could not start: the caller should list on its own thread. */
export class ListingWorkerUnavailable extends Error {
  override readonly name = 'ListingWorkerUnavailable';
}

interface Pending {
  resolve(listing: DiskListing): void;
  reject(err: Error): void;
  /** Settles the listing's sizes (null: the worker is gone before it measured them). */
  sizes(sizes: Float64Array | null): void;
  /** The files were handed over; the sizes are still to come. */
  listed: boolean;
  count: number;
}

let worker: Worker | null = null;
let workerPath: string | null | undefined;
let failedStarts = 0;
let nextId = 1;
const pending = new Map<number, Pending>();
const pendingSniffs = new Map<number, { resolve(sniffed: Uint8Array | null): void }>();
let idleTimer: NodeJS.Timeout | undefined;

/** Finds dist/listing-worker.js whether we run from the bundle (dist/) or from source. */
function resolveListingWorker(): string | null {
  const candidates = [path.join(__dirname, 'listing-worker.js')];
  for (let dir = __dirname, i = 0; i < 6; i++, dir = path.dirname(dir)) candidates.push(path.join(dir, 'dist', 'listing-worker.js'));
  return candidates.find((c) => existsSync(c)) ?? null;
}

/**
 * The listing, walked by the worker; null when there is no worker to ask (no bundle, or it
 * failed to start three times), and the caller should walk itself.
 */
export function listInWorker(request: Omit<ListingRequest, 'id' | 'kind'>): Promise<DiskListing> | null {
  const w = availableWorker();
  if (w === null) return null;
  const id = nextId++;
  let settleSizes!: (sizes: Float64Array | null) => void;
  const sizes = new Promise<Float64Array | null>((resolve) => (settleSizes = resolve));
  return new Promise<DiskListing>((resolve, reject) => {
    pending.set(id, { resolve: (listing) => resolve({ ...listing, sizes }), reject, sizes: settleSizes, listed: false, count: 0 });
    w.postMessage({ ...request, exclude: [...request.exclude], id, kind: 'list' } satisfies ListingRequest);
  });
}

/**
 * Binary sniffs of `rels` in the worker (SNIFF_* per file, in order); null when there is no
 * worker to ask, or it stopped before answering: the caller sniffs on its own.
 */
export function sniffInWorker(request: Omit<SniffRequest, 'id' | 'kind'>): Promise<Uint8Array | null> | null {
  const w = availableWorker();
  if (w === null) return null;
  const id = nextId++;
  return new Promise((resolve) => {
    pendingSniffs.set(id, { resolve });
    w.postMessage({ ...request, rels: [...request.rels], id, kind: 'sniff' } satisfies SniffRequest);
  });
}

/** The worker, started if need be and held open while it has work; null when it cannot start. */
function availableWorker(): Worker | null {
  if (workerPath === undefined) workerPath = resolveListingWorker();
  if (workerPath === null || failedStarts >= 3) return null;
  const w = ensureWorker(workerPath);
  clearTimeout(idleTimer);
  w.ref(); // work in flight keeps the process alive; an idle worker does not
  return w;
}

function ensureWorker(file: string): Worker {
  if (worker !== null) return worker;
  const w = new Worker(file, { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB }, env: {}, stdout: false, stderr: false });
  worker = w;
  let started = false;
  w.once('online', () => {
    started = true;
    failedStarts = 0;
  });
  w.on('message', (reply: ListingReply) => void settle(reply));
  w.on('error', (err) => finish(w, err, started));
  w.on('exit', (code) => {
    if (!started) failedStarts++;
    finish(w, new Error(`exited with code ${code}`), started);
  });
  return w;
}

/** The worker is gone: every listing waiting on it fails with a message the model can read. */
function finish(w: Worker, err: Error, started: boolean): void {
  if (worker !== w) return;
  worker = null;
  clearTimeout(idleTimer);
  // Sniffs are done by the caller instead.
  for (const [, s] of pendingSniffs) s.resolve(null);
  pendingSniffs.clear();
  // Listings already handed over lose only their sizes (the view asks per file instead).
  for (const [id, p] of pending) {
    if (!p.listed) continue;
    p.sizes(null);
    pending.delete(id);
  }
  if (!started) {
    for (const [, p] of pending) p.reject(new ListingWorkerUnavailable(err.message));
    pending.clear();
    return;
  }
  const outOfMemory = /memory|ERR_WORKER_OUT_OF_MEMORY/i.test(`${err.message} ${(err as NodeJS.ErrnoException).code ?? ''}`);
  for (const [, p] of pending) {
    p.reject(
      new RepoError(
        outOfMemory
          ? `Listing the workspace needed more than ${WORKER_HEAP_MB} MiB and was stopped; exclude large generated directories (the exclude settings or .gitignore) and try again.`
          : 'Listing the workspace failed (its worker stopped); try again.',
      ),
    );
  }
  pending.clear();
}

async function settle(reply: ListingReply): Promise<void> {
  if ('sniffed' in reply) {
    pendingSniffs.get(reply.id)?.resolve(reply.sniffed instanceof Uint8Array ? reply.sniffed : null);
    pendingSniffs.delete(reply.id);
    idleWhenDone();
    return;
  }
  const p = pending.get(reply.id);
  if (p === undefined) return;
  if ('sizes' in reply) {
    pending.delete(reply.id);
    p.sizes(reply.sizes instanceof Float64Array && reply.sizes.length === p.count ? reply.sizes : null);
  } else if (reply.ok) {
    p.listed = true;
    p.count = reply.count;
  } else {
    pending.delete(reply.id);
    p.sizes(null);
  }
  idleWhenDone();
  if ('sizes' in reply) return;
  if (!reply.ok) {
    p.reject(new RepoError(`Listing the workspace failed: ${reply.error}`));
    return;
  }
  p.resolve({
    files: await splitPaths(reply.files, reply.count),
    links: new Set(reply.links),
    special: new Map(reply.special),
    notes: reply.notes,
  });
}

/** With nothing in flight, the worker stops holding the process open, and ends after IDLE_MS. */
function idleWhenDone(): void {
  if (pending.size > 0 || pendingSniffs.size > 0 || worker === null) return;
  worker.unref();
  const w = worker;
  idleTimer = setTimeout(() => {
    if (worker === w && pending.size === 0 && pendingSniffs.size === 0) {
      worker = null;
      void w.terminate();
    }
  }, IDLE_MS);
  idleTimer.unref();
}

/** `joined.split("\0")`, a slice at a time: a million paths must not hold the event loop. */
async function splitPaths(joined: string, count: number): Promise<string[]> {
  if (count === 0) return [];
  if (count <= 100_000) return joined.split('\0');
  const out = new Array<string>(count);
  let from = 0;
  await forEachSliced(count, (i) => {
    const end = i === count - 1 ? joined.length : joined.indexOf('\0', from);
    out[i] = joined.slice(from, end);
    from = end + 1;
  });
  return out;
}
