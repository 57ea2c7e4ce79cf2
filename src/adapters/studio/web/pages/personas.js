// Personas: the list, a form to create one, the persona file editor, and uploads into its dataset.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api, upload } from '../api.js';
import { navigate } from '../route.js';
import { Status } from '../status.js';

function CreateForm({ reload }) {
  const [message, setMessage] = useState(null);
  async function submit(event) {
    event.preventDefault();
    const form = Object.fromEntries(new FormData(event.target));
    try {
      const { persona } = await api('/personas', { method: 'POST', body: form });
      setMessage({ text: `Created ${persona.name} (personas/${persona.id}.yaml).` });
      event.target.reset();
      await reload();
      navigate('personas', persona.id);
    } catch (error) {
      setMessage({ text: error.message, error: true });
    }
  }
  return html`
    <form class="card" onSubmit=${submit} aria-labelledby="create-title">
      <h2 id="create-title">New persona</h2>
      <label>Id <input name="id" required pattern="[a-z0-9]([a-z0-9]|-){0,62}" title="lower-case letters, digits and dashes" placeholder="ada" /></label>
      <label>Name <input name="name" required placeholder="Ada Lovelace" /></label>
      <label>Description <input name="description" /></label>
      <label>System prompt <textarea name="system_prompt" rows="3"></textarea></label>
      <label>Voices (speaker names, comma-separated) <input name="voices" placeholder="Ada, Ada Lovelace" /></label>
      <button type="submit">Create persona</button>
      <${Status} message=${message} />
    </form>`;
}

const plural = (n, one) => `${n} ${one}${n === 1 ? '' : 's'}`;
const MB = 2 ** 20;
const megabytes = (bytes) => `${(bytes / MB).toFixed(bytes < 10 * MB ? 1 : 0)} MB`;
const counted = (record) =>
  Object.entries(record)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

function summaryText(name, summary, trusted) {
  const redacted = Object.values(summary.redactions).reduce((a, b) => a + b, 0);
  const dropped = Object.values(summary.dropped).reduce((a, b) => a + b, 0);
  const parts = [
    `${plural(summary.added, 'sample')} added ${trusted ? '(approved)' : 'to the review queue'}`,
    `${summary.existing} already known`,
    plural(summary.duplicates, 'duplicate'),
    `${plural(redacted, 'redaction')}${redacted ? ` (${counted(summary.redactions)})` : ''}`,
  ];
  if (dropped) parts.push(`${dropped} dropped (${counted(summary.dropped)})`);
  const format = Object.keys(summary.formats).join(', ');
  const hint =
    summary.added + summary.existing + summary.duplicates + dropped === 0 && summary.messages > 0
      ? ` None of its ${summary.messages} messages is by the persona's voices: check voices.names in the persona file, or fill in Speaker.`
      : '';
  return `${name}${format ? ` (${format})` : ''}: ${parts.join(', ')}.${hint}`;
}

const ACCEPT = '.txt,.text,.md,.log,.transcript,.srt,.vtt,.json,.jsonl,.zip';

