/**
 * V8 settings of the sandbox process that are not on its command line. A command-line V8
 * flag the runtime does not know ends the process at start (exit code 9: Node 24 dropped
 * `--no-expose-wasm`; the editor's Electron has its own V8), while `setFlagsFromString`
 * ignores one it does not know. So the command line carries only Node's long-standing
 * options (heap sizes, --expose-gc) and the rest is set here, first thing, before SES or
 * any guest code loads. WebAssembly is also removed from this realm's globals: the guest's
 * compartment never had it, and now nothing in the process can reach it.
 */
import { setFlagsFromString } from 'node:v8';

for (const flag of ['--no-expose-wasm', '--no-concurrent-array-buffer-sweeping']) {
  try {
    setFlagsFromString(flag);
  } catch {
    // A runtime without the flag: the defences that do not depend on it still hold.
  }
}
delete (globalThis as { WebAssembly?: unknown }).WebAssembly;
