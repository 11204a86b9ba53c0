/**
 * How an answer is shown: in the chat view, Markdown with inline anchors for every file the
 * run read (visible without a click), the ranges read as references, and a note when the
 * answer is a draft or read unsaved text; in a document (Summarize Folder, Ask About
 * Workspace), Markdown with links to the files and lines.
 */
import * as vscode from 'vscode';
import type { Citation } from '../core/engine/citations';
import { formatCitation } from '../core/engine/citations';
import type { RlmResult } from '../core/engine/session';
import { linkCitations } from './citationLinks';
import type { WorkspacePaths } from './editorWorkspace';
import { usageText } from './progressText';

/** At most this many ranges are attached as references (the trace has them all). */
const MAX_REFERENCES = 60;

function locationOf(paths: WorkspacePaths, path: string, range: { start: number; end: number } | null): vscode.Location | vscode.Uri | undefined {
  const uri = paths.toUri(path);
  if (!uri) return undefined;
  if (!range) return uri;
  return new vscode.Location(uri, new vscode.Range(range.start - 1, 0, range.end - 1, Number.MAX_SAFE_INTEGER));
}

/** Streams the answer into a chat response. */
export function streamAnswer(stream: vscode.ChatResponseStream, result: RlmResult, paths: WorkspacePaths): void {
  for (const segment of linkCitations(result.answer, result.citations)) {
    if (segment.kind === 'text') {
      stream.markdown(segment.text);
      continue;
    }
    const target = locationOf(paths, segment.path, segment.range);
    if (target) stream.anchor(target, segment.label);
    else stream.markdown(segment.label);
  }
  const unsaved = result.citations.filter((c) => c.unsaved);
  if (unsaved.length) stream.markdown(`\n\n*Read unsaved changes in ${unsaved.map((c) => `\`${c.path}\``).join(', ')}.*`);
  if (result.note) stream.markdown(`\n\n> **Note:** ${result.note}`);
  let attached = 0;
  for (const c of result.citations) {
    for (const r of c.ranges) {
      if (attached++ >= MAX_REFERENCES) break;
      const target = locationOf(paths, c.path, r);
      if (target) stream.reference(target);
    }
  }
}

/**
 * A one-line footer: what the run cost. The root model's turns are "turns", not "steps": VS
 * Code heads a finished response with "Completed N steps", counting its progress lines.
 */
export function runFooter(result: RlmResult): string {
  const turns = result.trace.root.steps.length;
  return `${turns} turn${turns === 1 ? '' : 's'} · ${result.usage.subCalls} sub-call${result.usage.subCalls === 1 ? '' : 's'} · ${usageText(result.usage)} · ${result.citations.length} file${result.citations.length === 1 ? '' : 's'} read`;
}

/** The answer as a Markdown document, its citations as links to the lines. */
export function answerDocument(title: string, result: RlmResult, paths: WorkspacePaths): string {
  const link = (path: string, range: { start: number; end: number } | null, label: string) => {
    const uri = paths.toUri(path);
    if (!uri) return label;
    return `[${label}](${uri.with({ fragment: range ? `L${range.start}` : '' }).toString()})`;
  };
  const body = linkCitations(result.answer, result.citations)
    .map((s) => (s.kind === 'text' ? s.text : link(s.path, s.range, s.label)))
    .join('');
  const files = result.citations.map((c: Citation) => `- ${link(c.path, c.ranges[0] ?? null, formatCitation(c))}${c.unsaved ? ' (unsaved changes)' : ''}`);
  return [
    `# ${title}`,
    '',
    body.trim(),
    '',
    ...(result.note ? [`> **Note:** ${result.note}`, ''] : []),
    '---',
    '',
    `**Files read** (${runFooter(result)})`,
    '',
    ...(files.length ? files : ['- none']),
    '',
  ].join('\n');
}

/**
 * Opens `content` as a Markdown document beside the editor. The source, not the preview:
 * the Markdown preview refuses `file:` links (markdown-it's rule), so only in the editor are
 * the citations links (Ctrl+click) to the lines.
 */
export async function openMarkdown(content: string): Promise<void> {
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content });
  await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Beside });
}
