// A stand-in sandbox process that speaks the protocol and reports what the host gave it:
// its environment and its flags. Used to check the host starts sandboxes with nothing of its own.
const { serve } = require('./lines');
serve((m, send) => {
  if (m.type !== 'run') return;
  const output = JSON.stringify({ env: Object.keys(process.env), execArgv: process.execArgv });
  send({ type: 'done', cellId: m.cellId, output, cutChars: 0, error: null, answer: m.answer, unawaitedCalls: 0, answerProblem: null });
});
