/**
 * The boundary between model-written paths and the file system. Every path the repo
 * API accepts goes through here: it must be relative to the workspace root, must not
 * climb out of it with "..", and must not lead out of it through a symbolic link.
 * Paths handed back are always relative, with "/" separators.
 */
import * as path from 'node:path';
import { RepoError } from './types';
import type { SourceLocation } from './source';

const EXAMPLE = 'paths are relative to the workspace root, like "src/index.ts"';

/**
 * Normalises a path given to the repo API into the workspace-relative form ("a/b.ts",
 * or "" for the root itself). Throws a `RepoError` for absolute paths and for paths that
 * escape the root lexically (`../x`, `a/../../x`). `hint`, when given, lets the message
 * for an absolute path inside the workspace suggest its relative form: the root directory,
 * or a function from an absolute path to its workspace path (null when outside).
 * (Argument types are checked once, at the sandbox boundary.)
 */
export function normalizeRelPath(input: string, hint?: string | ((absolute: string) => string | null)): string {
  if (input.includes('\0')) throw new RepoError(`Path ${JSON.stringify(input)} contains a NUL character.`);
  // On Windows the model may well write backslashes; elsewhere a backslash is a legal
  // file-name character and must be left alone.
  const p = process.platform === 'win32' ? input.replace(/\\/g, '/') : input;
  if (p.startsWith('/') || path.isAbsolute(p)) {
    let suggestion = '';
    if (hint !== undefined) {
      const absolute = path.resolve(p);
      const rel = typeof hint === 'string' ? relativeInside(hint, absolute) : hint(absolute);
      if (rel !== null && rel !== '') suggestion = ` Did you mean "${rel}"?`;
    }
    throw new RepoError(`Path "${input}" is absolute; ${EXAMPLE}.${suggestion}`);
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

/**
 * Checks that `rel` (already normalised) does not lead outside the folder through a
 * symbolic link — the file itself or any directory on the way — and says where it really
 * is. For a path that does not exist, the nearest existing ancestor is checked, so
 * "link-to-outside/missing" is refused as outside rather than reported missing.
 */
export async function resolveInside(
  realpath: (p: string) => Promise<string>,
  root: string,
  realRoot: string,
  rel: string,
): Promise<SourceLocation> {
  const abs = absolutePath(root, rel);
  try {
    const real = relativeInside(realRoot, await realpath(abs));
    return real === null ? { outside: true } : { outside: false, real };
  } catch (err) {
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
    if (relativeInside(realRoot, real) === null) return { outside: true };
    break;
  }
  return { outside: false, real: null };
}
