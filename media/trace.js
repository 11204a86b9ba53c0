// The RLM trace view. Renders the runs the extension posts as a tree. Everything from a
// trace is model or repository text: it is only ever set as textContent, never as HTML.
(function () {
  const vscode = acquireVsCodeApi();
  const app = document.getElementById('app');
  const open = new Set(vscode.getState()?.open ?? []);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  const num = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : '–');
  const ms = (d) => (typeof d !== 'number' ? '' : d < 1000 ? `${Math.round(d)} ms` : `${(d / 1000).toFixed(1)} s`);
  const tokens = (u) => (u ? `${num(u.inputTokens + u.outputTokens)} tok${u.estimated ? ' (est.)' : ''}` : '');

  /** A collapsible node; `key` keeps it open across re-renders. */
  function node(key, summaryParts, fill, startOpen) {
    const d = el('details', 'node');
    d.dataset.key = key;
    if (open.has(key) || (startOpen && !open.has(`!${key}`))) d.open = true;
    const s = el('summary');
    for (const [cls, text] of summaryParts) if (text) s.appendChild(el('span', cls, text));
    d.appendChild(s);
    let filled = false;
    const doFill = () => {
      if (!filled) {
        filled = true;
        fill(d);
      }
    };
    if (d.open) doFill();
    d.addEventListener('toggle', () => {
      if (d.open) {
        open.add(key);
        open.delete(`!${key}`);
        doFill();
      } else {
        open.delete(key);
        if (startOpen) open.add(`!${key}`);
      }
      vscode.setState({ open: [...open] });
    });
    return d;
  }

  function pre(text, cls) {
    return el('pre', cls || 'code', text);
  }

  function filesRead(list) {
    const ul = el('ul', 'files');
    for (const c of list || []) {
      const ranges = c.ranges.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)).join(', ');
      ul.appendChild(el('li', '', `${c.path}:${ranges}${c.unsaved ? ' (unsaved)' : ''} · ${c.via.join(', ')}`));
    }
    return ul;
  }

  function renderRlm(rlm, key, isRoot) {
    const parts = [
      ['kind', isRoot ? 'root' : `rlm · depth ${rlm.depth}`],
      ['title', isRoot ? '' : rlm.query.slice(0, 160)],
      ['meta', `${rlm.steps.length} step${rlm.steps.length === 1 ? '' : 's'}`],
      ['meta', ms(rlm.durationMs)],
      ['badge', rlm.ready ? 'ready' : rlm.limitHit ? `stopped: ${rlm.limitHit}` : ''],
    ];
    return node(key, parts, (d) => {
      if (rlm.files) d.appendChild(el('div', 'detail', `files: ${rlm.files.join(', ')}`));
      rlm.steps.forEach((step, i) => d.appendChild(renderStep(step, `${key}/s${i}`)));
      if (rlm.answer) d.appendChild(node(`${key}/answer`, [['kind', 'answer'], ['meta', `${num(rlm.answer.length)} chars`]], (a) => a.appendChild(pre(rlm.answer, 'answer'))));
    }, isRoot);
  }

  function renderStep(step, key) {
    const parts = [
      ['kind', `step ${step.iteration}`],
      ['meta', `prompt ${num(step.promptChars)} chars`],
      ['meta', tokens(step.usage)],
      ['meta', step.subCalls.length ? `${step.subCalls.length} sub-call${step.subCalls.length === 1 ? '' : 's'}` : ''],
      ['meta', step.filesRead.length ? `${step.filesRead.length} file${step.filesRead.length === 1 ? '' : 's'} read` : ''],
      ['meta', ms(step.durationMs)],
    ];
    return node(key, parts, (d) => {
      step.cells.forEach((cell, i) => {
        d.appendChild(el('div', 'label', `cell ${i + 1} · ${ms(cell.durationMs)}${cell.reset ? ` · sandbox reset (${cell.reset})` : ''}`));
        d.appendChild(pre(cell.code, 'code'));
        if (cell.output) d.appendChild(pre(cell.output, 'output'));
        if (cell.error) d.appendChild(pre(cell.error, 'error'));
      });
      if (!step.cells.length && step.reply) d.appendChild(pre(step.reply, 'output'));
      step.subCalls.forEach((call, i) => {
        if (call.kind === 'rlm') d.appendChild(renderRlm(call, `${key}/c${i}`, false));
        else {
          d.appendChild(
            node(`${key}/c${i}`, [
              ['kind', `llm · ${call.model}`],
              ['meta', `prompt ${num(call.promptChars)} → reply ${num(call.replyChars)} chars`],
              ['meta', tokens(call.usage)],
              ['meta', ms(call.durationMs)],
              ['badge', call.error ? 'failed' : ''],
            ], (c) => {
              c.appendChild(el('div', 'label', 'prompt (start)'));
              c.appendChild(pre(call.promptPreview, 'output'));
              c.appendChild(el('div', 'label', 'reply'));
              c.appendChild(pre(call.error || call.reply, call.error ? 'error' : 'output'));
            }),
          );
        }
      });
      if (step.filesRead.length) {
        d.appendChild(el('div', 'label', 'files read'));
        d.appendChild(filesRead(step.filesRead));
      }
    });
  }

  function render(state) {
    app.textContent = '';
    const header = el('header');
    header.appendChild(el('h1', '', 'RLM runs'));
    app.appendChild(header);
    if (!state.runs.length) {
      app.appendChild(el('p', 'empty', 'No runs yet. Ask @rlm a question, or run RLM: Ask About Workspace.'));
      return;
    }
    const list = el('ul', 'runs');
    for (const run of state.runs) {
      const li = el('li', `run ${run.id === state.selected ? 'selected' : ''} ${run.state}`);
      const head = el('button', 'run-head');
      head.type = 'button';
      head.appendChild(el('span', 'state', run.state));
      head.appendChild(el('span', 'query', run.query.slice(0, 200)));
      head.appendChild(el('span', 'meta', `${run.origin} · ${run.model} · ${new Date(run.startedAt).toLocaleTimeString()}${run.durationMs !== null ? ` · ${ms(run.durationMs)}` : ''}`));
      head.addEventListener('click', () => vscode.postMessage({ type: 'select', id: run.id }));
      li.appendChild(head);
      if (run.state === 'running') li.appendChild(el('div', 'detail', run.lastLine));
      if (run.error) li.appendChild(el('div', 'error-line', run.error));
      if (run.id === state.selected && run.trace) {
        const t = run.trace;
        const bar = el('div', 'toolbar');
        bar.appendChild(el('span', 'meta', `${num(t.usage.inputTokens + t.usage.outputTokens)} tokens${t.usage.estimated ? ' (estimated)' : ''} · ${t.usage.modelCalls} model calls · ${t.usage.subCalls} sub-calls${t.usage.costUsd !== null ? ` · $${t.usage.costUsd.toFixed(4)}` : ''}`));
        const exp = el('button', 'export', 'Export JSON');
        exp.type = 'button';
        exp.addEventListener('click', () => vscode.postMessage({ type: 'export', id: run.id }));
        bar.appendChild(exp);
        li.appendChild(bar);
        const tree = el('div', 'tree');
        tree.appendChild(renderRlm(t.root, `${run.id}/root`, true));
        if (t.citations.length) {
          tree.appendChild(node(`${run.id}/files`, [['kind', 'files read'], ['meta', `${t.citations.length}`]], (d) => d.appendChild(filesRead(t.citations)), true));
        }
        li.appendChild(tree);
      }
      list.appendChild(li);
    }
    app.appendChild(list);
  }

  window.addEventListener('message', (event) => {
    const m = event.data;
    if (m && m.type === 'runs') render(m);
  });
  vscode.postMessage({ type: 'ready' });
})();
