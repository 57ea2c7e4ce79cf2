// Training: start a run with any `persona train` setting (the persona file's values as
// defaults), watch it live (loss chart, tokens/s, ETA) and cancel it, past runs with their
// curves and the gate's decision, model versions with promote, roll back and remove (both
// confirmed first); after a promotion, a link to the chat's before/after comparison.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api, postStream, subscribe } from '../api.js';
import { LossChart } from '../chart.js';
import { Status } from '../status.js';
import { askToNotify } from '../notify.js';

const fmt = (x, digits = 4) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–');

function eta(event) {
  if (!event || event.step === 0) return '';
  const seconds = ((event.totalSteps - event.step) * event.elapsedSeconds) / event.step;
  return seconds < 90 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;
}

const IDLE = { phase: '', points: [], last: null, job: null, running: false };

function liveText(live, latest) {
  if (live.running) return `Running: ${live.phase || 'starting'}`;
  if (latest) return `Last run: ${latest.status}${latest.message ? ` — ${latest.message}` : ''}`;
  return 'No run yet.';
}

/** latest: the run this page saw finish, or else the newest in the history. */
function Live({ live, latest, persona, cancel }) {
  const step = live.last;
  return html`<section class="card" aria-labelledby="live-title">
    <h3 id="live-title">Live</h3>
    <p aria-live="polite" class="live-status">${liveText(live, latest)}
      ${step && html` · step ${step.step}/${step.totalSteps} · loss ${fmt(step.loss)} · ${Math.round(step.tokensPerSecond)} tokens/s${live.running ? ` · ETA ${eta(step)}` : ''}`}</p>
    ${
      live.running &&
      html`<p><button onClick=${cancel}>Cancel run</button>
      <span class="muted"> stops after the current step and keeps a checkpoint; no version is written</span></p>`
    }
    ${
      !live.running &&
      latest?.version &&
      html`<p class="next-step">
      <a class="button primary" href=${`#/chat/${persona}/compare/${latest.version}`}>Compare before and after in Chat</a>
      <span class="muted">${latest.version} (${latest.status === 'promoted' ? 'the new champion' : 'kept, not promoted'}) next to the base model, on the same prompt.</span></p>`
    }
    <${LossChart} points=${live.points} label="loss of the current run" empty="The chart fills in as soon as a run reports its first step." />
  </section>`;
}

/** The job's metrics as rows: x_before and x_after side by side (incumbent vs candidate), the rest alone. */
function reportRows(metrics) {
  const rows = new Map();
  for (const [key, value] of Object.entries(metrics).sort(([a], [b]) => a.localeCompare(b))) {
    const paired = /^(.*)_(before|after)$/.exec(key);
    const name = (paired ? paired[1] : key).replace(/^style_/, '').replace(/_/g, ' ');
    rows.set(name, { name, ...rows.get(name), [paired ? paired[2] : 'value']: value });
  }
  return [...rows.values()];
}

const number = (value) => (Number.isInteger(value) ? String(value) : fmt(value));

/** One past run: its loss curve and every number the evaluation recorded. */
function RunReport({ job }) {
  const name = job.version ?? job.id;
  return html`<div class="columns run-report">
    <${LossChart} points=${job.curve} label=${`loss curve of ${name}`} empty="This run left no loss curve (its version was pruned, or it never trained)." />
    <table><caption>Evaluation of ${name}</caption>
      <thead><tr><th>Measure</th><th>Before (incumbent)</th><th>After (this run)</th></tr></thead>
      <tbody>${reportRows(job.metrics).map(
        (row) => html`<tr><th scope="row">${row.name}</th>
        ${'value' in row ? html`<td colspan="2">${number(row.value)}</td>` : html`<td>${number(row.before)}</td><td>${number(row.after)}</td>`}</tr>`,
      )}</tbody></table>
  </div>`;
}

function PastRuns({ jobs }) {
  const [selected, setSelected] = useState(null);
  return html`<section class="card" aria-labelledby="runs-title">
    <h3 id="runs-title">Past runs</h3>
    ${
      jobs.length === 0
        ? html`<p class="muted">No runs yet.</p>`
        : html`
    <table><thead><tr><th>Started</th><th>Status</th><th>Version</th><th>Validation loss before → after</th><th>Gate's decision</th></tr></thead>
      <tbody>${jobs.map(
        (j) => html`<tr>
        <td class="nowrap"><button class="link" aria-label=${`show the loss curve of the run started ${new Date(j.startedAt).toLocaleString()}`} onClick=${() => setSelected(j)}>${new Date(j.startedAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}</button></td>
        <td class=${`status-${j.status}`}>${j.status}</td><td class="nowrap">${j.version ?? ''}</td>
        <td>${fmt(j.metrics.validation_loss_before)} → ${fmt(j.metrics.validation_loss_after)}</td><td class="gate">${j.message ?? ''}</td></tr>`,
      )}</tbody></table>`
    }
    ${selected && html`<${RunReport} job=${selected} />`}
  </section>`;
}

