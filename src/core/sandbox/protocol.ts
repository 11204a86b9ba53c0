/**
 * Messages between the host (extension host or CLI process) and the sandbox process, one
 * JSON object per line over the process's stdin and stdout (channel.ts). The host treats
 * every message from the sandbox as untrusted: the sandbox runs hostile code.
 */

export interface AnswerState {
  content: string;
  ready: boolean;
}

/** What the sandbox process is told before it runs anything. */
export interface WorkerInit {
  repoName: string;
  /** The host functions with their parameter names (for messages about their arguments). */
  hostFunctions: Array<{ name: string; params: string[] }>;
  /** Names a cell may not redeclare (the API's globals). */
  reservedGlobals: string[];
  maxOutputChars: number;
  /** Longest cell, and longest code a cell may compile at run time, in characters. */
  maxCellChars: number;
  /** Longest answer.content, in characters. */
  maxAnswerChars: number;
  maxCallBytes: number;
  maxCellBytes: number;
  maxCallsPerCell: number;
  arrayBufferBytes: number;
}

export type HostToWorker =
  | ({ type: 'init' } & WorkerInit)
  | { type: 'run'; cellId: number; source: string; answer: AnswerState; repoName: string }
  | { type: 'rpc-result'; callId: number; ok: true; value: unknown }
  | { type: 'rpc-result'; callId: number; ok: false; error: { name: string; message: string } }
  | { type: 'ping'; seq: number }
  | { type: 'variables'; seq: number };

export type WorkerToHost =
  | { type: 'ready' }
  /** `args` is the JSON the sandbox produced; positions in `undefinedAt` were `undefined`. */
  | { type: 'rpc'; cellId: number; callId: number; name: string; undefinedAt: number[]; args: unknown[] }
  | {
      type: 'done';
      cellId: number;
      output: string;
      /** Characters of output dropped past the limit. */
      cutChars: number;
      error: string | null;
      answer: AnswerState;
      /** Host calls the cell started but did not await before it ended. */
      unawaitedCalls: number;
      /** Set when `answer` was given something the host cannot use. */
      answerProblem: string | null;
    }
  | { type: 'pong'; seq: number }
  | { type: 'variables'; seq: number; variables: GuestVariable[] };

/** A global a cell left behind, as a follow-up question is told about it. */
export interface GuestVariable {
  name: string;
  /** e.g. "array of 120", "string of 5,400 characters", "function". */
  summary: string;
}

/** Bytes an `rpc` line may take beyond its arguments: type, ids, an API name and the undefined list (about 100 in practice). */
export const RPC_ENVELOPE_BYTES = 512;
