/**
 * The file-system calls the repo makes, behind one small interface, and the one way a file
 * is opened.
 *
 * A cloned repository is hostile, and the host process (the editor's extension host) is
 * shared, so every file the repo reads is opened exactly the same way (`openInside`):
 *
 *   1. `open(O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)`: no final symbolic link is
 *      followed (a listed link inside the workspace is resolved with `realpath`, checked to
 *      be inside, and its target opened the same way), and opening a FIFO does not wait for a
 *      writer. A blocking open of a FIFO would park one of libuv's four thread-pool threads
 *      for good; after four of them every file operation of the process (and its exit) hangs.
 *   2. `fstat` the handle: anything but a regular file (a FIFO, socket or device swapped in
 *      after listing, a directory) is closed unread.
 *   3. Check that the handle is inside the workspace: on Linux the kernel's own name for it
 *      (`readlink /proc/self/fd/N`) must lie under the real root; elsewhere the handle's
 *      device and inode must be those of the `realpath` of the name it was opened by, and
 *      that must lie under the real root. Whatever is swapped in on the way (a directory
 *      turned into a link, a link retargeted between the check and the open), what is read
 *      is what was checked: the handle itself.
 *   4. Read from that handle only, with a byte bound (`readUpTo`, `readStream`).
 *
 * On Windows (no O_NOFOLLOW or O_NONBLOCK) the open follows links and step 3 uses the
 * device/inode check. Nothing here ever opens a file by name twice.
 *
 * Tests wrap `RepoFs` to observe what is opened and why (`OpenPurpose`): every read of file
 * contents in this module starts with `open` (the one other reader is the ripgrep child
 * process, which only `grep` starts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { relativeInside } from './pathGuard';
import { describeFsError } from './fsErrors';
import type { SpecialKind } from './source';

export { describeFsError };

/** Why a file is opened; lets tests and the bench tell a binary sniff from a whole read. */
export type OpenPurpose = 'ignore-file' | 'size' | 'sniff' | 'read' | 'stream';

/** An open file as the repo uses it (a `fs.promises.FileHandle` is one; so spies can wrap it). */
export interface RepoFile {
  readonly fd: number;
  stat(): Promise<fs.Stats>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

export interface RepoFs {
  /** Directory entries, callback style (the walker's hot path). */
  readdir(
    dir: string,
    options: { withFileTypes: true },
    callback: (err: NodeJS.ErrnoException | null, entries: fs.Dirent[]) => void,
  ): void;
  /** Follows links; used only to classify listed links and unlisted paths, never before a read. */
  stat(file: string): Promise<fs.Stats>;
  /** Does not follow a final link. */
  lstat(file: string): Promise<fs.Stats>;
  realpath(file: string): Promise<string>;
  /** Opens for reading without following a final link and without blocking (see the file comment). */
  open(file: string, purpose: OpenPurpose): Promise<RepoFile>;
  /** The kernel's name for an open file (Linux: /proc/self/fd/N), or null when it cannot say. */
  openedPath(file: RepoFile): Promise<string | null>;
}

const C = fs.constants;
/** O_RDONLY plus whichever of O_NOFOLLOW, O_NONBLOCK and O_NOCTTY the platform has (none on Windows). */
export const OPEN_FLAGS = C.O_RDONLY | (C.O_NOFOLLOW ?? 0) | (C.O_NONBLOCK ?? 0) | (C.O_NOCTTY ?? 0);
/** True where a final symbolic link makes `open` fail instead of being followed. */
export const OPEN_REFUSES_LINKS = C.O_NOFOLLOW !== undefined;

/** Whether the kernel names open files under /proc/self/fd (Linux with /proc mounted); looked up once. */
const procFd = process.platform === 'linux' && fs.existsSync('/proc/self/fd');

/**
 * A file opened by `nodeRepoFs.open`: a bare descriptor with callback-style calls. It costs
 * a third of a `FileHandle` on the host's thread (no handle object to track, no promise per
 * step inside Node), which matters when a summary sizes 50,000 files. Closing twice is a
 * no-op: a descriptor number freed once may already belong to someone else.
 */
class DescriptorFile implements RepoFile {
  private closed = false;

  constructor(readonly fd: number) {}

  stat(): Promise<fs.Stats> {
    return new Promise((resolve, reject) => fs.fstat(this.fd, (err, stats) => (err ? reject(err) : resolve(stats))));
  }

  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return new Promise((resolve, reject) =>
      fs.read(this.fd, buffer, offset, length, position, (err, bytesRead) => (err ? reject(err) : resolve({ bytesRead }))),
    );
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => fs.close(this.fd, () => resolve()));
  }
}

