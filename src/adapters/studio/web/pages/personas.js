// Personas: the list, a form to create one (or import a character card), the persona file editor,
// uploads into its dataset (upload.js), rename, duplicate, delete and card export.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { navigate } from '../route.js';
import { Status } from '../status.js';
import { CardExport, CardImport } from './cards.js';
import { Upload } from './upload.js';

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
    <${CardExport} persona=${persona} />
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
      <div><${CreateForm} reload=${reload} /><${CardImport} reload=${reload} /></div>
    </div>`;
}
