/**
 * Lines as the repo API numbers them, in one place so that `read`, `stat` and both grep
 * engines agree: a line ends at "\n" (a "\r" before it is dropped, so CRLF files read
 * like LF files), a final line without "\n" still counts, an empty file has 0 lines, and
 * a UTF-8 byte-order mark is not part of line 1.
 */

import { formatBytes } from '../util/formatBytes';

const BOM = '\uFEFF';

export function stripBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(1) : text;
}

export function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** The lines of a decoded file, without terminators. */
export function splitLines(text: string): string[] {
  const body = stripBom(text);
  if (body === '') return [];
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) lines[i] = stripCr(lines[i]);
  return lines;
}

/** Longest line kept whole by a streamed scan; longer ones are cut there with `cutLineMarker`. */
export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

/** What ends a line cut short: its real length, so the model knows what it is not seeing. */
export function cutLineMarker(totalBytes: number, keptBytes: number): string {
  return ` [… line cut: it is ${formatBytes(totalBytes)} long; only its first ${formatBytes(keptBytes)} are shown]`;
}

export interface ScanOptions {
  /** Bytes of one line kept; the rest of the line is counted, not held. Default `DEFAULT_MAX_LINE_BYTES`. */
  maxLineBytes?: number;
  /** Stop after this many bytes of the stream; a line it cuts through is not reported. Default: no limit. */
  maxBytes?: number;
}

export interface ScanResult {
  /** Lines visited. */
  lines: number;
  /** `onLine` asked to stop. */
  stopped: boolean;
  /** The scan reached `maxBytes` before the end of the stream. */
  truncated: boolean;
}

/**
 * Walks the lines of a byte stream without holding the file in memory (for files above
 * the whole-read limit). `onLine` returns `false` to stop early, which also ends the
 * stream. Memory is bounded whatever the file holds: a line longer than `maxLineBytes`
 * (one line of 100 MB, a sparse file of gigabytes with no newline) is kept only up to
 * that many bytes and reported cut, with `cutLineMarker`; `maxBytes` bounds the work.
 */
export async function scanLines(
  stream: AsyncIterable<Uint8Array | string>,
  onLine: (line: string, lineNo: number) => boolean | void,
  options: ScanOptions = {},
): Promise<ScanResult> {
  const maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  let pending: Uint8Array[] = [];
  let kept = 0;
  let lineBytes = 0;
  let lineNo = 0;
  let seen = 0;
  const take = (part: Uint8Array): void => {
    lineBytes += part.length;
    if (kept >= maxLine || part.length === 0) return;
    const room = maxLine - kept;
    const piece = part.length <= room ? part : part.subarray(0, room);
    pending.push(piece);
    kept += piece.length;
  };
  const emit = (): boolean => {
    lineNo++;
    const bytes = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
    let line: string;
    if (lineBytes > kept) {
      const whole = utf8Prefix(bytes);
      line = decodeUtf8(whole) + cutLineMarker(lineBytes, whole.length);
    } else {
      line = stripCr(decodeUtf8(bytes));
    }
    if (lineNo === 1) line = stripBom(line);
    pending = [];
    kept = 0;
    lineBytes = 0;
    return onLine(line, lineNo) !== false;
  };
  for await (const raw of stream) {
    let chunk: Uint8Array = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const truncated = seen + chunk.length > maxBytes;
    if (truncated) chunk = chunk.subarray(0, Math.max(0, maxBytes - seen));
    seen += chunk.length;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let from = 0;
    for (let nl = buf.indexOf(10, from); nl !== -1; nl = buf.indexOf(10, from)) {
      take(buf.subarray(from, nl));
      from = nl + 1;
      if (!emit()) return { lines: lineNo, stopped: true, truncated: false };
    }
    if (from < buf.length) take(buf.subarray(from));
    if (truncated) return { lines: lineNo, stopped: false, truncated: true };
  }
  if (lineBytes > 0) {
    if (!emit()) return { lines: lineNo, stopped: true, truncated: false };
  }
  return { lines: lineNo, stopped: false, truncated: false };
}

/** `bytes` without a UTF-8 sequence cut off at its end (so a cut line does not end in U+FFFD). */
function utf8Prefix(bytes: Uint8Array): Uint8Array {
  let i = bytes.length - 1;
  // Back over continuation bytes (10xxxxxx) to the lead byte of the last sequence.
  let back = 0;
  while (i >= 0 && back < 3 && (bytes[i]! & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i < 0) return bytes;
  const lead = bytes[i]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return bytes.length - i < need ? bytes.subarray(0, i) : bytes;
}

export interface LineCount {
  lines: number;
  /** Newline bytes among them (what an estimate past `maxBytes` scales). */
  newlines: number;
  /** False when `maxBytes` stopped the count before the end: `lines` is then what the scanned part holds. */
  complete: boolean;
  /** Bytes counted. */
  scanned: number;
}

/**
 * Counts lines (as `splitLines` numbers them) without decoding or holding them: only the
 * newline bytes, a byte-order mark and the last byte matter. Stops after `maxBytes`.
 */
export async function countLines(chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array>, maxBytes = Number.POSITIVE_INFINITY): Promise<LineCount> {
  let newlines = 0;
  let scanned = 0;
  let last = -1;
  let head: number[] = [];
  for await (const raw of chunks) {
    let chunk: Uint8Array = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const truncated = scanned + chunk.length > maxBytes;
    if (truncated) chunk = chunk.subarray(0, Math.max(0, maxBytes - scanned));
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (head.length < 3) head = head.concat([...buf.subarray(0, 3 - head.length)]);
    for (let at = buf.indexOf(10); at !== -1; at = buf.indexOf(10, at + 1)) newlines++;
    if (buf.length > 0) last = buf[buf.length - 1]!;
    scanned += buf.length;
    if (truncated) return { lines: newlines + (last !== 10 && scanned > 0 ? 1 : 0), newlines, complete: false, scanned };
  }
  const bom = head.length === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  const lines = newlines + (last !== 10 && scanned > bom ? 1 : 0);
  return { lines, newlines, complete: true, scanned };
}

/** UTF-8 text of a file's bytes (invalid sequences become U+FFFD). */
export function decodeUtf8(bytes: Uint8Array): string {
  return (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('utf8');
}