export const nodeRepoFs: RepoFs = {
  readdir: (dir, options, callback) => fs.readdir(dir, options, callback),
  stat: (file) => fs.promises.stat(file),
  lstat: (file) => fs.promises.lstat(file),
  realpath: (file) => fs.promises.realpath(file),
  open: (file) => new Promise((resolve, reject) => fs.open(file, OPEN_FLAGS, (err, fd) => (err ? reject(err) : resolve(new DescriptorFile(fd))))),
  openedPath(file) {
    if (!procFd) return Promise.resolve(null);
    // Should this one lookup fail, the caller falls back to the inode check for this file.
    return new Promise((resolve) => fs.readlink(`/proc/self/fd/${file.fd}`, (err, where) => resolve(err === null ? where : null)));
  },
};

export type { SpecialKind };

export function specialKindOf(entry: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): SpecialKind | null {
  if (entry.isFIFO()) return 'fifo';
  if (entry.isSocket()) return 'socket';
  if (entry.isCharacterDevice()) return 'character-device';
  if (entry.isBlockDevice()) return 'block-device';
  return null;
}

/** How a special file is named for the model. */
export function describeSpecial(kind: SpecialKind): string {
  switch (kind) {
    case 'fifo':
      return 'a named pipe (FIFO)';
    case 'socket':
      return 'a socket';
    case 'character-device':
      return 'a character device';
    case 'block-device':
      return 'a block device';
  }
}

/** Why a file was not opened or read; `message` never names an absolute path. */
export type RefusalReason = 'outside' | 'special' | 'directory' | 'missing' | 'changed' | 'error';

export class FileRefused extends Error {
  override readonly name = 'FileRefused';
  constructor(
    readonly reason: RefusalReason,
    /** For a message: what the path turned out to be, e.g. "a named pipe (FIFO)". */
    readonly detail: string,
    readonly kind: SpecialKind | null = null,
  ) {
    super(detail);
  }
}

export interface OpenedFile {
  readonly file: RepoFile;
  /** From `fstat` of the handle: the size of what will actually be read. */
  readonly size: number;
}

/**
 * Opens `abs` (a path under `root`) the one safe way described in the file comment, or
 * throws a `FileRefused`. The caller must close `file`.
 */
export async function openInside(fsa: RepoFs, realRoot: string, abs: string, purpose: OpenPurpose): Promise<OpenedFile> {
  let opened = abs;
  let file: RepoFile;
  try {
    file = await fsa.open(abs, purpose);
  } catch (err) {
    if (!isLinkRefusal(err)) throw refusalFromError(err);
    // A symbolic link: follow it by hand, once, to a target that must be inside.
    let target: string;
    try {
      target = await fsa.realpath(abs);
    } catch (inner) {
      throw refusalFromError(inner);
    }
    if (relativeInside(realRoot, target) === null) throw new FileRefused('outside', 'leads outside the workspace through a symbolic link');
    opened = target;
    try {
      file = await fsa.open(target, purpose);
    } catch (inner) {
      // Its target was itself swapped for a link since realpath looked: refused, not chased.
      throw isLinkRefusal(inner) ? new FileRefused('changed', 'changed while it was being opened (a symbolic link was swapped in)') : refusalFromError(inner);
    }
  }
  try {
    const stats = await file.stat();
    if (!stats.isFile()) {
      const kind = specialKindOf(stats);
      if (kind !== null) throw new FileRefused('special', describeSpecial(kind), kind);
      throw new FileRefused(stats.isDirectory() ? 'directory' : 'special', stats.isDirectory() ? 'a directory' : 'not a regular file');
    }
    await checkHandleInside(fsa, realRoot, file, opened, stats);
    return { file, size: stats.size };
  } catch (err) {
    await file.close().catch(() => undefined);
    throw err instanceof FileRefused ? err : refusalFromError(err);
  }
}

async function checkHandleInside(fsa: RepoFs, realRoot: string, file: RepoFile, opened: string, stats: fs.Stats): Promise<void> {
  const kernelPath = await fsa.openedPath(file);
  if (kernelPath !== null) {
    if (relativeInside(realRoot, kernelPath) === null) throw new FileRefused('outside', 'leads outside the workspace (its directory was swapped for a symbolic link)');
    return;
  }
  // No kernel name for the handle (not Linux, or no /proc): the name it was opened by,
  // resolved now, must be inside and must name the very file the handle holds, and must
  // still resolve the same way after that look. These are lookups by name, so a process
  // swapping a directory at exactly the right moments could still pass them; only the
  // kernel's own name for the handle (above) closes that. Node has no openat(2) or
  // F_GETPATH to do better.
  let real: string;
  let now: fs.Stats;
  try {
    real = await fsa.realpath(opened);
    now = await fsa.lstat(real);
    if ((await fsa.realpath(opened)) !== real) throw new Error('moved');
  } catch {
    throw new FileRefused('changed', 'changed while it was being opened');
  }
  if (relativeInside(realRoot, real) === null) throw new FileRefused('outside', 'leads outside the workspace through a symbolic link');
  if (now.dev !== stats.dev || now.ino !== stats.ino) throw new FileRefused('changed', 'changed while it was being opened');
}