/** The registry says "rejected" for a version the gate did not promote; the job says "kept": one word for one fact. */
const versionStatus = (status) => (status === 'rejected' ? 'kept' : status);

function Versions({ persona, models, act }) {
  const rollBack = () =>
    confirm(`Roll back ${models.champion}? The previous champion (or the base model) answers again.`) && act(`/training/${persona}/rollback`, 'Rolled back.');
  const remove = (version) =>
    confirm(`Remove ${version}? Its folder is deleted; this cannot be undone.`) && act(`/training/${persona}/models/${version}/remove`, `Removed ${version}.`);
  return html`<section class="card" aria-labelledby="models-title">
    <h3 id="models-title">Model versions</h3>
    <p>Champion: <strong class="champion">${models.champion ?? 'base model'}</strong>
      ${
        models.champion &&
        html` <button onClick=${rollBack}>Roll back</button>
        <span class="muted">${' '}to the previous champion, or the base model when there is none</span>`
      }</p>
    ${
      models.versions.length === 0
        ? html`<p class="muted">No trained versions yet.</p>`
        : html`
    <table><thead><tr><th>Version</th><th>Status</th><th>Method</th><th>Validation loss</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${models.versions.map(
        (v) => html`<tr>
        <td>${v.version}</td><td title=${v.note ?? ''}>${versionStatus(v.status)}</td><td>${v.method}</td><td>${fmt(v.metrics.validation_loss_after)}</td>
        <td class="actions">${
          v.status !== 'champion' &&
          html`<button aria-label=${`promote ${v.version}`} onClick=${() => act(`/training/${persona}/models/${v.version}/promote`, `Promoted ${v.version}.`)}>Promote</button>
          <button aria-label=${`remove ${v.version}`} onClick=${() => remove(v.version)}>Remove</button>`
        }</td></tr>`,
      )}</tbody></table>`
    }
  </section>`;
}

/**
 * Every `persona train` flag; the persona file's values fill the fields. Defaults, not
 * values: the page re-renders on every training step and must not undo what was typed.
 */
function StartForm({ persona, settings, running, start }) {
  const number = (name, label, value, step = '1', min = '1') =>
    html`<label>${label} <input name=${name} type="number" min=${min} step=${step} defaultValue=${value ?? ''} placeholder=${value == null ? '(auto)' : ''} /></label>`;
  const choice = (name, label, value, options) =>
    html`<label>${label} <select name=${name}>${options.map(([v, text]) => html`<option value=${v} selected=${v === value}>${text}</option>`)}</select></label>`;
  return html`<form class="card toolbar" onSubmit=${start} aria-label="start a training run" key=${persona}>
      ${choice('method', 'Method', settings.method, [
        ['lora', 'LoRA'],
        ['full', 'full'],
      ])}
      ${number('epochs', 'Epochs', settings.epochs, 'any', '0.01')}
      ${number('maxSteps', 'Max steps', settings.maxSteps)}
      ${number('learningRate', 'Learning rate', settings.learningRate, 'any', '0')}
      ${number('batchSize', 'Batch size', settings.batchSize)}
      ${number('seqLen', 'Sequence length', settings.seqLen, '1', '16')}
      ${choice('optimizer', 'Optimizer', settings.optimizer, [
        ['adamw', 'AdamW'],
        ['sgd', 'SGD'],
      ])}
      ${number('seed', 'Seed', settings.seed, '1', '0')}
      ${number('loraRank', 'LoRA rank', settings.loraRank)}
      <button type="submit" class="primary" disabled=${running}>Start training</button>
    </form>`;
}

/** The base the persona fine-tunes from: the bundled one or any base in the Hugging Face cache; pull another with progress. */
function BasePicker({ persona }) {
  const [bases, setBases] = useState(null);
  const [message, setMessage] = useState(null);
  const [pulling, setPulling] = useState(null); // null, or { file, done, total }
  const load = () => api(`/training/${persona}/bases`).then(setBases, (e) => setMessage({ text: e.message, error: true }));
  useEffect(() => {
    setMessage(null);
    load();
  }, [persona]);
  async function choose(base) {
    try {
      await api(`/training/${persona}/base`, { method: 'POST', body: { base } });
      setMessage({ text: `The next run of ${persona} fine-tunes ${base || 'the bundled base'}.` });
      load();
    } catch (error) {
      setMessage({ text: error.message, error: true });
    }
  }
  async function pull(event) {
    event.preventDefault();
    const id = new FormData(event.target).get('hubId').trim();
    setPulling({ file: '', done: 0, total: 0 });
    try {
      await postStream('/training/bases/pull', { id }, (name, data) => {
        if (name === 'progress') setPulling(data);
        if (name === 'done') setMessage({ text: `Pulled ${data.id}: choose it above.` });
        if (name === 'error') setMessage({ text: data.error, error: true });
      });
    } catch (error) {
      setMessage({ text: error.message, error: true });
    }
    setPulling(null);
    load();
  }
  if (!bases) return null;
  return html`<section class="card" aria-labelledby="base-title">
    <h3 id="base-title">Base model</h3>
    <label>Fine-tune from <select onChange=${(e) => choose(e.target.value)}>
      ${!bases.bases.some((b) => b.id === bases.current) && html`<option selected>${bases.current}</option>`}
      ${bases.bases.map((b) => html`<option value=${b.id} selected=${b.id === bases.current}>${b.label}</option>`)}</select></label>
    <form class="toolbar" aria-label="pull a base" onSubmit=${pull}>
      <label>Hugging Face id <input name="hubId" placeholder="HuggingFaceTB/SmolLM2-135M-Instruct" required /></label>
      <button type="submit" disabled=${!!pulling}>Pull</button>
      ${pulling && html`<progress aria-label="pull progress" max=${pulling.total || 1} value=${pulling.total ? pulling.done : undefined}></progress> <span class="muted">${pulling.file}</span>`}
    </form>
    <${Status} message=${message} />
  </section>`;
}

