/**
 * Attacks by the model's reply itself, which the host parses on its own thread: fences
 * built to make a regular expression backtrack, nested and countless fences, a 20 MB cell,
 * a cell over the cell limit, and a cell nested past the parser's stack.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertHostHealthy, assertRecovered, attackTarget, cell, engineAttack, linuxOnly } from './kit';

const repo = attackTarget('replies');

describe('attack: pathological replies', linuxOnly, () => {
  test('a fence line of 190,000 spaces before a backtick (the old fence regex took seconds)', async () => {
    // The old pattern took 0.6 s on 40,000 spaces and grew with the square.
    const reply = '```' + ' '.repeat(190_000) + '`\n' + cell('print("after the trap")');
    const a = await engineAttack(repo.root, reply);
    assert.match(a.told, /after the trap/);
    assertHostHealthy('fence + 190k spaces + backtick', a.health);
    assertRecovered(a);
  });

  test('a line of 199,000 backticks closing a cell', async () => {
    const a = await engineAttack(repo.root, '```js\nprint("inside")\n' + '`'.repeat(199_000) + '\n');
    assert.match(a.told, /inside/);
    assertHostHealthy('199k backticks', a.health);
    assertRecovered(a);
  });

  test('fences nested inside fences', async () => {
    const nested = Array.from({ length: 2_000 }, (_, i) => '`'.repeat(3 + (i % 50)) + 'js').join('\n');
    const a = await engineAttack(repo.root, `${nested}\nprint("deep")\n${'`'.repeat(60)}\n`);
    assertHostHealthy('2,000 nested fences', a.health);
    assertRecovered(a);
  });

  test('8,000 tiny cells in one reply: only the first 20 run', async () => {
    const reply = Array.from({ length: 8_000 }, (_, i) => '```js\nprint(' + i + ')\n```').join('\n');
    const a = await engineAttack(repo.root, reply);
    assert.match(a.told, /^Your reply had 8,000 code blocks; only the first 20 ran\. Put more into each cell and send fewer of them\./);
    assert.match(a.told, /Cell 20 output:\n19\n/);
    assert.doesNotMatch(a.told, /Cell 21 output/);
    assertHostHealthy('8,000 cells', a.health);
    assertRecovered(a);
  });

  test('a 20 MB cell is not run, and the reply is not kept whole', async () => {
    // 20 MB of output is 5 million tokens, the whole default budget: give the run room for the next turns.
    const a = await engineAttack(repo.root, cell(`const data = "${'x'.repeat(20_000_000)}"; print(data.length)`), { limits: { maxTokens: 50_000_000 } });
    assert.match(a.told, /^Your reply was 20,000,\d{3} characters, more than the 200,000 a reply may have, so none of its code ran\. Reply with short cells \(each under 100,000 characters\)/);
    const kept = a.provider.rootRequests.filter((r) => /^Question: attack$/m.test(r.messages[1]!.content))[1]!.messages[2]!;
    assert.equal(kept.role, 'assistant');
    assert.ok(kept.content.length < 2_100, `the conversation kept ${kept.content.length} characters of the reply`);
    assertHostHealthy('20 MB cell', a.health);
    assertRecovered(a);
  });

  test('a cell over the cell limit in a reply under the reply limit', async () => {
    const a = await engineAttack(repo.root, cell(`// ${'y'.repeat(150_000)}\nprint(1)`));
    assert.match(a.told, /The cell is 150,012 characters, more than the 100,000 a cell may have, so it was not run\. Keep data out of the code/);
    assertHostHealthy('150k-character cell', a.health);
    assertRecovered(a);
  });

  test('a cell nested 90,000 levels deep is refused by the parser in the sandbox, not the host', async () => {
    const a = await engineAttack(repo.root, cell(`const x = ${'['.repeat(45_000)}${']'.repeat(45_000)}`));
    assert.match(a.told, /The cell is nested too deeply to parse .* Build deep data with a loop instead of writing it out\./);
    assertHostHealthy('90k-deep nesting', a.health);
    assertRecovered(a);
  });
});
