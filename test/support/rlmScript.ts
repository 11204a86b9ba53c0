/**
 * Turns a per-conversation script into a `ScriptedModel` for the fake HTTP servers: root
 * calls (root or recursive RLMs) are told apart from sub-calls by their system prompt,
 * and the turn is read off the length of the conversation.
 */
import { SUBCALL_SYSTEM_PROMPT } from '../../src/core/engine/prompts';
import type { ScriptedModel, ScriptedRequest } from './scriptedModel';

export interface RootTurn {
  turn: number;
  question: string;
  lastUser: string;
  request: ScriptedRequest;
}

export function rlmScript(root: (t: RootTurn) => string | Promise<string>, sub: (prompt: string, request: ScriptedRequest) => string): ScriptedModel {
  return (request) => {
    const lastUser = [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    if (request.messages[0]?.content === SUBCALL_SYSTEM_PROMPT) return sub(lastUser, request);
    const key = request.messages[1]?.content ?? '';
    // Derived from the conversation, not counted, so a retried request gets the same turn.
    const turn = Math.floor((request.messages.length - 2) / 2);
    return root({ turn, question: /^Question: (.*)$/m.exec(key)?.[1] ?? '', lastUser, request });
  };
}

export function js(code: string): string {
  return `Let me look.\n\n\`\`\`js\n${code}\n\`\`\``;
}
