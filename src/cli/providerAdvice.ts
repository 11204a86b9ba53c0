/**
 * What to do about a provider error, in the command line's terms. The core's messages say
 * what went wrong and which setting would help (`details.fix`); only the CLI knows that the
 * setting is a flag or an environment variable.
 */
import type { ProviderError, ProviderFix } from '../core/providers/types';

const OPENAI_ADVICE: Record<ProviderFix, string> = {
  'api-key': 'Set OPENAI_API_KEY to a valid key for this server.',
  'base-url': 'Set the base URL with --base-url or OPENAI_BASE_URL.',
  'ollama-host': 'Set the host with --host or OLLAMA_HOST.',
  model: 'Choose the model with --model.',
  'context-window': 'A cheaper, narrower question or a model with a bigger context helps; --sub-model picks another model for sub-calls.',
  timeout: 'Allow longer with --timeout SECONDS.',
};

const OLLAMA_ADVICE: Partial<Record<ProviderFix, string>> = {
  'ollama-host': 'Set the host with --host or OLLAMA_HOST (default http://127.0.0.1:11434).',
  'context-window': 'Raise the context with --num-ctx N if the model supports it.',
};

/** The error's message followed by the CLI's advice, when there is any. */
export function describeProviderError(error: ProviderError): string {
  const fix = error.details.fix;
  if (!fix) return error.message;
  const advice = (error.details.provider === 'ollama' ? OLLAMA_ADVICE[fix] : undefined) ?? OPENAI_ADVICE[fix];
  return `${error.message} ${advice}`;
}
