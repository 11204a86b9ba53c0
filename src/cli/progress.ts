/**
 * Progress on stderr: one line rewritten in place on a terminal, one line per event
 * otherwise (so logs and CI output stay readable).
 */
import type { RlmEvent } from '../core/engine/events';
import type { UsageTotals } from '../core/engine/limits';

export function formatTokens(n: number): string {
  return n < 1000 ? String(n) : n < 1e6 ? `${(n / 1000).toFixed(1)}k` : `${(n / 1e6).toFixed(2)}M`;
}

export class ProgressReporter {
  private step = '';
  private running = 0;
  private done = 0;
  private failed = 0;
  private usage: UsageTotals | null = null;
  private lastLine = '';

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly enabled: boolean,
  ) {}

  handle(event: RlmEvent): void {
    if (!this.enabled) return;
    const indent = '  '.repeat('depth' in event ? event.depth : 0);
    switch (event.type) {
      case 'step-started':
        if (event.depth === 0) this.step = `step ${event.iteration}/${event.maxIterations}`;
        else this.log(`${indent}recursive step ${event.iteration}/${event.maxIterations}`);
        break;
      case 'subcall-started':
        this.running++;
        break;
      case 'subcall-finished':
        this.running--;
        if (event.ok) this.done++;
        else this.failed++;
        break;
      case 'usage':
        this.usage = event.totals;
        break;
      case 'retry':
        this.log(`${indent}retrying in ${(event.delayMs / 1000).toFixed(1)} s: ${event.reason}`);
        break;
      case 'sandbox-reset':
        this.log(`${indent}sandbox restarted (${event.reason})`);
        break;
      case 'output':
        if (event.error) this.log(`${indent}cell error: ${event.error.split('\n')[0]!.slice(0, 160)}`);
        break;
      case 'limit-hit':
        this.log(`${indent}${event.message}`);
        break;
      default:
        break;
    }
    this.render();
  }

  private statusLine(): string {
    const parts = [this.step || 'starting'];
    parts.push(`sub-calls ${this.done} done${this.running ? `, ${this.running} running` : ''}${this.failed ? `, ${this.failed} failed` : ''}`);
    if (this.usage) {
      parts.push(`tokens ${formatTokens(this.usage.inputTokens)} in / ${formatTokens(this.usage.outputTokens)} out${this.usage.estimated ? ' (est.)' : ''}`);
      if (this.usage.costUsd !== null && this.usage.costUsd > 0) parts.push(`$${this.usage.costUsd.toFixed(4)}`);
    }
    return parts.join(' · ');
  }

  private render(): void {
    const line = this.statusLine();
    if (line === this.lastLine) return;
    this.lastLine = line;
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${line}`);
    else this.out.write(`${line}\n`);
  }

  private log(message: string): void {
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${message}\n`);
    else this.out.write(`${message}\n`);
    this.lastLine = '';
  }

  finish(): void {
    if (this.enabled && this.out.isTTY) this.out.write('\r\x1b[2K');
  }
}
