// A stand-in sandbox worker that speaks the protocol and reports what the host gave it:
// its environment and its execArgv. Used to check the host starts workers with nothing of its own.
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => {
  if (m.type === 'run') {
    const output = JSON.stringify({ env: Object.keys(process.env), execArgv: process.execArgv });
    parentPort.postMessage({ type: 'done', cellId: m.cellId, output, cutChars: 0, error: null, answer: m.answer, unawaitedCalls: 0, answerProblem: null });
  } else if (m.type === 'ping') parentPort.postMessage({ type: 'pong', seq: m.seq });
});
parentPort.postMessage({ type: 'ready' });
