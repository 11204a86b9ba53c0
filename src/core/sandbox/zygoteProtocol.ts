/** Messages between the host and its sandbox zygote (zygote.ts), over node's IPC channel. Both sides are trusted code. */

export type ZygoteCommand =
  | { op: 'spawn'; id: number; command: string; args: string[]; env: Record<string, string>; niceness: number }
  | { op: 'kill'; id: number };

export type ZygoteEvent =
  | { op: 'spawned'; id: number; pid: number }
  /** Carries one of the process's pipes as the message's handle. */
  | { op: 'pipe'; id: number; which: 'stdin' | 'stdout' | 'stderr' }
  /** The process is gone (or never started: `error` says why). */
  | { op: 'exit'; id: number; code: number | null; signal: string | null; error: string | null };
