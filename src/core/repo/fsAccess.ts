/**
 * The file-system calls the repo makes, behind one small interface. It exists so that
 * what the repo touches can be observed: tests wrap it to count content reads and prove
 * that listing a large tree reads no file contents. Every read of file *contents* in
 * this module goes through `readFile`, `readHead` or `createReadStream` below (the one
 * other reader is the ripgrep child process, which only `grep` starts).
 */
import * as fs from 'node:fs';

export interface RepoFs {
  /** Directory entries, callback style: the walker (fast-glob) calls it directly. */
  readdir(
    dir: string,
    options: { withFileTypes: true },
    callback: (err: NodeJS.ErrnoException | null, entries: fs.Dirent[]) => void,
  ): void;
  stat(file: string): Promise<fs.Stats>;
  realpath(file: string): Promise<string>;
  /** Whole-file contents. */
  readFile(file: string): Promise<Buffer>;
  /** The first `bytes` bytes (fewer if the file is shorter). */
  readHead(file: string, bytes: number): Promise<Buffer>;
  /** Contents as a stream, for files too large to hold at once. */
  createReadStream(file: string): AsyncIterable<Buffer | string> & { destroy(): void };
}

export const nodeRepoFs: RepoFs = {
  readdir: (dir, options, callback) => fs.readdir(dir, options, callback),
  stat: (file) => fs.promises.stat(file),
  realpath: (file) => fs.promises.realpath(file),
  readFile: (file) => fs.promises.readFile(file),
  async readHead(file, bytes) {
    const handle = await fs.promises.open(file, 'r');
    try {
      const buffer = Buffer.alloc(bytes);
      const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  },
  createReadStream: (file) => fs.createReadStream(file, { highWaterMark: 1 << 16 }),
};
