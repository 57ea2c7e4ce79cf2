// Training: start a run and watch it live (loss chart, tokens/s, ETA), past runs with their
// curves and the gate's decision, model versions with promote and roll back.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api, subscribe } from '../api.js';
import { LossChart } from '../chart.js';

const fmt = (x, digits = 4) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–');

function eta(event) {
  if (!event || event.step === 0) return '';
  const seconds = ((event.totalSteps - event.step) * event.elapsedSeconds) / event.step;
  return seconds < 90 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;
}

export function TrainingPage({ persona, reload }) {
  const [live, setLive] = useState({ phase: '', points: [], last: null, job: null });
  const [jobs, setJobs] = useState([]);
  const [models, setModels] = useState({ champion: null, versions: [] });
  const [selected, setSelected] = useState(null);
  const [status, setStatus] = useState('');
  const refresh = () => {
    if (!persona) return;
    api(`/training/${persona}/jobs`).then(setJobs);
    api(`/training/${persona}/models`).then(setModels);
  };
  useEffect(() => {
    setLive({ phase: '', points: [], last: null, job: null });
    refresh();
    return subscribe((name, data) => {
      if (data?.persona !== persona && name !== 'hello') return;
      if (name === 'phase') setLive((l) => ({ ...l, phase: data.phase, points: data.phase === 'train' ? [] : l.points }));
      if (name === 'training' && data.event.type === 'step') setLive((l) => ({ ...l, last: data.event, points: [...l.points, { step: data.event.step, loss: data.event.loss }] }));
      if (name === 'training' && data.event.type === 'eval') setLive((l) => ({ ...l, points: [...l.points, { step: data.event.step, validationLoss: data.event.validationLoss }] }));
      if (name === 'job') {
        setLive((l) => ({ ...l, job: data }));
        if (data.status !== 'running') {
          refresh();
          reload();
        }
      }
      if (name === 'champion') refresh();
    });
  }, [persona]);

  async function start(event) {
    event.preventDefault();
    const form = Object.fromEntries([...new FormData(event.target)].filter(([, v]) => v !== ''));
    try {
      await api(`/training/${persona}/start`, { method: 'POST', body: { ...form, epochs: form.epochs && Number(form.epochs), maxSteps: form.maxSteps && Number(form.maxSteps) } });
      setStatus('Queued; progress appears below.');
    } catch (error) {
      setStatus(error.message);
    }
  }
  async function act(path, done) {
    try {
      await api(path, { method: 'POST' });
      setStatus(done);
    } catch (error) {
      setStatus(error.message);
    }
    refresh();
    reload();
  }
  const running = live.job && live.job.status === 'running';
  return html`
    <h2>Training</h2>
    <form class="card toolbar" onSubmit=${start} aria-label="start a training run">
      <label>Method <select name="method"><option value="">(persona file)</option><option value="lora">LoRA</option><option value="full">full</option></select></label>
      <label>Epochs <input name="epochs" type="number" min="1" step="1" size="4" /></label>
      <label>Max steps <input name="maxSteps" type="number" min="1" step="1" size="5" /></label>
      <button type="submit">Start training</button>
    </form>
    <p role="status" aria-live="polite">${status}</p>
    <section class="card" aria-label="live progress">
      <h3>Live</h3>
      <p>${running ? `Running: ${live.phase || 'starting'}` : live.job ? `Last run: ${live.job.status} — ${live.job.message ?? ''}` : 'No run in progress.'}
        ${live.last && html` · step ${live.last.step}/${live.last.totalSteps} · loss ${fmt(live.last.loss)} · ${Math.round(live.last.tokensPerSecond)} tokens/s · ETA ${eta(live.last)}`}</p>
      <${LossChart} points=${live.points} label="loss of the current run" />
    </section>
    <section class="card" aria-labelledby="runs-title">
      <h3 id="runs-title">Past runs</h3>
      <table><thead><tr><th>Started</th><th>Status</th><th>Version</th><th>Validation loss before → after</th><th>Gate</th></tr></thead>
        <tbody>${jobs.map((j) => html`<tr>
          <td><button class="link" onClick=${() => setSelected(j)}>${new Date(j.startedAt).toLocaleString()}</button></td>
          <td>${j.status}</td><td>${j.version ?? ''}</td>
          <td>${fmt(j.metrics.validation_loss_before)} → ${fmt(j.metrics.validation_loss_after)}</td><td>${j.message ?? ''}</td></tr>`)}</tbody></table>
      ${selected && html`<${LossChart} points=${selected.curve} label=${`loss curve of ${selected.version ?? selected.id}`} />`}
    </section>
    <section class="card" aria-labelledby="models-title">
      <h3 id="models-title">Model versions</h3>
      <p>Champion: <strong>${models.champion ?? 'base model'}</strong> ${models.champion && html`<button onClick=${() => act(`/training/${persona}/rollback`, 'Rolled back.')}>Roll back</button>`}</p>
      <table><thead><tr><th>Version</th><th>Status</th><th>Method</th><th>Validation loss</th><th></th></tr></thead>
        <tbody>${models.versions.map((v) => html`<tr>
          <td>${v.version}</td><td>${v.status}</td><td>${v.method}</td><td>${fmt(v.metrics.validation_loss_after)}</td>
          <td>${v.status !== 'champion' && html`<button onClick=${() => act(`/training/${persona}/models/${v.version}/promote`, `Promoted ${v.version}.`)}>Promote</button>`}</td></tr>`)}</tbody></table>
    </section>`;
}
