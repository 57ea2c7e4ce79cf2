// Review queue: pending candidates with their context, oldest first, a page at a time;
// approve (a), reject (r), edit (e), exemplary (s), move with j/k, undo the last decision (u).
// Decisions land in the same history as Slack's; a candidate another tab (or Slack) decided
// first is reported, not decided twice. "Decide many at once" approves or rejects every
// candidate matching a filter, after showing how many match.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { Status } from '../status.js';

const DONE = { approve: 'Approved', reject: 'Rejected', edit: 'Edited and approved', exemplary: 'Marked exemplary' };
const UNDONE = { approve: 'approval', reject: 'rejection', edit: 'edit', exemplary: 'exemplary mark', unexemplary: 'unexemplary mark' };
const count = (n) => `${n.toLocaleString()} candidate${n === 1 ? '' : 's'}`;

/** Every pending candidate matching the fields: count first, then approve or reject them all. */
function BulkForm({ persona, done }) {
  const [matches, setMatches] = useState(null);
  const [message, setMessage] = useState(null);
  const form = useRef(null);
  const fields = () => Object.fromEntries([...new FormData(form.current)].filter(([, v]) => v !== ''));
  async function run(action, apply) {
    try {
      const result = await api(`/review/${persona}/bulk`, { method: 'POST', body: { ...fields(), action, apply } });
      if (!apply) return setMatches(result.matches);
      setMatches(null);
      setMessage({ text: `${action === 'approve' ? 'Approved' : 'Rejected'} ${count(result.matches)} (u undoes it).` });
      done();
    } catch (error) {
      setMessage({ text: error.message, error: true });
    }
  }
  const apply = (action) => confirm(`${action === 'approve' ? 'Approve' : 'Reject'} all ${count(matches)} matching?`) && run(action, true);
  return html`<details class="card"><summary>Decide many at once</summary>
    <form ref=${form} class="toolbar" aria-label="filter candidates" onInput=${() => setMatches(null)} onSubmit=${(e) => {
      e.preventDefault();
      run('approve', false);
    }}>
      <label>File <input name="file" placeholder="part of the name" /></label>
      <label>Source <select name="source"><option value="">any</option>${['file', 'discord', 'slack', 'studio', 'import'].map((s) => html`<option>${s}</option>`)}</select></label>
      <label>Speaker <input name="speaker" /></label>
      <label>Min length <input name="minLength" type="number" min="0" /></label>
      <label>Max length <input name="maxLength" type="number" min="0" /></label>
      <label>Text contains <input name="text" /></label>
      <button type="submit">Count matches</button>
    </form>
    ${
      matches !== null &&
      html`<p><strong>${count(matches)}</strong> match.
      ${matches > 0 && html`<button onClick=${() => apply('approve')}>Approve all ${matches}</button> <button onClick=${() => apply('reject')}>Reject all ${matches}</button>`}</p>`
    }
    <${Status} message=${message} /></details>`;
}

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

  // One decision or undo at a time. A ref, not the state, guards it: the key listener is
  // re-registered after each paint, so its closure can hold a stale `busy`.
  const working = useRef(false);
  /** Runs one request, reloads the queue, and only then reports: a shown result means ready for the next key. */
  async function settle(request) {
    if (working.current) return;
    working.current = true;
    setBusy(true);
    let report;
    try {
      report = { text: await request() };
    } catch (error) {
      report = { text: error.message, error: true };
    }
    setEditing(null);
    await load();
    setMessage(report);
    working.current = false;
    setBusy(false);
    reload();
  }

  const quote = (text) => `“${text.slice(0, 60)}${text.length > 60 ? '…' : ''}”`;
  const decide = (action, text) =>
    current &&
    settle(async () => {
      const result = await api(`/review/${persona}/samples/${encodeURIComponent(current.id)}`, {
        method: 'POST',
        body: { action, text, expectedState: 'pending' },
      });
      return `${DONE[action]}: ${quote(result.text)} is now ${result.state}.`;
    });

  const undo = () =>
    settle(async () => {
      const result = await api(`/review/${persona}/undo`, { method: 'POST' });
      setIndex(0);
      return `Undid the ${UNDONE[result.action] ?? result.action} of ${result.samples === 1 ? quote(result.text) : count(result.samples)}.`;
    });

  // A layout effect: the listener is in place (with this render's candidate) before the page paints it.
  useLayoutEffect(() => {
    const onKey = (event) => {
      if (editing !== null || event.ctrlKey || event.metaKey || event.altKey || event.target.closest('input, textarea, select')) return;
      if (event.key === 'u') {
        event.preventDefault();
        return undo();
      }
      const keys = {
        a: () => decide('approve'),
        r: () => decide('reject'),
        s: () => decide('exemplary'),
        e: () => setEditing(current?.text ?? ''),
        j: () => setIndex((i) => Math.min(i + 1, queue.samples.length - 1)),
        k: () => setIndex((i) => Math.max(i - 1, 0)),
      };
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
    <p class="muted">Keys: <kbd>a</kbd> approve · <kbd>r</kbd> reject · <kbd>e</kbd> edit · <kbd>s</kbd> exemplary · <kbd>j</kbd>/<kbd>k</kbd> next/previous · <kbd>u</kbd> undo</p>
    <${Status} message=${message} />
    <${BulkForm} persona=${persona} done=${() => load().then(reload)} key=${persona} />
    ${
      !current
        ? html`<p>Nothing waits for review.</p>`
        : html`
      <article class="card candidate" aria-label="candidate" aria-busy=${busy}>
        <p class="muted">${index + 1} of ${queue.samples.length}${queue.total > queue.samples.length ? ` shown (${queue.total.toLocaleString()} pending)` : ''} · ${current.source.type} ${current.source.ref} · the marked line is the candidate, the lines above its context</p>
        <ol class="messages">${current.context.map((t) => html`<li><strong>${t.speaker}</strong> ${t.text}</li>`)}
          <li class="bot"><strong>${current.speaker}</strong> ${editing === null ? current.text : ''}</li></ol>
        ${
          editing !== null &&
          html`<form onSubmit=${(e) => {
            e.preventDefault();
            decide('edit', editing);
          }}>
          <label>Corrected text <textarea rows="4" value=${editing} onInput=${(e) => setEditing(e.target.value)} ref=${(el) => el && document.activeElement !== el && el.focus()}
            onKeyDown=${(e) => e.key === 'Escape' && setEditing(null)}></textarea></label>
          <button type="submit">Save edit</button> <button type="button" onClick=${() => setEditing(null)}>Cancel</button></form>`
        }
        <div class="actions">
          <button aria-keyshortcuts="a" onClick=${() => decide('approve')}>✓ Approve</button>
          <button aria-keyshortcuts="r" onClick=${() => decide('reject')}>✗ Reject</button>
          <button aria-keyshortcuts="e" onClick=${() => setEditing(current.text)}>✎ Edit</button>
          <button aria-keyshortcuts="s" onClick=${() => decide('exemplary')}>★ Exemplary</button>
          <button aria-keyshortcuts="u" onClick=${undo}>↶ Undo</button>
        </div>
      </article>`
    }`;
}
