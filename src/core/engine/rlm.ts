/**
 * The Recursive Language Model, one question at a time: `runRlm` is a session that answers
 * one question and ends. Conversations (follow-ups over a warm REPL) use `RlmSession`.
 *
 * How a run is built: `runContext.ts` (what the whole run shares), `turnLoop.ts` (one RLM
 * node's turns), `hostCalls.ts` (the guest's calls into the host), `subCalls.ts` (llm() and
 * rlm()), `prompts.ts` (every sentence a model reads), `session.ts` (conversations).
 */
import { RlmSession, type AskOptions, type RlmResult, type RlmSessionOptions } from './session';

export { RlmRunError, RlmSession, type RlmResult, type RlmSessionOptions, type AskOptions } from './session';
export type { ModelRef, SandboxSettings } from './runContext';

export interface RlmRunOptions extends Omit<RlmSessionOptions, 'repo' | 'root'>, Pick<AskOptions, 'signal' | 'onEvent' | 'scope'> {
  repo: RlmSessionOptions['repo'];
  root: NonNullable<RlmSessionOptions['root']>;
  query: string;
}

export async function runRlm(options: RlmRunOptions): Promise<RlmResult> {
  const { query, signal, onEvent, scope, ...settings } = options;
  const session = new RlmSession(settings);
  try {
    return await session.ask(query, { signal, onEvent, scope });
  } finally {
    await session.dispose();
  }
}
