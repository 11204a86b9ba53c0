/**
 * The boundary between model-written paths and the file system. Every path the repo
 * API accepts goes through here: it must be relative to the workspace root, must not
 * climb out of it with "..", and must not lead out of it through a symbolic link.
 * Paths handed back are always relative, with "/" separators.
 */
import * as path from 'node:path';
import { RepoError } from './types';
import { describe } from './validate';

const EXAMPLE = 'paths are relative to the workspace root, like "src/index.ts"';

/**
 * Normalises a path given to the repo API into the workspace-relative form ("a/b.ts",
 * or "" for the root itself). Throws a `RepoError` for absolute paths and for paths that
 * escape the root lexically (`../x`, `a/../../x`). `root`, when given, lets the message
 * for an absolute path inside the workspace suggest its relative form.
 */
export function normalizeRelPath(input: unknown, root?: string): string {
  if (typeof input !== 'string') {
    throw new RepoError(`Expected a path string; ${EXAMPLE}. Got ${describe(input)}.`);
  }
  if (input.includes('\0')) throw new RepoError(`Path ${JSON.stringify(input)} contains a NUL character.`);
  // On Windows the model may well write backslashes; elsewhere a backslash is a legal
  // file-name character and must be left alone.
  const p = process.platform === 'win32' ? input.replace(/\\/g, '/') : input;
  if (p.startsWith('/') || path.isAbsolute(p)) {
    let hint = '';
    if (root !== undefined) {
      const rel = relativeInside(root, path.resolve(p));
      if (rel !== null && rel !== '') hint = ` Did you mean "${rel}"?`;
    }
    throw new RepoError(`Path "${input}" is absolute; ${EXAMPLE}.${hint}`);
  }
  let rel = path.posix.normalize(p);
  if (rel === '..' || rel.startsWith('../')) {
    throw new RepoError(`Path "${input}" is outside the workspace; ${EXAMPLE}.`);
  }
  rel = rel.replace(/\/+$/, '');
  return rel === '.' ? '' : rel;
}

/** `target` relative to `base` in "/" form, or null when it is not inside `base`. */
export function relativeInside(base: string, target: string): string | null {
  const rel = path.relative(base, target);
  if (rel === '') return '';
  if (path.isAbsolute(rel) || rel === '..' || rel.startsWith(`..${path.sep}`)) return null;
  return rel.split(path.sep).join('/');
}

export function absolutePath(root: string, rel: string): string {
  return rel === '' ? root : path.join(root, ...rel.split('/'));
}

export interface ResolvedPath {
  /** The path on disk, under the root as given (symbolic links not resolved). */
  abs: string;
  /** Where it really is, relative to the real root; null when nothing exists there. */
  realRel: string | null;
}

/**
 * Checks that `rel` (already normalised) does not lead outside the workspace through a
 * symbolic link — the file itself or any directory on the way. For a path that does not
 * exist, the nearest existing ancestor is checked, so "link-to-outside/missing" is
 * refused as outside rather than reported missing.
 */
export async function resolveInside(
  realpath: (p: string) => Promise<string>,
  root: string,
  realRoot: string,
  rel: string,
): Promise<ResolvedPath> {
  const abs = absolutePath(root, rel);
  const refuse = (): never => {
    throw new RepoError(
      `Path "${rel}" leads outside the workspace through a symbolic link; only files inside the workspace root can be read.`,
    );
  };
  try {
    const realRel = relativeInside(realRoot, await realpath(abs));
    if (realRel === null) refuse();
    return { abs, realRel };
  } catch (err) {
    if (err instanceof RepoError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      throw new RepoError(`Cannot access "${rel}": ${(err as Error).message}`);
    }
  }
  const parts = rel.split('/');
  for (let k = parts.length - 1; k >= 1; k--) {
    let real: string;
    try {
      real = await realpath(absolutePath(root, parts.slice(0, k).join('/')));
    } catch {
      continue;
    }
    if (relativeInside(realRoot, real) === null) refuse();
    break;
  }
  return { abs, realRel: null };
}
