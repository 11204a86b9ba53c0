/**
 * A language-model tool for agent mode (and any participant): `rlm_askCodebase` answers a
 * codebase question with a full RLM run and returns the answer with the files and lines it
 * read, so Copilot's agent can hand exhaustive questions ("every place that…") to RLM. It
 * asks for confirmation before running (a run reads the workspace and calls models), and
 * honours cancellation.
 */
import * as vscode from 'vscode';
import { formatCitation } from '../core/engine/citations';
import { adviseOn } from './errorAdvice';
import { runFooter } from './answerView';
import { UntrustedWorkspaceError, type Runner } from './runner';

export const TOOL_NAME = 'rlm_askCodebase';

interface Input {
  question: string;
  files?: string[];
}

export function registerTool(runner: Runner): vscode.Disposable {
  return vscode.lm.registerTool<Input>(TOOL_NAME, {
    prepareInvocation(options) {
      const q = options.input?.question ?? '';
      return {
        invocationMessage: `Asking RLM: ${q.slice(0, 80)}${q.length > 80 ? '…' : ''}`,
        confirmationMessages: {
          title: 'Run RLM over the workspace?',
          message: new vscode.MarkdownString(
            `RLM will explore the workspace with code and sub-model calls to answer:\n\n> ${q.replace(/\n/g, ' ').slice(0, 500)}\n\n` +
              (options.input?.files?.length ? `Limited to: ${options.input.files.map((f) => `\`${f}\``).join(', ')}\n\n` : '') +
              'It may take a while and uses the model\'s tokens.',
          ),
        },
      };
    },
    async invoke(options, token) {
      const { question, files } = options.input ?? ({} as Input);
      if (typeof question !== 'string' || !question.trim()) {
        return result('The rlm_askCodebase tool needs a "question": the question about the codebase, self-contained.');
      }
      try {
        const outcome = await runner.ask({ query: question.trim(), origin: 'tool', token, ...(Array.isArray(files) && files.length ? { scope: files.filter((f) => typeof f === 'string') } : {}) });
        const r = outcome.result;
        const parts = [r.answer.trim() || '(no answer)'];
        if (r.note) parts.push(`Note: ${r.note}`);
        if (outcome.failure) parts.push(`The run failed part-way: ${adviseOn(outcome.failure).message}`);
        if (r.citations.length) parts.push(`Files and lines RLM read:\n${r.citations.map((c) => `- ${formatCitation(c)}`).join('\n')}`);
        parts.push(`(${runFooter(r)})`);
        return result(parts.join('\n\n'));
      } catch (error) {
        if (error instanceof UntrustedWorkspaceError) return result('RLM does not run in an untrusted workspace; the user must trust the folder first.');
        return result(`RLM could not run: ${adviseOn(error).message}`);
      }
    },
  });
}

function result(text: string): vscode.LanguageModelToolResult {
  return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(text)]);
}
