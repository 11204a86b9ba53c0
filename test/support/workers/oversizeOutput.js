// A stand-in for a compromised sandbox worker: it ignores the output cap it was given and
// sends 50 times as much, to check the host enforces the cap itself.
const { parentPort, workerData } = require('node:worker_threads');
parentPort.on('message', (m) => {
  if (m.type === 'run') {
    const output = 'x'.repeat(workerData.maxOutputChars * 50);
    parentPort.postMessage({ type: 'done', cellId: m.cellId, output, cutChars: 0, error: null, answer: m.answer, unawaitedCalls: 0, answerProblem: null });
  } else if (m.type === 'ping') parentPort.postMessage({ type: 'pong', seq: m.seq });
});
parentPort.postMessage({ type: 'ready' });
