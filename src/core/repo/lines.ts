/**
 * Lines as the repo API numbers them, in one place so that `read`, `stat` and both grep
 * engines agree: a line ends at "\n" (a "\r" before it is dropped, so CRLF files read
 * like LF files), a final line without "\n" still counts, an empty file has 0 lines, and
 * a UTF-8 byte-order mark is not part of line 1.
 */

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

/**
 * Walks the lines of a byte stream without holding the file in memory (for files above
 * the whole-read limit). `onLine` returns `false` to stop early, which also ends the
 * stream. Resolves to the number of lines visited.
 */
export async function scanLines(
  stream: AsyncIterable<Uint8Array | string>,
  onLine: (line: string, lineNo: number) => boolean | void,
): Promise<{ lines: number; stopped: boolean }> {
  let pending: Uint8Array[] = [];
  let lineNo = 0;
  const emit = (parts: Uint8Array[]): boolean => {
    lineNo++;
    let line = stripCr(Buffer.concat(parts).toString('utf8'));
    if (lineNo === 1) line = stripBom(line);
    return onLine(line, lineNo) !== false;
  };
  for await (const raw of stream) {
    const chunk: Uint8Array = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let from = 0;
    for (let nl = chunk.indexOf(10, from); nl !== -1; nl = chunk.indexOf(10, from)) {
      pending.push(chunk.subarray(from, nl));
      const go = emit(pending);
      pending = [];
      from = nl + 1;
      if (!go) return { lines: lineNo, stopped: true };
    }
    if (from < chunk.length) pending.push(chunk.subarray(from));
  }
  if (pending.some((p) => p.length > 0)) {
    const go = emit(pending);
    if (!go) return { lines: lineNo, stopped: true };
  }
  return { lines: lineNo, stopped: false };
}

/** UTF-8 text of a file's bytes (invalid sequences become U+FFFD). */
export function decodeUtf8(bytes: Uint8Array): string {
  return (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('utf8');
}
