/**
 * Messages between the host (extension host or CLI process) and the sandbox worker.
 * Everything is plain structured-clonable data. The host treats every message from the
 * worker as untrusted: the worker runs hostile code.
 */

export interface AnswerState {
  content: string;
  ready: boolean;
}

export interface WorkerInit {
  repoName: string;
  hostFunctions: string[];
  maxOutputChars: number;
}

export type HostToWorker =
  | { type: 'run'; cellId: number; script: string; declaredNames: string[]; answer: AnswerState; repoName: string }
  | { type: 'rpc-result'; callId: number; ok: true; value: unknown }
  | { type: 'rpc-result'; callId: number; ok: false; error: { name: string; message: string } }
  | { type: 'ping'; seq: number }
  | { type: 'variables'; seq: number };

export type WorkerToHost =
  | { type: 'ready' }
  | { type: 'rpc'; cellId: number; callId: number; name: string; args: unknown[] }
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

/** A variable an earlier cell left in the REPL, as a follow-up question is told of it. */
export interface GuestVariable {
  name: string;
  /** What it holds, briefly: "array of 9", "string of 4,210 characters", "function". */
  summary: string;
}
