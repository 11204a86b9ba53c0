// What the stand-in sandbox processes share: the host's protocol, one JSON message per line
// on stdin and stdout. Answers init with ready and ping with pong; hands every other message
// to `onMessage`.
function serve(onMessage) {
  const send = (m) => process.stdout.write(JSON.stringify(m) + '\n');
  let buffered = '';
  process.stdin.on('data', (chunk) => {
    buffered += chunk.toString('utf8');
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const m = JSON.parse(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      if (m.type === 'init') send({ type: 'ready' });
      else if (m.type === 'ping') send({ type: 'pong', seq: m.seq });
      else onMessage(m, send);
    }
  });
  process.stdin.on('end', () => process.exit(0));
}
module.exports = { serve };
