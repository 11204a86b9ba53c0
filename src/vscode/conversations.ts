/**
 * One `RlmSession` per chat conversation, so a follow-up finds the REPL's variables still
 * there, plus one spare session kept warm so the next new conversation's first cell waits
 * for no sandbox start. Sessions idle for a while are disposed (their workers end); a
 * follow-up after that gets the conversation's history from the chat view instead.
 *
 * VS Code gives a chat conversation no id: the id travels in each answer's result metadata
 * and comes back with the history of the next request.
 */
import { randomUUID } from 'node:crypto';
import type { RlmSession } from '../core/engine/session';

export interface ConversationsOptions {
  create(): RlmSession;
  /** A conversation unused this long is ended. */
  idleMs?: number;
  /** The spare is ended when no question came for this long. */
  spareIdleMs?: number;
  /** At most this many conversations keep a session; the least recently used goes first. */
  maxLive?: number;
}

interface Live {
  session: RlmSession;
  lastUsed: number;
  timer: NodeJS.Timeout | undefined;
}

export class Conversations {
  private readonly live = new Map<string, Live>();
  private spare: RlmSession | undefined;
  private spareTimer: NodeJS.Timeout | undefined;
  private readonly idleMs: number;
  private readonly spareIdleMs: number;
  private readonly maxLive: number;
  private disposed = false;

  constructor(private readonly options: ConversationsOptions) {
    this.idleMs = options.idleMs ?? 15 * 60_000;
    this.spareIdleMs = options.spareIdleMs ?? 10 * 60_000;
    this.maxLive = options.maxLive ?? 6;
  }

  /**
   * The session of conversation `id` when it is still live, else a new one (the spare when
   * it is warm). `warm` says whether the session has the conversation's REPL state.
   */
  take(id: string | undefined): { id: string; session: RlmSession; warm: boolean } {
    const existing = id ? this.live.get(id) : undefined;
    if (existing && !existing.session.answering) {
      existing.lastUsed = Date.now();
      this.schedule(id!, existing);
      return { id: id!, session: existing.session, warm: true };
    }
    const session = this.spare ?? this.options.create();
    this.spare = undefined;
    const newId = randomUUID();
    const entry: Live = { session, lastUsed: Date.now(), timer: undefined };
    this.live.set(newId, entry);
    this.schedule(newId, entry);
    this.evict();
    this.prewarm();
    return { id: newId, session, warm: false };
  }

  /** Keeps one session warm for the next new conversation. */
  prewarm(): void {
    if (this.disposed) return;
    if (!this.spare) {
      this.spare = this.options.create();
      this.spare.warm().catch(() => {});
    }
    if (this.spareTimer) clearTimeout(this.spareTimer);
    this.spareTimer = setTimeout(() => {
      const spare = this.spare;
      this.spare = undefined;
      void spare?.dispose();
    }, this.spareIdleMs);
    this.spareTimer.unref?.();
  }

  /** Ends every session (settings changed, or the extension stops). */
  async reset(): Promise<void> {
    const sessions = [...this.live.values()].map((l) => l.session);
    for (const l of this.live.values()) if (l.timer) clearTimeout(l.timer);
    this.live.clear();
    if (this.spare) sessions.push(this.spare);
    this.spare = undefined;
    if (this.spareTimer) clearTimeout(this.spareTimer);
    await Promise.all(sessions.map((s) => s.dispose().catch(() => {})));
  }

  get liveCount(): number {
    return this.live.size;
  }

  private schedule(id: string, entry: Live): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      if (entry.session.answering) return this.schedule(id, entry);
      this.live.delete(id);
      void entry.session.dispose();
    }, this.idleMs);
    entry.timer.unref?.();
  }

  private evict(): void {
    while (this.live.size > this.maxLive) {
      const oldest = [...this.live.entries()].filter(([, l]) => !l.session.answering).sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      if (!oldest) return;
      if (oldest[1].timer) clearTimeout(oldest[1].timer);
      this.live.delete(oldest[0]);
      void oldest[1].session.dispose();
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.reset();
  }
}
