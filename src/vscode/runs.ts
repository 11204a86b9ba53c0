/**
 * The runs of this window: running ones (for the status bar and "Stop All Runs") and the
 * recent finished ones with their traces (for the trace view and `/trace`). Each run keeps
 * its own record; two runs at once each have their own session and sandbox.
 */
import * as vscode from 'vscode';
import type { RlmEvent } from '../core/engine/events';
import type { RlmResult } from '../core/engine/session';
import type { RunTrace } from '../core/engine/trace';
import { ProgressNarrator, type RunStatus } from './progressText';

export type RunOrigin = 'chat' | 'command' | 'code lens' | 'tool';

export interface RunRecord {
  id: string;
  query: string;
  origin: RunOrigin;
  model: string;
  startedAt: number;
  finishedAt: number | null;
  state: 'running' | 'done' | 'stopped' | 'failed';
  status: RunStatus;
  /** The latest progress line. */
  lastLine: string;
  result: RlmResult | null;
  trace: RunTrace | null;
  error: string | null;
}

const KEEP = 20;

export class Runs implements vscode.Disposable {
  private readonly records: RunRecord[] = [];
  private readonly cancels = new Map<string, vscode.CancellationTokenSource>();
  private readonly changed = new vscode.EventEmitter<RunRecord>();
  readonly onDidChange = this.changed.event;
  private nextLocal = 0;

  /** Starts a record; the returned handle feeds it events and ends it. */
  start(query: string, origin: RunOrigin, model: string, concurrency: number, cancel: vscode.CancellationTokenSource): RunHandle {
    const narrator = new ProgressNarrator({ concurrency, modelLabel: model });
    const record: RunRecord = {
      id: `local-${++this.nextLocal}`,
      query,
      origin,
      model,
      startedAt: Date.now(),
      finishedAt: null,
      state: 'running',
      status: narrator.status,
      lastLine: 'Starting…',
      result: null,
      trace: null,
      error: null,
    };
    this.records.unshift(record);
    this.cancels.set(record.id, cancel);
    while (this.records.length > KEEP) this.records.pop();
    this.updateContext();
    this.changed.fire(record);
    const end = (state: RunRecord['state']) => {
      record.state = state;
      record.finishedAt = Date.now();
      this.cancels.delete(record.id);
      this.updateContext();
      this.changed.fire(record);
    };
    return {
      record,
      onEvent: (e) => {
        if (e.type === 'run-started') record.id = e.runId;
        const lines = narrator.handle(e);
        if (lines.length) record.lastLine = lines.at(-1)!;
        if (lines.length || e.type === 'usage' || e.type === 'step-started') this.changed.fire(record);
        return lines;
      },
      finish: (result) => {
        record.result = result;
        record.trace = result.trace;
        end(result.stoppedBy === 'cancelled' ? 'stopped' : 'done');
      },
      fail: (error, partial) => {
        record.error = error;
        record.trace = partial?.trace ?? null;
        record.result = partial ?? null;
        end('failed');
      },
    };
  }

  get running(): RunRecord[] {
    return this.records.filter((r) => r.state === 'running');
  }

  get recent(): readonly RunRecord[] {
    return this.records;
  }

  get(id: string): RunRecord | undefined {
    return this.records.find((r) => r.id === id);
  }

  /** The most recent run with a trace. */
  lastWithTrace(): RunRecord | undefined {
    return this.records.find((r) => r.trace !== null);
  }

  cancelAll(): void {
    for (const c of this.cancels.values()) c.cancel();
  }

  private updateContext(): void {
    void vscode.commands.executeCommand('setContext', 'rlm.running', this.running.length > 0);
  }

  dispose(): void {
    this.cancelAll();
    this.changed.dispose();
  }
}

export interface RunHandle {
  record: RunRecord;
  /** Feeds an engine event; returns the progress lines it gives. */
  onEvent(e: RlmEvent): string[];
  finish(result: RlmResult): void;
  fail(error: string, partial?: RlmResult): void;
}
