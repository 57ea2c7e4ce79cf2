// Dataset: counts by state and source, a length histogram, a paged sample browser (approve or
// reject any sample from it) and export.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';

const PAGE = 50;

const entries = (record) => Object.entries(record ?? {}).map(([k, v]) => html`<li>${k}: <strong>${v}</strong></li>`);

export function DatasetPage({ persona }) {
  const [stats, setStats] = useState(null);
  const [state, setState] = useState('approved');
  const [query, setQuery] = useState('');
  const [page, setPage] = useState({ total: 0, samples: [] });
  const [offset, setOffset] = useState(0);
  const [error, setError] = useState('');
  const [changed, setChanged] = useState(0);
  useEffect(() => {
    setError('');
    if (persona) api(`/dataset/${persona}/stats`).then(setStats, (e) => setError(e.message));
  }, [persona, changed]);
  useEffect(() => setOffset(0), [persona, state, query]);
  useEffect(() => {
    if (persona)
      api(`/dataset/${persona}/samples?${new URLSearchParams({ state, q: query, offset: String(offset), limit: String(PAGE) })}`).then(setPage, (e) =>
        setError(e.message),
      );
  }, [persona, state, query, offset, changed]);
  async function move(sample, to) {
    try {
      await api(`/dataset/${persona}/samples/${encodeURIComponent(sample.id)}/state`, { method: 'POST', body: { state: to } });
      setChanged((n) => n + 1);
    } catch (e) {
      setError(e.message);
    }
  }
  const peak = Math.max(1, ...(stats?.histogram ?? []).map((b) => b.count));
  return html`
    <h2>Dataset</h2>
    ${error && html`<p role="alert" class="error">${error}</p>`}
    ${
      stats &&
      html`<div class="columns">
      <section class="card"><h3>By state</h3><ul>${entries(stats.states)}</ul><p class="muted">version ${stats.version} · ${stats.train} train / ${stats.validation} validation samples${stats.tokens ? ` · ${stats.tokens.validation} held-out tokens of the persona's words` : ''}</p></section>
      <section class="card"><h3>By source</h3><ul>${entries(stats.sources)}</ul><h3>By kind</h3><ul>${entries(stats.kinds)}</ul></section>
      <section class="card"><h3>Length (characters)</h3>
        <ul class="histogram" aria-label="length histogram">${stats.histogram.map((b) => html`<li><span>${b.from}–${b.to ?? '…'}</span><meter min="0" max=${peak} value=${b.count}></meter> ${b.count}</li>`)}</ul></section>
    </div>`
    }
    <section class="card">
      <h3>Export</h3>
      <p class="muted">The approved samples as training files (train and validation together), in the formats of <code>persona dataset export</code>.</p>
      ${
        stats?.states?.approved === 0
          ? html`<p>Nothing is approved yet, so there is nothing to export.</p>`
          : [
              ['openai', 'OpenAI JSONL'],
              ['sharegpt', 'ShareGPT JSON'],
              ['text', 'plain text'],
            ].map(([f, label]) => html`<a class="button" href=${`/api/dataset/${persona}/export?format=${f}`} download>${label}</a> `)
      }
    </section>
    <section class="card" aria-labelledby="browse-title">
      <h3 id="browse-title">Samples (${page.total})</h3>
      <div class="toolbar">
        <label>State <select value=${state} onChange=${(e) => setState(e.target.value)}><option>approved</option><option>pending</option><option>rejected</option></select></label>
        <label>Search <input value=${query} onInput=${(e) => setQuery(e.target.value)} /></label>
      </div>
      <ol class="samples" start=${offset + 1}>${page.samples.map(
        (s, i) => html`<li>
        ${s.context.map((t) => html`<div class="muted"><strong>${t.speaker}</strong> ${t.text}</div>`)}
        <div><strong>${s.speaker}</strong> ${s.text} ${s.exemplary ? '⭐' : ''}</div>
        <div class="muted">${s.kind} · ${s.source.type} ${s.source.ref}${s.decidedBy ? ` · decided by ${s.decidedBy} (${s.decidedVia})` : ''}</div>
        <div class="actions">${s.state !== 'approved' && html`<button aria-label=${`approve sample ${offset + i + 1}`} onClick=${() => move(s, 'approved')}>Approve</button>`}
          ${s.state !== 'rejected' && html`<button aria-label=${`reject sample ${offset + i + 1}`} onClick=${() => move(s, 'rejected')}>Reject</button>`}</div></li>`,
      )}</ol>
      ${
        page.total > PAGE &&
        html`<div class="actions" aria-label="pages">
        <button onClick=${() => setOffset(Math.max(0, offset - PAGE))} disabled=${offset === 0}>Previous</button>
        <span class="muted">${offset + 1}–${Math.min(offset + PAGE, page.total)} of ${page.total}</span>
        <button onClick=${() => setOffset(offset + PAGE)} disabled=${offset + PAGE >= page.total}>Next</button></div>`
      }
    </section>`;
}
