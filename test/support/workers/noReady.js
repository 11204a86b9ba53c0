// A stand-in sandbox process that starts but never says it is ready.
process.stdin.resume();
setInterval(() => {}, 1 << 30);
