/**
 * The pipe between the host and a sandbox process: one JSON message per line (JSON text never
 * holds a raw newline). The reader on the host side refuses a line longer than its limit as
 * soon as it has that many bytes, so a sandbox can never make the host buffer more than the
 * limit, however much it writes.
 */

export class LineTooLong extends Error {
  override readonly name = 'LineTooLong';
}

export class LineReader {
  private parts: Buffer[] = [];
  private pending = 0;
  private failed = false;

  /**
   * @param maxLineBytes longest line accepted, newline excluded.
   * @param onLine called with each complete line's text.
   * @param onError called once when a line is too long; nothing more is read after it.
   */
  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onError: (error: LineTooLong) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (!this.failed) {
      const newline = chunk.indexOf(10, start);
      const end = newline < 0 ? chunk.length : newline;
      if (this.pending + (end - start) > this.maxLineBytes) {
        this.failed = true;
        this.parts = [];
        this.onError(new LineTooLong(`a message of more than ${this.maxLineBytes} bytes`));
        return;
      }
      if (newline < 0) {
        if (end > start) {
          this.parts.push(chunk.subarray(start));
          this.pending += end - start;
        }
        return;
      }
      const piece = chunk.subarray(start, newline);
      const line = this.parts.length === 0 ? piece.toString('utf8') : Buffer.concat([...this.parts, piece]).toString('utf8');
      this.parts = [];
      this.pending = 0;
      start = newline + 1;
      this.onLine(line);
    }
  }
}

/** One message as a line. */
export function encodeLine(message: unknown): string {
  return JSON.stringify(message) + '\n';
}
