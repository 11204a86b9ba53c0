// A stand-in sandbox process that spins on its first cell and never reads again: only the
// host's side (its exit hook, the zygote) can end it.
const { serve } = require('./lines');
serve((m) => {
  if (m.type === 'run') for (;;) {}
});
