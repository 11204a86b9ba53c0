/**
 * File-system errors as messages may show them. Node's own messages name the absolute path
 * ("ENOENT: no such file or directory, open '/home/user/project/x'"), which gives away the
 * host's user name and layout; messages the model or a trace sees use this instead, with
 * the workspace-relative path supplied by the caller.
 */

/** A short description of an fs error without the path Node puts in its message. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const known: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOENT: 'no such file or directory',
    ENOTDIR: 'a part of the path is not a directory',
    EISDIR: 'is a directory',
    ELOOP: 'too many levels of symbolic links',
    ENAMETOOLONG: 'the path is too long',
    EMFILE: 'too many open files',
    ENFILE: 'too many open files in the system',
    EIO: 'input/output error',
    ENXIO: 'no such device or address',
    EBUSY: 'resource busy',
    EAGAIN: 'resource temporarily unavailable',
    ETIMEDOUT: 'timed out',
    EINVAL: 'invalid argument',
  };
  if (code !== undefined) return `${known[code] ?? 'file-system error'} (${code})`;
  return 'file-system error';
}
