// A stand-in sandbox process with no watchdog, that spins on its first cell and never reads
// again: only the host's exit hook can end it.
const { serve } = require('./lines');
serve((m) => {
  if (m.type === 'run') for (;;) {}
});
