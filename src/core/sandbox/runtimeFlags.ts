/**
 * V8 settings of the sandbox process that are not on its command line. A command-line V8
 * flag the runtime does not know ends the process at start (exit code 9: Node 24 dropped
 * `--no-expose-wasm`; the editor's Electron has its own V8), while `setFlagsFromString`
 * only complains about one. So the command line carries only Node's long-standing options
 * (heap sizes, --expose-gc) and the rest is done here, first thing, before SES or any guest
 * code loads.
 */
import { setFlagsFromString } from 'node:v8';

try {
  // An unknown flag only gets a line on stderr (Node 20-24 know this one).
  setFlagsFromString('--no-concurrent-array-buffer-sweeping');
} catch {
  // A runtime without it: refusals may come a collection early, nothing worse.
}
// WebAssembly memory lives outside every budget. The namespace is reachable only through this
// global (Node 24 no longer has --no-expose-wasm), so removing it before SES looks at the
// realm's globals removes it from the process.
delete (globalThis as { WebAssembly?: unknown }).WebAssembly;
