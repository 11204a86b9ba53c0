import * as assert from 'node:assert/strict';
import { ProviderError, type ProviderErrorKind, type RetryInfo } from '../../src/core/providers';

/** Awaits `promise`, asserts that it rejects with a ProviderError of `kind`, and returns the error. */
export async function expectProviderError(promise: Promise<unknown>, kind: ProviderErrorKind): Promise<ProviderError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected a ProviderError of kind ${kind}, but the promise resolved`);
  assert.ok(caught instanceof ProviderError, `expected a ProviderError, got ${String(caught)}`);
  assert.equal(caught.kind, kind, `expected kind ${kind}, got ${caught.kind}: ${caught.message}`);
  return caught;
}

export { closedPort } from '../support/loopback';

/** Collects onRetry calls. */
export function retryLog(): { calls: RetryInfo[]; onRetry: (info: RetryInfo) => void } {
  const calls: RetryInfo[] = [];
  return { calls, onRetry: (info) => calls.push(info) };
}

export const USER_MESSAGES = [
  { role: 'system' as const, content: 'You are a test model.' },
  { role: 'user' as const, content: 'Say something long enough to be split into several streamed chunks.' },
];

export const REPLY = 'Here is a scripted reply that the fake server streams back in several pieces.';

export function promptTokens(messages: { content: string }[]): number {
  return Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4);
}
