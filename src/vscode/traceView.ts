/**
 * RLM: Show Trace: a webview with the recent runs as a tree: the root's steps with their
 * code and output, sub-calls with prompt and reply sizes, recursive RLMs nested, depth,
 * tokens, durations, files read; a run can be exported to JSON.
 *
 * The page is local (media/trace.js, media/trace.css) under a strict Content Security
 * Policy: no remote content, no inline script but the nonce'd one, and everything from the
 * trace is inserted as text, never as HTML (model output is untrusted).
 */
import * as vscode from 'vscode';
import type { RunTrace } from '../core/engine/trace';
import type { RunRecord, Runs } from './runs';

interface RunSummary {
  id: string;
  query: string;
  origin: string;
  model: string;
  state: RunRecord['state'];
  startedAt: number;
  durationMs: number | null;
  lastLine: string;
  error: string | null;
  trace: RunTrace | null;
}

export class TraceView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private selected: string | undefined;
  /** Set once the user picks a run in the view: until then it follows the newest run. */
  private pinned = false;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runs: Runs,
  ) {
    this.subscriptions.push(
      runs.onDidChange((record) => {
        if (!this.pinned && record.state === 'running') this.selected = record.id;
        this.post();
      }),
    );
  }

  show(runId?: string): void {
    this.pinned = runId !== undefined;
    this.selected = runId ?? this.runs.lastWithTrace()?.id ?? this.runs.recent[0]?.id;
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside);
      this.post();
      return;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel('rlm.trace', 'RLM Trace', vscode.ViewColumn.Beside, {
      enableScripts: true,
      localResourceRoots: [media],
      retainContextWhenHidden: false,
    });
    this.panel = panel;
    panel.webview.html = this.html(panel.webview, media);
    panel.onDidDispose(() => (this.panel = undefined), null, this.subscriptions);
    panel.webview.onDidReceiveMessage((m: { type?: string; id?: string }) => this.onMessage(m), null, this.subscriptions);
  }

  private async onMessage(m: { type?: string; id?: string }): Promise<void> {
    if (m.type === 'ready') this.post();
    else if (m.type === 'select' && typeof m.id === 'string') {
      this.selected = m.id;
      this.pinned = true;
      this.post();
    } else if (m.type === 'export' && typeof m.id === 'string') await this.export(m.id);
  }

  private async export(id: string): Promise<void> {
    const trace = this.runs.get(id)?.trace;
    if (!trace) return;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: 'Export RLM trace',
      filters: { JSON: ['json'] },
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `rlm-trace-${trace.startedAt.replace(/[:.]/g, '-')}.json`) } : {}),
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(trace, null, 2)));
    void vscode.window.showInformationMessage(`RLM: trace written to ${vscode.workspace.asRelativePath(target)}.`);
  }

  private post(): void {
    if (!this.panel) return;
    const runs: RunSummary[] = this.runs.recent.map((r) => ({
      id: r.id,
      query: r.query,
      origin: r.origin,
      model: r.model,
      state: r.state,
      startedAt: r.startedAt,
      durationMs: r.finishedAt ? r.finishedAt - r.startedAt : null,
      lastLine: r.lastLine,
      error: r.error,
      trace: r.id === this.selected ? r.trace : null,
    }));
    void this.panel.webview.postMessage({ type: 'runs', runs, selected: this.selected ?? null });
  }

  private html(webview: vscode.Webview, media: vscode.Uri): string {
    const nonce = Array.from({ length: 32 }, () => Math.floor(Math.random() * 36).toString(36)).join('');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'trace.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'trace.css'));
    const csp = [`default-src 'none'`, `style-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`, `img-src ${webview.cspSource}`, `font-src ${webview.cspSource}`].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>RLM Trace</title>
</head>
<body>
<main id="app"><p class="empty">No runs yet. Ask <code>@rlm</code> a question, or run RLM: Ask About Workspace.</p></main>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.panel?.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