export function TrainingPage({ persona, reload }) {
  const [live, setLive] = useState(IDLE);
  const [jobs, setJobs] = useState([]);
  const [models, setModels] = useState({ champion: null, versions: [] });
  const [settings, setSettings] = useState(null);
  const [message, setMessage] = useState(null);
  const refresh = () => {
    if (!persona) return;
    api(`/training/${persona}/jobs`).then(
      (list) => {
        setJobs(list);
        // A run started elsewhere (the Personas page, Slack, a schedule) shows its real phase, not "starting".
        const running = list.find((j) => j.status === 'running');
        if (running) setLive((l) => ({ ...l, running: true, phase: running.phase === 'queued' && l.phase ? l.phase : running.phase }));
      },
      (e) => setMessage({ text: e.message, error: true }),
    );
    api(`/training/${persona}/models`).then(setModels, (e) => setMessage({ text: e.message, error: true }));
  };
  useEffect(() => {
    setLive(IDLE);
    setMessage(null);
    setSettings(null);
    refresh();
    api(`/training/${persona}/settings`).then(setSettings, (e) => setMessage({ text: e.message, error: true }));
    return subscribe((name, data) => {
      // The first message says what the queue is doing: a run started from another page shows as running.
      if (name === 'hello')
        return setLive((l) => ({
          ...l,
          running: data.running.includes(persona) || data.waiting.includes(persona),
          phase: data.waiting.includes(persona) ? 'queued' : l.phase,
        }));
      if (data?.persona !== persona) return;
      if (name === 'phase')
        setLive((l) => ({
          ...l,
          running: data.phase !== 'done',
          phase: data.phase,
          points: data.phase === 'train' ? [] : l.points,
          last: data.phase === 'train' ? null : l.last,
        }));
      if (name === 'training' && data.event.type === 'step')
        setLive((l) => ({ ...l, running: true, phase: 'train', last: data.event, points: [...l.points, { step: data.event.step, loss: data.event.loss }] }));
      if (name === 'training' && data.event.type === 'eval')
        setLive((l) => ({ ...l, points: [...l.points, { step: data.event.step, validationLoss: data.event.validationLoss }] }));
      if (name === 'job') {
        setLive((l) => ({ ...l, job: data, running: data.status === 'running' }));
        refresh();
        if (data.status !== 'running') reload();
      }
      if (name === 'champion') refresh();
    });
  }, [persona]);

  async function start(event) {
    event.preventDefault();
    const form = Object.fromEntries([...new FormData(event.target)].filter(([, v]) => v !== ''));
    // Only what differs from the persona file is sent: the rest stays the file's.
    const changed = Object.fromEntries(Object.entries(form).filter(([key, value]) => String(settings?.[key] ?? '') !== value));
    try {
      await api(`/training/${persona}/start`, { method: 'POST', body: changed });
      setLive((l) => ({ ...l, running: true, phase: 'queued' }));
      askToNotify();
    } catch (error) {
      setMessage({ text: error.message, error: true });
    }
  }
  async function cancel() {
    try {
      await api(`/training/${persona}/cancel`, { method: 'POST' });
      setMessage({ text: 'Cancelling: the run stops after its current step.' });
    } catch (error) {
      setMessage({ text: error.message, error: true });
    }
  }
  async function act(path, done) {
    try {
      await api(path, { method: 'POST' });
      setMessage({ text: done });
    } catch (error) {
      setMessage({ text: error.message, error: true });
    }
    refresh();
    reload();
  }
  return html`
    <h2>Training</h2>
    ${settings ? html`<${StartForm} persona=${persona} settings=${settings} running=${live.running} start=${start} />` : html`<p class="muted">Loading the persona's training settings…</p>`}
    <${Status} message=${message} />
    <${Live} live=${live} latest=${live.job ?? jobs[0]} persona=${persona} cancel=${cancel} />
    <${PastRuns} jobs=${jobs} />
    <${Versions} persona=${persona} models=${models} act=${act} />
    <${BasePicker} persona=${persona} />`;
}
