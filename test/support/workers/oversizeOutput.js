// A stand-in for a compromised sandbox process: it ignores the output cap it was given and
// sends 50 times as much, to check the host enforces the cap itself.
const { serve } = require('./lines');
let maxOutputChars = 0;
process.stdin.once('data', (chunk) => {
  maxOutputChars = JSON.parse(chunk.toString('utf8').split('\n')[0]).maxOutputChars;
});
serve((m, send) => {
  if (m.type !== 'run') return;
  const output = 'x'.repeat(maxOutputChars * 50);
  send({ type: 'done', cellId: m.cellId, output, cutChars: 0, error: null, answer: m.answer, unawaitedCalls: 0, answerProblem: null });
});
