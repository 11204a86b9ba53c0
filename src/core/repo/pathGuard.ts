/**
 * The boundary between model-written paths and the file system. Every path the repo
 * API accepts goes through here: it must be relative to the workspace root, must not
 * climb out of it with "..", and must not lead out of it through a symbolic link.
 * Paths handed back are always relative, with "/" separators.
 */
import * as path from 'node:path';
import { RepoError } from './types';
import type { SourceLocation } from './source';
import { describeFsError } from './fsErrors';

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
  if (input.includes('\0')) throw new RepoError(`Path ${quotePath(input)} contains a NUL character.`);
  // On Windows the model may well write backslashes; elsewhere a backslash is a legal
  // file-name character and must be left alone.
  const p = process.platform === 'win32' ? input.replace(/\\/g, '/') : input;
  if (p.startsWith('/') || path.isAbsolute(p)) {
    let suggestion = '';
    if (hint !== undefined) {
      const absolute = path.resolve(p);
      const rel = typeof hint === 'string' ? relativeInside(hint, absolute) : hint(absolute);
      if (rel !== null && rel !== '') suggestion = ` Did you mean ${quotePath(rel)}?`;
    }
    throw new RepoError(`Path ${quotePath(input)} is absolute; ${EXAMPLE}.${suggestion}`);
  }
  let rel = path.posix.normalize(p);
  if (rel === '..' || rel.startsWith('../')) {
    throw new RepoError(`Path ${quotePath(input)} is outside the workspace; ${EXAMPLE}.`);
  }
  rel = rel.replace(/\/+$/, '');
  return rel === '.' ? '' : rel;
}

/**
 * Characters a path must not carry raw into a message, a tree line or a listing: C0 and C1
 * controls (a newline in a file name would start a fake line, an ANSI escape would repaint
 * a terminal), zero-width and bidirectional controls (which make text read differently
 * from what it is), line and paragraph separators and the byte-order mark.
 */
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;
const UNSAFE_OR_QUOTE = /["\\\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * A path as every message shows it: in double quotes, escaped as a JavaScript string
 * literal (so the model can paste it into code), with every unsafe character (see
 * UNSAFE_CHARS) as an escape. An ordinary path reads as `"src/a.ts"`.
 */
export function quotePath(p: string): string {
  return `"${p.replace(UNSAFE_OR_QUOTE, escapeChar)}"`;
}

/** A name as a tree line shows it: as it is, or quoted (see `quotePath`) when it holds an unsafe character or starts or ends with a space. */
export function displayName(name: string): string {
  return UNSAFE_CHARS.test(name) || name.trim() !== name || name.startsWith('"') ? quotePath(name) : name;
}

function escapeChar(c: string): string {
  switch (c) {
    case '"':
      return '\\"';
    case '\\':
      return '\\\\';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default:
      return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  }
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
      // Never the error's own message: it holds the absolute path.
      throw new RepoError(`Cannot access ${quotePath(rel)}: ${describeFsError(err)}.`);
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