function Upload({ persona, name, reload }) {
  const [message, setMessage] = useState(null);
  const [progress, setProgress] = useState(null); // null: idle; 0..1: sending; 1: the server imports
  const [limit, setLimit] = useState(null);
  const [review, setReview] = useState(false);
  useEffect(() => {
    api('/info').then(
      (info) => setLimit(info.maxUploadBytes),
      () => undefined,
    );
  }, []);
  async function submit(event) {
    event.preventDefault();
    const data = new FormData(event.target);
    const file = data.get('file');
    const trusted = Boolean(data.get('trusted'));
    setReview(false);
    if (!file || !file.name) return setMessage({ text: 'Choose a file first.', error: true });
    // Refused here, before a byte is sent: the server would refuse it anyway.
    if (limit && file.size > limit) {
      return setMessage({
        text: `${file.name} is ${megabytes(file.size)}; the studio accepts files up to ${megabytes(limit)}. Split it, or import it with \`persona ingest\`.`,
        error: true,
      });
    }
    setProgress(0);
    setMessage({ text: `Sending ${file.name}…` });
    try {
      const params = new URLSearchParams({ filename: file.name, trusted: String(trusted), speaker: data.get('speaker') ?? '' });
      const summary = await upload(`/personas/${persona}/uploads?${params}`, file, (fraction) => {
        setProgress(fraction);
        if (fraction >= 1) setMessage({ text: `Importing ${file.name}: reading, cleaning and removing duplicates…` });
      });
      setMessage({ text: summaryText(file.name, summary, trusted) });
      setReview(!trusted && summary.added > 0);
      event.target.reset();
      await reload();
    } catch (error) {
      setMessage({ text: error.message, error: true });
    } finally {
      setProgress(null);
    }
  }
  const busy = progress !== null;
  return html`
    <form class="card" onSubmit=${submit} aria-labelledby="upload-title">
      <h2 id="upload-title">Upload transcripts or chat exports</h2>
      <p>Into ${name}'s dataset.</p>
      <p class="muted">Subtitles (SRT, WebVTT), timestamped transcripts, scripts, text, Discord or Slack exports, OpenAI JSONL, ShareGPT${limit ? `; up to ${megabytes(limit)} per file` : ''}.</p>
      <label>File <input type="file" name="file" accept=${ACCEPT} /></label>
      <label>Speaker (when the file has no names) <input name="speaker" /></label>
      <label class="inline"><input type="checkbox" name="trusted" /> These are the persona's own words: approve without review</label>
      <div><button type="submit" disabled=${busy}>Upload</button></div>
      ${busy && html`<progress class="upload" aria-label="upload progress" max="1" value=${progress < 1 ? progress : undefined}></progress>`}
      <${Status} message=${message} />
      ${review && html`<p><a href=${`#/review/${persona}`}>Review the new candidates</a></p>`}
    </form>`;
}

function Editor({ persona, reload }) {
  const [yaml, setYaml] = useState('');
  const [message, setMessage] = useState(null);
  useEffect(() => {
    setMessage(null);
    if (persona)
      api(`/personas/${persona}`).then(
        (d) => setYaml(d.yaml),
        (e) => setMessage({ text: e.message, error: true }),
      );
  }, [persona]);
  async function save(event) {
    event.preventDefault();
    try {
      await api(`/personas/${persona}`, { method: 'PUT', body: { yaml } });
      setMessage({ text: 'Saved.' });
      await reload();
    } catch (error) {
      setMessage({ text: error.message, error: true });
    }
  }
  return html`
    <form class="card" onSubmit=${save} aria-labelledby="edit-title">
      <h2 id="edit-title">Persona file: personas/${persona}.yaml</h2>
      <textarea class="code" rows="16" aria-label="persona file" spellcheck="false" value=${yaml} onInput=${(e) => setYaml(e.target.value)}></textarea>
      <button type="submit">Save</button>
      <${Status} message=${message} />
    </form>`;
}

