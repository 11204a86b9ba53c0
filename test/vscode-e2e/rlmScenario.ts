/**
 * The workspace and the scripted model the RLM e2e scenarios share (the model: rlmModel.cjs).
 */

export const WORKSPACE_FILES: Record<string, string> = {
  'README.md': '# demo service\n\nA small HTTP service.\n',
  'src/config/retry.ts': '// How often a failed request is tried again.\n\nexport const MAX_RETRIES = 5;\nexport const BACKOFF_MS = 200;\n',
  'src/server/http.ts': [
    'import { MAX_RETRIES } from "../config/retry";',
    '',
    'export function createServer(port: number) {',
    '  let attempts = 0;',
    '  while (attempts < MAX_RETRIES) attempts++;',
    '  return { port, attempts };',
    '}',
    '',
  ].join('\n'),
  'src/index.ts': 'import { createServer } from "./server/http";\ncreateServer(8080);\n',
};

/** The scripted model (a CommonJS module the fixture extension loads). */
export const MODEL_SCRIPT = require.resolve('./rlmModel.cjs');
