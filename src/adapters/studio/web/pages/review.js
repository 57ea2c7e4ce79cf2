// Review queue: pending candidates with their context; approve (a), reject (r), edit (e),
// exemplary (s), move with j/k. Decisions land in the same history as Slack's.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';

export function ReviewPage({ persona, reload }) {
  const [queue, setQueue] = useState({ total: 0, samples: [] });
  const [index, setIndex] = useState(0);
  const [editing, setEditing] = useState(null);
  const [status, setStatus] = useState('');
  const load = () => persona && api(`/review/${persona}`).then(setQueue, (e) => setStatus(e.message));
  useEffect(() => {
    setIndex(0);
    load();
  }, [persona]);
  const current = queue.samples[index];

  async function decide(action, text) {
    if (!current) return;
    try {
      const result = await api(`/review/${persona}/samples/${encodeURIComponent(current.id)}`, { method: 'POST', body: { action, text, expectedState: 'pending' } });
      setStatus(`${action === 'edit' ? 'Edited and approved' : action === 'exemplary' ? 'Marked exemplary' : action === 'approve' ? 'Approved' : 'Rejected'}: now ${result.state}.`);
    } catch (error) {
      setStatus(error.message);
    }
    setEditing(null);
    await load();
    reload();
  }

  useEffect(() => {
    const onKey = (event) => {
      if (editing !== null || event.target.closest('input, textarea, select')) return;
      const keys = { a: () => decide('approve'), r: () => decide('reject'), s: () => decide('exemplary'), e: () => setEditing(current?.text ?? ''), j: () => setIndex((i) => Math.min(i + 1, queue.samples.length - 1)), k: () => setIndex((i) => Math.max(i - 1, 0)) };
      const run = keys[event.key];
      if (run && current) {
        event.preventDefault();
        run();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  });

  return html`
    <h2>Review queue <span class="muted">(${queue.total} pending)</span></h2>
    <p class="muted">Keys: <kbd>a</kbd> approve · <kbd>r</kbd> reject · <kbd>e</kbd> edit · <kbd>s</kbd> exemplary · <kbd>j</kbd>/<kbd>k</kbd> next/previous</p>
    <p role="status" aria-live="polite">${status}</p>
    ${!current ? html`<p>Nothing waits for review.</p>` : html`
      <article class="card candidate" aria-label="candidate">
        <p class="muted">${index + 1} of ${queue.samples.length} · ${current.source.type} ${current.source.ref}</p>
        <ol class="messages">${current.context.map((t) => html`<li><strong>${t.speaker}</strong> ${t.text}</li>`)}
          <li class="bot"><strong>${current.speaker}</strong> ${editing === null ? current.text : ''}</li></ol>
        ${editing !== null && html`<form onSubmit=${(e) => { e.preventDefault(); decide('edit', editing); }}>
          <label>Corrected text <textarea rows="4" value=${editing} onInput=${(e) => setEditing(e.target.value)} ref=${(el) => el?.focus()}></textarea></label>
          <button type="submit">Save edit</button> <button type="button" onClick=${() => setEditing(null)}>Cancel</button></form>`}
        <div class="actions">
          <button onClick=${() => decide('approve')}>✅ Approve</button>
          <button onClick=${() => decide('reject')}>❌ Reject</button>
          <button onClick=${() => setEditing(current.text)}>✏️ Edit</button>
          <button onClick=${() => decide('exemplary')}>⭐ Exemplary</button>
        </div>
      </article>`}`;
}
