/**
 * Takes the host's absolute paths out of a message before a model reads it. An error from
 * Node (ENOENT, a module that failed to load, a spawn failure) names files by absolute path,
 * which tells a hostile model the user's name, home and install layout.
 *
 * Every absolute path of two or more segments (POSIX, Windows drive or UNC, file: URL)
 * becomes "…/" and its last segment, which keeps the message readable ("…/sandbox-worker.js
 * is missing"). Relative paths, the kind the sandbox API uses, are left alone. The patterns
 * have no nested ambiguity: they run in linear time whatever the text.
 */

// A segment: anything but separators, whitespace, quotes and the punctuation that ends a path in prose.
const SEG = String.raw`[^\s/\\'"\x60<>|:;,()[\]{}*?]+`;
const POSIX = String.raw`(?<![\w.~%:/\\-])/(?:${SEG}/)+${SEG}?`;
const WINDOWS = String.raw`(?<![\w])(?:[A-Za-z]:|\\\\${SEG})\\(?:${SEG}\\)*${SEG}?`;
const FILE_URL = String.raw`file:///?(?:${SEG}/)+${SEG}?`;
const ABSOLUTE = new RegExp(`${FILE_URL}|${POSIX}|${WINDOWS}`, 'g');

export function scrubHostPaths(text: string): string {
  return text.replace(ABSOLUTE, (match) => {
    const last = match.split(/[/\\]/).filter(Boolean).at(-1) ?? '';
    const directory = /[/\\]$/.test(match);
    return last && !/^[A-Za-z]:$/.test(last) && !last.startsWith('file:') ? `…/${last}${directory ? '/' : ''}` : '…/';
  });
}
