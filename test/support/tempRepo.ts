/**
 * Temporary workspaces on disk for repo tests: a real directory under the OS temp dir,
 * filled from a { relativePath: content } map, removed by `cleanup()`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TempRepo {
  root: string;
  /** Absolute path of a workspace-relative path. */
  abs(rel: string): string;
  write(rel: string, content: string | Uint8Array): void;
  /** Creates the symbolic link `rel` pointing at `target` (used verbatim). */
  symlink(rel: string, target: string, type?: 'file' | 'dir'): void;
  cleanup(): Promise<void>;
}

export function makeTempRepo(files: Record<string, string | Uint8Array> = {}, prefix = 'rlm-repo-'): TempRepo {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const abs = (rel: string): string => path.join(root, ...rel.split('/'));
  const write = (rel: string, content: string | Uint8Array): void => {
    fs.mkdirSync(path.dirname(abs(rel)), { recursive: true });
    fs.writeFileSync(abs(rel), content);
  };
  for (const [rel, content] of Object.entries(files)) write(rel, content);
  return {
    root,
    abs,
    write,
    symlink(rel, target, type) {
      fs.mkdirSync(path.dirname(abs(rel)), { recursive: true });
      fs.symlinkSync(target, abs(rel), type);
    },
    cleanup: () => fs.promises.rm(root, { recursive: true, force: true }),
  };
}

/**
 * Asserts that `action` rejects with an error named "RepoError" whose message matches
 * `message`, and returns that message.
 */
export async function expectRepoError(action: () => Promise<unknown>, message: RegExp): Promise<string> {
  let caught: unknown;
  try {
    await action();
  } catch (err) {
    caught = err;
  }
  if (!(caught instanceof Error)) throw new Error(`expected a RepoError matching ${message}, but nothing was thrown`);
  if (caught.name !== 'RepoError') throw new Error(`expected a RepoError, got ${caught.name}: ${caught.message}`);
  if (!message.test(caught.message)) throw new Error(`RepoError message ${JSON.stringify(caught.message)} does not match ${message}`);
  return caught.message;
}
