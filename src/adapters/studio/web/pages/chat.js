// Chat: talk to a persona with any model version (or the base), streamed; compare two
// versions side by side on the same conversation; rate replies 👍/👎.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api, postStream } from '../api.js';

const USER = 'You';

function Pane({ persona, personaName, model, turns, pending, onDone, label }) {
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [rated, setRated] = useState({});
  const busy = useRef(null);
  useEffect(() => {
    if (!pending) return;
    const controller = new AbortController();
    busy.current = controller;
    setText('');
    setError('');
    let sofar = '';
    // Each pane continues its own conversation: the user's turns and this model's replies.
    const context = turns.filter((t) => t.speaker === USER || t.pane === label).map(({ speaker, text }) => ({ speaker, text }));
    postStream(`/chat/${persona}`, { turns: context, model }, (event, data) => {
      if (event === 'delta') setText((sofar += data.text));
      if (event === 'done') onDone(data.text);
      if (event === 'error') setError(data.error);
    }, controller.signal).catch((e) => e.name !== 'AbortError' && setError(e.message));
    return () => controller.abort();
  }, [pending]);
  async function rate(index, reply, rating) {
    await api(`/chat/${persona}/feedback`, { method: 'POST', body: { messageId: `${model}-${index}-${Date.now()}`, rating, reply, context: turns.slice(0, index) } });
    setRated({ ...rated, [index]: rating });
  }
  const replies = turns.map((t, i) => ({ ...t, index: i })).filter((t) => t.pane === label || t.speaker === USER);
  return html`
    <section class="chat-pane" aria-label=${`replies from ${model}`}>
      <h3>${personaName} · ${model}</h3>
      <ol class="messages">
        ${replies.map((t) => html`<li class=${t.speaker === USER ? 'user' : 'bot'}>
          <strong>${t.speaker}</strong> ${t.text}
          ${t.speaker !== USER && html`<span class="rate">
            <button aria-label="good reply" aria-pressed=${rated[t.index] === 'up'} onClick=${() => rate(t.index, t.text, 'up')}>👍</button>
            <button aria-label="bad reply" aria-pressed=${rated[t.index] === 'down'} onClick=${() => rate(t.index, t.text, 'down')}>👎</button></span>`}
        </li>`)}
        ${pending && html`<li class="bot streaming" aria-live="polite"><strong>${personaName}</strong> ${text}<span class="cursor">▍</span></li>`}
      </ol>
      ${error && html`<p role="alert" class="error">${error}</p>`}
    </section>`;
}

export function ChatPage({ persona, personas }) {
  const info = personas.find((p) => p.id === persona);
  const [versions, setVersions] = useState([]);
  const [left, setLeft] = useState('');
  const [right, setRight] = useState('');
  const [turns, setTurns] = useState([]);
  const [pending, setPending] = useState(null);
  const [waiting, setWaiting] = useState(0);
  const [input, setInput] = useState('');
  useEffect(() => {
    if (!persona) return;
    setTurns([]);
    api(`/training/${persona}/models`).then((m) => {
      setVersions(m.versions.map((v) => v.version));
      setLeft(m.champion ?? 'base');
      setRight('');
    });
  }, [persona]);
  if (!info) return html`<p>Choose a persona.</p>`;
  const models = ['base', ...versions];
  function send(event) {
    event.preventDefault();
    if (!input.trim() || waiting) return;
    const next = [...turns, { speaker: USER, text: input.trim() }];
    setTurns(next);
    setInput('');
    setWaiting(right ? 2 : 1);
    setPending(Date.now());
  }
  const done = (pane) => (text) => {
    setTurns((t) => [...t, { speaker: info.name, text, pane }]);
    setWaiting((w) => {
      if (w <= 1) setPending(null);
      return w - 1;
    });
  };
  const select = (value, set, label, allowNone) => html`<label>${label}
    <select value=${value} onChange=${(e) => set(e.target.value)}>
      ${allowNone && html`<option value="">(no comparison)</option>`}
      ${models.map((m) => html`<option value=${m}>${m}</option>`)}
    </select></label>`;
  return html`
    <h2>Chat with ${info.name}</h2>
    <div class="toolbar">${select(left, setLeft, 'Model', false)} ${select(right, setRight, 'Compare with', true)}
      <button onClick=${() => setTurns([])}>New conversation</button></div>
    <div class=${right ? 'columns' : ''}>
      <${Pane} label="left" persona=${persona} personaName=${info.name} model=${left} turns=${turns} pending=${pending} onDone=${done('left')} />
      ${right && html`<${Pane} label="right" persona=${persona} personaName=${info.name} model=${right} turns=${turns} pending=${pending} onDone=${done('right')} />`}
    </div>
    <form class="composer" onSubmit=${send}>
      <label for="message">Message</label>
      <input id="message" value=${input} onInput=${(e) => setInput(e.target.value)} autocomplete="off" placeholder=${`Say something to ${info.name}…`} />
      <button type="submit" disabled=${!!waiting}>Send</button>
    </form>`;
}
