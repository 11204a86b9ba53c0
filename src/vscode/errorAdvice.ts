/**
 * What to tell the user when a run cannot start or fails, and which button helps: the
 * core's errors say what went wrong and which setting would help (`ProviderError.details.fix`);
 * here that becomes the editor's setting or command. Pure (command ids, no editor API), so
 * it is unit-tested.
 */
import { ProviderError, type ProviderFix } from '../core/providers/types';

export interface Action {
  title: string;
  command: string;
  arguments?: unknown[];
}

export interface Advice {
  message: string;
  actions: Action[];
}

export const COMMANDS = {
  setKey: 'rlm.setOpenAIKey',
  showLog: 'rlm.showLog',
  showTrace: 'rlm.showTrace',
  openSettings: 'workbench.action.openSettings',
  manageTrust: 'workbench.trust.manage',
  openFolder: 'workbench.action.files.openFolder',
} as const;

const settings = (title: string, query: string): Action => ({ title, command: COMMANDS.openSettings, arguments: [query] });

/** Error names the runner throws before a run starts (kept as names so this file needs no editor types). */
export const NO_MODEL = 'NoModelError';
export const NO_FOLDER = 'NoFolderError';

export function untrustedAdvice(): Advice {
  return {
    message:
      'This workspace is not trusted, so RLM runs no model-written code in it. Trust the folder (Manage Workspace Trust) if you know where it comes from, then ask again.',
    actions: [{ title: 'Manage Workspace Trust', command: COMMANDS.manageTrust }],
  };
}

export function adviseOn(error: unknown): Advice {
  if (error instanceof ProviderError) return providerAdvice(error);
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === NO_MODEL) return { message, actions: [settings('Open RLM Settings', 'rlm.provider')] };
  if (name === NO_FOLDER) return { message, actions: [{ title: 'Open Folder…', command: COMMANDS.openFolder }] };
  return { message: `RLM failed: ${message}`, actions: [{ title: 'Show RLM Log', command: COMMANDS.showLog }] };
}

function providerAdvice(error: ProviderError): Advice {
  const provider = error.details.provider;
  const actions: Action[] = [];
  let message = error.message;
  const fix: ProviderFix | undefined = error.details.fix;
  switch (fix) {
    case 'api-key':
      actions.push({ title: 'Set OpenAI API Key', command: COMMANDS.setKey });
      break;
    case 'base-url':
      actions.push(settings('Open Base URL Setting', 'rlm.openai.baseUrl'));
      break;
    case 'ollama-host':
      actions.push(settings('Open Ollama Settings', 'rlm.ollama'));
      break;
    case 'model':
      if (provider !== 'vscode') actions.push(settings('Open Model Settings', provider === 'ollama' ? 'rlm.ollama.model' : 'rlm.openai.model'));
      break;
    case 'context-window':
      actions.push(settings('Open Context Setting', provider === 'ollama' ? 'rlm.ollama.numCtx' : 'rlm.openai.contextTokens'));
      break;
    case 'timeout':
      actions.push(settings('Open Timeout Setting', 'rlm.requestTimeoutSeconds'));
      break;
    default:
      break;
  }
  if (error.kind === 'rate-limit') {
    message += ' RLM retried with backoff and gave up for now: try again in a while, or lower rlm.limits.concurrency so fewer sub-calls run at once.';
    actions.push(settings('Open Concurrency Setting', 'rlm.limits.concurrency'));
  }
  if (error.kind === 'unreachable' || error.kind === 'server') actions.push({ title: 'Show RLM Log', command: COMMANDS.showLog });
  return { message, actions };
}