function isLinkRefusal(err: unknown): boolean {
  if (!OPEN_REFUSES_LINKS) return false;
  const code = (err as NodeJS.ErrnoException).code;
  // Linux and macOS say ELOOP for O_NOFOLLOW on a link; FreeBSD says EMLINK.
  return code === 'ELOOP' || code === 'EMLINK';
}

/** A `FileRefused` for an fs error, with the error's code and never its message (which holds the absolute path). */
export function refusalFromError(err: unknown): FileRefused {
  if (err instanceof FileRefused) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new FileRefused('missing', 'no longer exists');
  // open(2) of a socket, or of a FIFO opened for writing without a reader.
  if (code === 'ENXIO' || code === 'EOPNOTSUPP') return new FileRefused('special', 'a socket or device');
  if (code === 'EISDIR') return new FileRefused('directory', 'a directory');
  return new FileRefused('error', describeFsError(err));
}

/**
 * Reads up to `max` bytes from the start of `file` (fewer if it is shorter), in at most
 * `chunk`-sized reads. The size `fstat` gave is only a hint: a file that grows while it is
 * read still gives at most `max` bytes.
 */
export async function readUpTo(file: RepoFile, max: number, sizeHint: number): Promise<Buffer> {
  const want = Math.max(0, Math.min(max, Math.max(sizeHint, 0) + 1));
  let buffer = Buffer.allocUnsafe(Math.min(want, max));
  let filled = 0;
  while (filled < max) {
    if (filled === buffer.length) {
      // It grew past what fstat said: widen, still bounded by max.
      const next = Buffer.allocUnsafe(Math.min(max, Math.max(buffer.length * 2, 64 * 1024)));
      buffer.copy(next, 0, 0, filled);
      buffer = next;
    }
    const { bytesRead } = await file.read(buffer, filled, Math.min(buffer.length - filled, READ_CHUNK), filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Largest single read(2): big enough for throughput, small enough to keep one read short. */
export const READ_CHUNK = 1024 * 1024;

/**
 * The contents of an opened file as chunks of at most `chunkBytes`, from its start; stops
 * at end of file or after `maxBytes`. Each chunk is a fresh buffer (the consumer may keep
 * it). Closing the handle is the caller's.
 */
export async function* readChunks(file: RepoFile, chunkBytes: number, maxBytes = Number.POSITIVE_INFINITY): AsyncGenerator<Buffer> {
  let position = 0;
  while (position < maxBytes) {
    const buffer = Buffer.allocUnsafe(Math.min(chunkBytes, maxBytes - position));
    const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
  }
}

/** `root` joined with a "/"-separated relative path. */
export function joinRel(root: string, rel: string): string {
  return rel === '' ? root : path.join(root, ...rel.split('/'));
}

/** A descriptor read with synchronous calls, for a worker thread whose loop serves nobody else. */
class SyncDescriptorFile implements RepoFile {
  private closed = false;

  constructor(readonly fd: number) {}

  async stat(): Promise<fs.Stats> {
    return fs.fstatSync(this.fd);
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return { bytesRead: fs.readSync(this.fd, buffer, offset, length, position) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already gone
    }
  }
}

/**
 * `nodeRepoFs` with synchronous calls behind the same promises: the same opens, checks and
 * bounds, without a hop to libuv's thread pool per call. Only for worker threads (the
 * listing worker's sniffs): on the host's thread a synchronous call would hold its loop.
 */
export const syncRepoFs: RepoFs = {
  readdir(dir, options, callback) {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, options);
    } catch (err) {
      callback(err as NodeJS.ErrnoException, []);
      return;
    }
    callback(null, entries);
  },
  stat: async (file) => fs.statSync(file),
  lstat: async (file) => fs.lstatSync(file),
  realpath: async (file) => fs.realpathSync(file),
  open: async (file) => new SyncDescriptorFile(fs.openSync(file, OPEN_FLAGS)),
  async openedPath(file) {
    if (!procFd) return null;
    try {
      return fs.readlinkSync(`/proc/self/fd/${file.fd}`);
    } catch {
      return null;
    }
  },
};