/** Rename, duplicate or delete the persona (deleting asks first, naming what goes with it). */
function Manage({ persona, name, reload }) {
  const [message, setMessage] = useState(null);
  const fields = (form) => Object.fromEntries(new FormData(form));
  async function run(done, call) {
    try {
      const result = await call();
      await reload();
      done(result);
    } catch (error) {
      setMessage({ text: error.message, error: true });
    }
  }
  const rename = (event) => {
    event.preventDefault();
    const body = fields(event.target);
    run(
      ({ persona: p }) => (setMessage({ text: `Renamed to ${p.name} (${p.id}).` }), navigate('personas', p.id)),
      () => api(`/personas/${persona}/rename`, { method: 'POST', body }),
    );
  };
  const copy = (event) => {
    event.preventDefault();
    const body = fields(event.target);
    run(
      ({ persona: p }) => (setMessage({ text: `Duplicated as ${p.name} (${p.id}).` }), navigate('personas', p.id)),
      () => api(`/personas/${persona}/copy`, { method: 'POST', body }),
    );
  };
  async function remove() {
    const data = await api(`/personas/${persona}/data`).catch(() => ({ samples: '?', versions: '?' }));
    if (!confirm(`Delete ${name}? Its persona file, ${data.samples} samples and ${data.versions} model versions are removed; this cannot be undone.`)) return;
    run(
      () => (setMessage({ text: `Deleted ${name}.` }), navigate('personas', '')),
      () => api(`/personas/${persona}`, { method: 'DELETE' }),
    );
  }
  return html`<section class="card" aria-labelledby="manage-title">
    <h2 id="manage-title">Manage ${name}</h2>
    <form class="toolbar" aria-label="rename persona" onSubmit=${rename} key=${`r-${persona}`}>
      <label>New id <input name="newId" defaultValue=${persona} /></label><label>Name <input name="name" defaultValue=${name} /></label>
      <button type="submit">Rename</button></form>
    <form class="toolbar" aria-label="duplicate persona" onSubmit=${copy} key=${`c-${persona}`}>
      <label>Copy's id <input name="newId" required /></label><label>Copy's name <input name="name" /></label>
      <button type="submit">Duplicate</button></form>
    <button onClick=${remove}>Delete ${name}…</button>
    <${Status} message=${message} />
  </section>`;
}

/** First run: a persona with approved data and no trained model yet is offered a training run. */
function TrainOffer({ persona }) {
  const [message, setMessage] = useState(null);
  async function train() {
    try {
      await api(`/training/${persona.id}/start`, { method: 'POST', body: {} });
      navigate('training', persona.id);
    } catch (error) {
      setMessage({ text: error.message, error: true });
    }
  }
  return html`<section class="card highlight" aria-label="first training">
    <p><strong>${persona.name}</strong> has ${persona.counts.approved} approved samples and no trained model yet: its replies come from the base model.</p>
    <div class="next-step"><button class="primary" onClick=${train}>Train ${persona.name} now</button>
      <span class="muted">It trains on this computer (the Training page shows its progress); afterwards the Chat page compares the base and the trained replies side by side.</span></div>
    <${Status} message=${message} />
  </section>`;
}

export function PersonasPage({ persona, personas, reload }) {
  const trainable = personas.filter((p) => !p.error && !p.champion && p.counts?.approved > 0);
  const untrained = trainable.find((p) => p.id === persona) ?? trainable[0];
  return html`
    <section aria-labelledby="list-title">
      <h2 id="list-title">Personas</h2>
      ${untrained && html`<${TrainOffer} persona=${untrained} />`}
      <table>
        <thead><tr><th>Persona</th><th>Model</th><th>Pending</th><th>Approved</th><th>Rejected</th></tr></thead>
        <tbody>
          ${personas.map((p) =>
            p.error
              ? html`<tr><td>${p.id}</td><td colspan="4" class="error">${p.error}</td></tr>`
              : html`<tr aria-current=${p.id === persona ? 'true' : undefined}>
                <td><a href=${`#/personas/${p.id}`}>${p.name}</a><div class="muted">${p.description}</div></td>
                <td>${p.champion ?? 'base'}</td><td>${p.counts.pending}</td><td>${p.counts.approved}</td><td>${p.counts.rejected}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </section>
    <div class="columns">
      ${
        persona &&
        html`<div><${Upload} persona=${persona} name=${personas.find((p) => p.id === persona)?.name ?? persona} reload=${reload} /><${Editor} persona=${persona} reload=${reload} />
        <${Manage} persona=${persona} name=${personas.find((p) => p.id === persona)?.name ?? persona} reload=${reload} /></div>`
      }
      <${CreateForm} reload=${reload} />
    </div>`;
}
