/**
 * What counts as a binary file. Binary files are listed (they are part of the workspace
 * and their sizes matter) but their bytes are never shown to the model nor searched:
 * matches inside an image or an archive are noise, and their "lines" can be megabytes.
 *
 * A file is binary when its extension says so, or when its first 8 KiB hold a NUL byte
 * (the same test git and ripgrep use; UTF-16 text counts as binary by it, as in git).
 */
import * as path from 'node:path';

/** Bytes examined for a NUL byte. */
export const SNIFF_BYTES = 8192;

/** Extensions that are binary whatever their first bytes look like (lower case, no dot). */
export const BINARY_EXTENSIONS: ReadonlySet<string> = new Set([
  // images
  'png', 'jpg', 'jpeg', 'gif', 'bmp', 'ico', 'icns', 'webp', 'tif', 'tiff', 'psd', 'avif', 'heic',
  // audio and video
  'mp3', 'mp4', 'm4a', 'm4v', 'wav', 'ogg', 'oga', 'flac', 'aac', 'avi', 'mov', 'mkv', 'webm', 'wmv',
  // archives and packages
  'zip', 'gz', 'tgz', 'bz2', 'xz', 'zst', '7z', 'rar', 'tar', 'jar', 'war', 'ear', 'vsix', 'nupkg', 'whl', 'deb', 'rpm', 'apk',
  // documents
  'pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'odt', 'ods', 'odp',
  // compiled code and libraries
  'exe', 'dll', 'so', 'dylib', 'a', 'lib', 'o', 'obj', 'class', 'pyc', 'pyo', 'pyd', 'wasm', 'node', 'bin', 'dat',
  // fonts
  'woff', 'woff2', 'ttf', 'otf', 'eot',
  // databases, disk images, data and model files
  'sqlite', 'sqlite3', 'db', 'dmg', 'iso', 'img', 'parquet', 'npy', 'npz', 'pkl', 'pt', 'pth', 'onnx', 'h5', 'safetensors',
]);

export function hasBinaryExtension(relPath: string): boolean {
  const ext = path.posix.extname(relPath).slice(1).toLowerCase();
  return ext !== '' && BINARY_EXTENSIONS.has(ext);
}

/** True when the start of a file (up to `SNIFF_BYTES`) holds a NUL byte. */
export function looksBinary(head: Uint8Array): boolean {
  const end = Math.min(head.length, SNIFF_BYTES);
  for (let i = 0; i < end; i++) if (head[i] === 0) return true;
  return false;
}
