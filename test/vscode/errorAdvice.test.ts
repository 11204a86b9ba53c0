/**
 * What the editor tells the user about each failure, and which button it offers.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProviderError } from '../../src/core/providers/types';
import { COMMANDS, adviseOn, untrustedAdvice } from '../../src/vscode/errorAdvice';

const titles = (a: ReturnType<typeof adviseOn>) => a.actions.map((x) => x.title);

describe('error advice in the editor', () => {
  test('each provider fix names the editor\'s setting or command, never a CLI flag', () => {
    const cases: Array<[ProviderError, string[], string | undefined]> = [
      [new ProviderError('auth', 'The server rejected the API key (401).', { provider: 'openai', fix: 'api-key' }), ['Set OpenAI API Key'], undefined],
      [new ProviderError('unreachable', 'Cannot reach the server.', { provider: 'openai', fix: 'base-url' }), ['Open Base URL Setting', 'Show RLM Log'], 'rlm.openai.baseUrl'],
      [new ProviderError('unreachable', 'Cannot reach Ollama.', { provider: 'ollama', fix: 'ollama-host' }), ['Open Ollama Settings', 'Show RLM Log'], 'rlm.ollama'],
      [new ProviderError('context-length', 'Too long.', { provider: 'ollama', fix: 'context-window' }), ['Open Context Setting'], 'rlm.ollama.numCtx'],
      [new ProviderError('timeout', 'No response.', { provider: 'openai', fix: 'timeout' }), ['Open Timeout Setting'], 'rlm.requestTimeoutSeconds'],
      [new ProviderError('model-not-found', 'No such model.', { provider: 'vscode', fix: 'model' }), [], undefined],
    ];
    for (const [error, expected, setting] of cases) {
      const advice = adviseOn(error);
      assert.deepEqual(titles(advice), expected, error.message);
      assert.doesNotMatch(advice.message, /--[a-z]|OPENAI_API_KEY|OLLAMA_HOST/, 'no CLI flags or variables');
      if (setting) assert.deepEqual(advice.actions[0]!.arguments, [setting]);
    }
    assert.equal(adviseOn(cases[0]![0]).actions[0]!.command, COMMANDS.setKey);
  });

  test('a rate limit that outlasted the retries says what happened and offers the concurrency setting', () => {
    const advice = adviseOn(new ProviderError('rate-limit', 'GPT refused the request for now.', { provider: 'vscode' }));
    assert.match(advice.message, /retried with backoff and gave up for now.*lower rlm\.limits\.concurrency/);
    assert.deepEqual(advice.actions[0]!.arguments, ['rlm.limits.concurrency']);
  });

  test('no model, no folder, untrusted, and anything else', () => {
    const noModel = Object.assign(new Error('No chat model is available.'), { name: 'NoModelError' });
    assert.deepEqual(titles(adviseOn(noModel)), ['Open RLM Settings']);
    const noFolder = Object.assign(new Error('No folder is open.'), { name: 'NoFolderError' });
    assert.deepEqual(adviseOn(noFolder).actions.map((a) => a.command), [COMMANDS.openFolder]);
    assert.deepEqual(untrustedAdvice().actions.map((a) => a.command), [COMMANDS.manageTrust]);
    const other = adviseOn(new Error('boom'));
    assert.equal(other.message, 'RLM failed: boom');
    assert.deepEqual(titles(other), ['Show RLM Log']);
  });
});
