// Dataset: counts by state and source, a length histogram, a sample browser and export.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';

const entries = (record) => Object.entries(record ?? {}).map(([k, v]) => html`<li>${k}: <strong>${v}</strong></li>`);

export function DatasetPage({ persona }) {
  const [stats, setStats] = useState(null);
  const [state, setState] = useState('approved');
  const [query, setQuery] = useState('');
  const [page, setPage] = useState({ total: 0, samples: [] });
  const [error, setError] = useState('');
  useEffect(() => {
    setError('');
    if (persona) api(`/dataset/${persona}/stats`).then(setStats, (e) => setError(e.message));
  }, [persona]);
  useEffect(() => {
    if (persona) api(`/dataset/${persona}/samples?${new URLSearchParams({ state, q: query })}`).then(setPage, (e) => setError(e.message));
  }, [persona, state, query]);
  const peak = Math.max(1, ...(stats?.histogram ?? []).map((b) => b.count));
  return html`
    <h2>Dataset</h2>
    ${error && html`<p role="alert" class="error">${error}</p>`}
    ${stats && html`<div class="columns">
      <section class="card"><h3>By state</h3><ul>${entries(stats.states)}</ul><p class="muted">version ${stats.version} · ${stats.train} train / ${stats.validation} validation</p></section>
      <section class="card"><h3>By source</h3><ul>${entries(stats.sources)}</ul><h3>By kind</h3><ul>${entries(stats.kinds)}</ul></section>
      <section class="card"><h3>Length (characters)</h3>
        <ul class="histogram" aria-label="length histogram">${stats.histogram.map((b) => html`<li><span>${b.from}–${b.to ?? '…'}</span><meter min="0" max=${peak} value=${b.count}></meter> ${b.count}</li>`)}</ul></section>
    </div>`}
    <section class="card">
      <h3>Export</h3>
      ${['openai', 'sharegpt', 'text'].map((f) => html`<a class="button" href=${`/api/dataset/${persona}/export?format=${f}`} download>${f}</a> `)}
    </section>
    <section class="card" aria-labelledby="browse-title">
      <h3 id="browse-title">Samples (${page.total})</h3>
      <div class="toolbar">
        <label>State <select value=${state} onChange=${(e) => setState(e.target.value)}><option>approved</option><option>pending</option><option>rejected</option></select></label>
        <label>Search <input value=${query} onInput=${(e) => setQuery(e.target.value)} /></label>
      </div>
      <ol class="samples">${page.samples.map((s) => html`<li>
        ${s.context.map((t) => html`<div class="muted"><strong>${t.speaker}</strong> ${t.text}</div>`)}
        <div><strong>${s.speaker}</strong> ${s.text} ${s.exemplary ? '⭐' : ''}</div>
        <div class="muted">${s.kind} · ${s.source.type} ${s.source.ref}${s.decidedBy ? ` · decided by ${s.decidedBy} (${s.decidedVia})` : ''}</div></li>`)}</ol>
    </section>`;
}
