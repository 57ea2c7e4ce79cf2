// When a training run ends: a toast on whatever page is open, and a browser notification
// when the user allowed them (asked once, when they start a run).
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { subscribe } from './api.js';

export function askToNotify() {
  if ('Notification' in window && Notification.permission === 'default') Notification.requestPermission().catch(() => undefined);
}

const OUTCOME = { promoted: 'promoted', kept: 'finished (kept, not promoted)', skipped: 'skipped', failed: 'failed', interrupted: 'stopped' };

export function RunToasts() {
  const [toasts, setToasts] = useState([]);
  useEffect(
    () =>
      subscribe((name, job) => {
        if (name !== 'job' || job.status === 'running') return;
        const text = `Training of ${job.persona} ${OUTCOME[job.status] ?? job.status}${job.message ? `: ${job.message}` : ''}`;
        setToasts((list) => [...list, { id: job.id, text, error: job.status === 'failed' }]);
        setTimeout(() => setToasts((list) => list.filter((t) => t.id !== job.id)), 10_000);
        if ('Notification' in window && Notification.permission === 'granted') new Notification('Persona Studio', { body: text });
      }),
    [],
  );
  return html`<div class="toasts" role="status" aria-label="notifications">${toasts.map(
    (t) => html`<p class=${`toast${t.error ? ' error' : ''}`}>${t.text}
    <button aria-label="dismiss" onClick=${() => setToasts((list) => list.filter((x) => x !== t))}>×</button></p>`,
  )}</div>`;
}
