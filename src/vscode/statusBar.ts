/**
 * A status bar item while runs go: step, tokens and cost of the latest running one (and how
 * many run at once); clicking it opens that run's trace.
 */
import * as vscode from 'vscode';
import { formatCost, formatTokens } from './progressText';
import type { Runs } from './runs';

export function registerStatusBar(runs: Runs): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('rlm.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'RLM';
  const update = () => {
    const running = runs.running;
    if (running.length === 0) {
      item.hide();
      return;
    }
    const run = running[0]!;
    const s = run.status;
    const cost = formatCost(s.costUsd);
    const step = s.maxSteps ? `turn ${s.step}/${s.maxSteps}` : 'starting';
    item.text = `$(sync~spin) RLM: ${step} · ${s.estimated ? '~' : ''}${formatTokens(s.tokens)} tok${cost ? ` · ${cost}` : ''}${running.length > 1 ? ` (+${running.length - 1} more)` : ''}`;
    item.tooltip = new vscode.MarkdownString(`**${run.query.slice(0, 200)}**\n\n${run.lastLine}\n\nSub-calls: ${s.subCallsRunning} running, ${s.subCallsDone} done. Click for the trace.`);
    item.command = { title: 'Show Trace', command: 'rlm.showTrace', arguments: [run.id] };
    item.show();
  };
  const sub = runs.onDidChange(update);
  return vscode.Disposable.from(item, sub);
}
