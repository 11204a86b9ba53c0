/** Messages between the host and its sandbox launcher thread (launcher.ts). Both sides are trusted code. */

export type LauncherCommand =
  | { op: 'spawn'; id: number; command: string; args: string[]; env: Record<string, string>; maxLineBytes: number; niceness: number }
  /** Text for the process's stdin. */
  | { op: 'write'; id: number; data: string }
  | { op: 'kill'; id: number };

export type LauncherEvent =
  | { op: 'spawned'; id: number; pid: number }
  /** One complete line from the process's stdout, newline excluded. */
  | { op: 'line'; id: number; line: string }
  /** The process wrote a line longer than its limit; it has been killed. */
  | { op: 'broken'; id: number; why: string }
  /** The process is gone; `stderr` is the end of what it wrote there. */
  | { op: 'exit'; id: number; code: number | null; signal: string | null; stderr: string };
