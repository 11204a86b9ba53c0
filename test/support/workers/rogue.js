// A stand-in for a compromised sandbox process: each cell's source names a way to break the
// protocol, to check the host holds its limits without trusting the sandbox to.
const { serve } = require('./lines');
serve((m, send) => {
  if (m.type !== 'run') return;
  const rpc = (callId, args, extra = {}) => send({ type: 'rpc', cellId: m.cellId, callId, name: 'llm', undefinedAt: [], args, ...extra });
  switch (m.source) {
    case 'flood': {
      // 64 MiB without a newline: one "line" the host must stop reading long before its end.
      const chunk = 'x'.repeat(1 << 20);
      for (let i = 0; i < 64; i++) process.stdout.write(chunk);
      break;
    }
    case 'big-call':
      rpc(1, ['y'.repeat(20_000)]);
      break;
    case 'many-calls':
      for (let i = 1; i <= 5; i++) rpc(i, ['q']);
      break;
    case 'cell-bytes':
      for (let i = 1; i <= 3; i++) rpc(i, ['z'.repeat(900)]);
      break;
    case 'not-json':
      process.stdout.write('this is not json\n');
      break;
    case 'bad-undefined':
      rpc(1, ['q'], { undefinedAt: [7] });
      break;
    case 'huge-answer':
      // Within the line limit (a result may be about 3 MB), past the answer's 1,000,000 characters.
      send({ type: 'done', cellId: m.cellId, output: '', cutChars: 0, error: null, answer: { content: 'a'.repeat(1_500_000), ready: true }, unawaitedCalls: 0, answerProblem: null });
      break;
    case 'exit':
      process.exit(3);
      break;
    case 'oom':
      process.stderr.write('\n<--- Last few GCs --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n');
      process.exit(134);
      break;
    case 'spin':
      for (;;) {}
  }
});
