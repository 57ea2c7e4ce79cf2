// Review queue: pending candidates with their context; approve (a), reject (r), edit (e),
// exemplary (s), move with j/k. Decisions land in the same history as Slack's; a candidate
// another tab (or Slack) decided first is reported, not decided twice.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { Status } from '../status.js';

const DONE = { approve: 'Approved', reject: 'Rejected', edit: 'Edited and approved', exemplary: 'Marked exemplary' };

export function ReviewPage({ persona, reload }) {
  const [queue, setQueue] = useState({ total: 0, samples: [] });
  const [index, setIndex] = useState(0);
  const [editing, setEditing] = useState(null);
  const [message, setMessage] = useState(null);
  const [busy, setBusy] = useState(false);
  const load = () =>
    persona &&
    api(`/review/${persona}`).then(
      (q) => {
        setQueue(q);
        setIndex((i) => Math.max(0, Math.min(i, q.samples.length - 1)));
      },
      (e) => setMessage({ text: e.message, error: true }),
    );
  useEffect(() => {
    setIndex(0);
    setMessage(null);
    load();
  }, [persona]);
  const current = queue.samples[index];

  async function decide(action, text) {
    if (!current || busy) return;
    setBusy(true);
    try {
      const result = await api(`/review/${persona}/samples/${encodeURIComponent(current.id)}`, { method: 'POST', body: { action, text, expectedState: 'pending' } });
      setMessage({ text: `${DONE[action]}: “${result.text.slice(0, 60)}${result.text.length > 60 ? '…' : ''}” is now ${result.state}.` });
    } catch (error) {
      setMessage({ text: error.message, error: true });
    }
    setEditing(null);
    await load();
    setBusy(false);
    reload();
  }

  useEffect(() => {
    const onKey = (event) => {
      if (editing !== null || event.ctrlKey || event.metaKey || event.altKey || event.target.closest('input, textarea, select')) return;
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
    <${Status} message=${message} />
    ${!current ? html`<p>Nothing waits for review.</p>` : html`
      <article class="card candidate" aria-label="candidate" aria-busy=${busy}>
        <p class="muted">${index + 1} of ${queue.samples.length} · ${current.source.type} ${current.source.ref} · the marked line is the candidate, the lines above its context</p>
        <ol class="messages">${current.context.map((t) => html`<li><strong>${t.speaker}</strong> ${t.text}</li>`)}
          <li class="bot"><strong>${current.speaker}</strong> ${editing === null ? current.text : ''}</li></ol>
        ${editing !== null && html`<form onSubmit=${(e) => { e.preventDefault(); decide('edit', editing); }}>
          <label>Corrected text <textarea rows="4" value=${editing} onInput=${(e) => setEditing(e.target.value)} ref=${(el) => el && document.activeElement !== el && el.focus()}
            onKeyDown=${(e) => e.key === 'Escape' && setEditing(null)}></textarea></label>
          <button type="submit">Save edit</button> <button type="button" onClick=${() => setEditing(null)}>Cancel</button></form>`}
        <div class="actions">
          <button aria-keyshortcuts="a" onClick=${() => decide('approve')}>✓ Approve</button>
          <button aria-keyshortcuts="r" onClick=${() => decide('reject')}>✗ Reject</button>
          <button aria-keyshortcuts="e" onClick=${() => setEditing(current.text)}>✎ Edit</button>
          <button aria-keyshortcuts="s" onClick=${() => decide('exemplary')}>★ Exemplary</button>
        </div>
      </article>`}`;
}
