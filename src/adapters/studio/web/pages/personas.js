// Personas: the list, a form to create one, the persona file editor, and uploads into its dataset.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { navigate } from '../main.js';

function CreateForm({ reload }) {
  const [status, setStatus] = useState('');
  async function submit(event) {
    event.preventDefault();
    const form = Object.fromEntries(new FormData(event.target));
    try {
      const { persona } = await api('/personas', { method: 'POST', body: form });
      setStatus(`Created ${persona.name}.`);
      event.target.reset();
      await reload();
      navigate('personas', persona.id);
    } catch (error) {
      setStatus(error.message);
    }
  }
  return html`
    <form class="card" onSubmit=${submit} aria-labelledby="create-title">
      <h2 id="create-title">New persona</h2>
      <label>Id <input name="id" required pattern="[a-z0-9][a-z0-9-]*" placeholder="ada" /></label>
      <label>Name <input name="name" required placeholder="Ada Lovelace" /></label>
      <label>Description <input name="description" /></label>
      <label>System prompt <textarea name="system_prompt" rows="3"></textarea></label>
      <label>Voices (speaker names, comma-separated) <input name="voices" placeholder="Ada, Ada Lovelace" /></label>
      <button type="submit">Create persona</button>
      <p role="status">${status}</p>
    </form>`;
}

function Upload({ persona, reload }) {
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);
  async function submit(event) {
    event.preventDefault();
    const data = new FormData(event.target);
    const file = data.get('file');
    if (!file || !file.name) return setStatus('Choose a file first.');
    setBusy(true);
    setStatus(`Importing ${file.name}…`);
    try {
      const params = new URLSearchParams({ filename: file.name, trusted: data.get('trusted') ? 'true' : 'false', speaker: data.get('speaker') ?? '' });
      const summary = await api(`/personas/${persona}/uploads?${params}`, { method: 'POST', raw: file });
      const redacted = Object.values(summary.redactions).reduce((a, b) => a + b, 0);
      setStatus(`${file.name}: ${summary.added} samples added, ${summary.existing} already known, ${summary.duplicates} duplicates, ${redacted} redactions${summary.skipped.length ? `; skipped: ${summary.skipped.map((s) => s.reason).join('; ')}` : ''}.`);
      await reload();
    } catch (error) {
      setStatus(error.message);
    } finally {
      setBusy(false);
    }
  }
  return html`
    <form class="card" onSubmit=${submit} aria-labelledby="upload-title">
      <h2 id="upload-title">Upload transcripts or chat exports</h2>
      <p class="muted">Subtitles (SRT, WebVTT), timestamped transcripts, scripts, text, Discord or Slack exports, OpenAI JSONL, ShareGPT.</p>
      <label>File <input type="file" name="file" /></label>
      <label>Speaker (when the file has no names) <input name="speaker" /></label>
      <label class="inline"><input type="checkbox" name="trusted" /> These are the persona's own words: approve without review</label>
      <button type="submit" disabled=${busy}>Upload</button>
      <p role="status" aria-live="polite">${busy ? html`<progress aria-label="importing"></progress> ` : ''}${status}</p>
    </form>`;
}

function Editor({ persona }) {
  const [yaml, setYaml] = useState('');
  const [status, setStatus] = useState('');
  useEffect(() => {
    if (persona) api(`/personas/${persona}`).then((d) => setYaml(d.yaml), (e) => setStatus(e.message));
  }, [persona]);
  async function save(event) {
    event.preventDefault();
    try {
      await api(`/personas/${persona}`, { method: 'PUT', body: { yaml } });
      setStatus('Saved.');
    } catch (error) {
      setStatus(error.message);
    }
  }
  return html`
    <form class="card" onSubmit=${save} aria-labelledby="edit-title">
      <h2 id="edit-title">Persona file: personas/${persona}.yaml</h2>
      <textarea class="code" rows="16" aria-label="persona file" value=${yaml} onInput=${(e) => setYaml(e.target.value)}></textarea>
      <button type="submit">Save</button>
      <p role="status">${status}</p>
    </form>`;
}

export function PersonasPage({ persona, personas, reload }) {
  const [status, setStatus] = useState('');
  const untrained = personas.find((p) => !p.error && !p.champion && p.counts?.approved > 0);
  async function trainExample(id) {
    try {
      await api(`/training/${id}/start`, { method: 'POST', body: {} });
      navigate('training', id);
    } catch (error) {
      setStatus(error.message);
    }
  }
  return html`
    <section aria-labelledby="list-title">
      <h2 id="list-title">Personas</h2>
      ${untrained && html`<div class="card highlight">
        <p><strong>${untrained.name}</strong> has ${untrained.counts.approved} approved samples from its bundled public-domain transcripts and no trained model yet.</p>
        <button onClick=${() => trainExample(untrained.id)}>Train ${untrained.name} now</button> <span class="muted">then compare base and trained replies on the Chat page.</span>
      </div>`}
      <p role="status">${status}</p>
      <table>
        <thead><tr><th>Persona</th><th>Model</th><th>Pending</th><th>Approved</th><th>Rejected</th></tr></thead>
        <tbody>
          ${personas.map((p) => p.error
            ? html`<tr><td>${p.id}</td><td colspan="4" class="error">${p.error}</td></tr>`
            : html`<tr aria-selected=${p.id === persona}>
                <td><a href=${`#/personas/${p.id}`}>${p.name}</a><div class="muted">${p.description}</div></td>
                <td>${p.champion ?? 'base'}</td><td>${p.counts.pending}</td><td>${p.counts.approved}</td><td>${p.counts.rejected}</td>
              </tr>`)}
        </tbody>
      </table>
    </section>
    <div class="columns">
      ${persona && html`<div><${Upload} persona=${persona} reload=${reload} /><${Editor} persona=${persona} /></div>`}
      <${CreateForm} reload=${reload} />
    </div>`;
}
