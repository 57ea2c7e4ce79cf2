// Chat: talk to a persona with any model version (or the base), streamed; compare two
// versions side by side on the same conversation (#/chat/<persona>/compare[/<version>] opens
// that version, or the champion, next to the base: the before/after of training); rate
// replies 👍/👎.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api, postStream } from '../api.js';
import { Thumb } from '../icons.js';

const USER = 'You';

/** This pane's conversation: the user's turns and this pane's own replies. */
const paneTurns = (turns, label) => turns.map((t, index) => ({ ...t, index })).filter((t) => t.speaker === USER || t.pane === label);

function Pane({ persona, personaName, model, turns, round, onDone, label }) {
  const [text, setText] = useState('');
  const [streaming, setStreaming] = useState(false);
  const [error, setError] = useState('');
  const [rated, setRated] = useState({});
  // A pane that appears mid-conversation (compare turned on) must not answer an old round.
  const answered = useRef(round);
  useEffect(() => {
    if (round === answered.current) return;
    answered.current = round;
    const controller = new AbortController();
    const finish = (reply) => {
      setStreaming(false);
      onDone(reply);
    };
    let sofar = '';
    setText('');
    setError('');
    setStreaming(true);
    const context = paneTurns(turns, label).map(({ speaker, text }) => ({ speaker, text }));
    postStream(`/chat/${persona}`, { turns: context, model }, (event, data) => {
      if (event === 'delta') setText((sofar += data.text));
      if (event === 'done') finish({ text: data.text, tokens: data.tokens, stoppedBy: data.stoppedBy });
      if (event === 'error') {
        setError(data.error);
        finish(null);
      }
    }, controller.signal).catch((e) => {
      if (e.name === 'AbortError') return;
      setError(e.message);
      finish(null);
    });
    return () => controller.abort();
  }, [round]);
  async function rate(turn, rating) {
    const context = paneTurns(turns, label).filter((t) => t.index < turn.index).map(({ speaker, text }) => ({ speaker, text }));
    try {
      await api(`/chat/${persona}/feedback`, { method: 'POST', body: { messageId: `studio-${model}-${turn.index}-${turn.at}`, rating, reply: turn.text, context } });
      setRated({ ...rated, [turn.index]: rating });
    } catch (e) {
      setError(e.message);
    }
  }
  return html`
    <section class="chat-pane card" aria-label=${`replies from ${model}`}>
      <h3>${personaName} · ${model === 'base' ? 'base model' : model}</h3>
      <ol class="messages">
        ${paneTurns(turns, label).map((t) => html`<li class=${t.speaker === USER ? 'user' : 'bot'}>
          <strong>${t.speaker}</strong> ${t.text}
          ${t.speaker !== USER && html`<span class="rate">
            <button aria-label="good reply" title="good reply (👍)" aria-pressed=${rated[t.index] === 'up'} onClick=${() => rate(t, 'up')}><${Thumb} direction="up" /></button>
            <button aria-label="bad reply" title="bad reply (👎)" aria-pressed=${rated[t.index] === 'down'} onClick=${() => rate(t, 'down')}><${Thumb} direction="down" /></button></span>
            <span class="muted"> ${t.tokens} tokens${t.stoppedBy === 'max_new_tokens' ? ' (length limit)' : ''}</span>`}
        </li>`)}
        ${streaming && html`<li class="bot streaming" aria-live="polite" aria-busy="true"><strong>${personaName}</strong> ${text}<span class="cursor" aria-hidden="true">▍</span></li>`}
      </ol>
      ${error && html`<p role="alert" class="error">${error}</p>`}
    </section>`;
}

export function ChatPage({ persona, personas, mode, arg }) {
  const info = personas.find((p) => p.id === persona);
  const [models, setModels] = useState({ champion: null, versions: [] });
  const [left, setLeft] = useState('');
  const [right, setRight] = useState('');
  const [turns, setTurns] = useState([]);
  const [round, setRound] = useState(0);
  const [conversation, setConversation] = useState(0);
  const [waiting, setWaiting] = useState(0);
  const [input, setInput] = useState('');
  useEffect(() => {
    if (!persona) return;
    newConversation();
    api(`/training/${persona}/models`).then((m) => {
      setModels(m);
      const asked = m.versions.some((v) => v.version === arg) ? arg : undefined;
      const trained = asked ?? m.champion ?? m.versions.at(-1)?.version;
      setLeft(trained ?? 'base');
      setRight(mode === 'compare' && trained ? 'base' : '');
    });
  }, [persona, mode, arg]);
  if (!info) return html`<p>Choose a persona.</p>`;
  const choices = ['base', ...models.versions.map((v) => v.version)];
  function newConversation() {
    setTurns([]);
    setWaiting(0);
    setConversation((n) => n + 1); // new panes: any reply still streaming is cancelled
  }
  function send(event) {
    event.preventDefault();
    if (!input.trim() || waiting) return;
    setTurns([...turns, { speaker: USER, text: input.trim() }]);
    setInput('');
    setWaiting(right ? 2 : 1);
    setRound((r) => r + 1);
  }
  const done = (pane) => (reply) => {
    if (reply) setTurns((t) => [...t, { speaker: info.name, pane, at: Date.now(), ...reply }]);
    setWaiting((w) => Math.max(0, w - 1));
  };
  const label = (version) => (version === 'base' ? 'base model' : `${version}${version === models.champion ? ' (champion)' : ''}`);
  const select = (value, set, text, allowNone) => html`<label>${text}
    <select value=${value} onChange=${(e) => set(e.target.value)} disabled=${!!waiting}>
      ${allowNone && html`<option value="">(no comparison)</option>`}
      ${choices.map((m) => html`<option value=${m}>${label(m)}</option>`)}
    </select></label>`;
  return html`
    <h2>Chat with ${info.name}</h2>
    ${info.demoBaseNotice && html`<p class="muted" role="note">${info.demoBaseNotice}</p>`}
    <div class="toolbar">${select(left, setLeft, 'Model', false)} ${select(right, setRight, 'Compare with', true)}
      <button onClick=${newConversation}>New conversation</button></div>
    ${mode === 'compare' && models.versions.length === 0 && html`<p class="muted">${info.name} has no trained version yet: train one on the Training page to compare it with the base.</p>`}
    <div class=${right ? 'columns' : ''} key=${conversation}>
      <${Pane} label="left" persona=${persona} personaName=${info.name} model=${left} turns=${turns} round=${round} onDone=${done('left')} />
      ${right && html`<${Pane} label="right" persona=${persona} personaName=${info.name} model=${right} turns=${turns} round=${round} onDone=${done('right')} />`}
    </div>
    <form class="composer" onSubmit=${send}>
      <label for="message">Message</label>
      <input id="message" value=${input} onInput=${(e) => setInput(e.target.value)} autocomplete="off" placeholder=${`Say something to ${info.name}…`} />
      <button type="submit" disabled=${!!waiting}>${waiting ? 'Replying…' : 'Send'}</button>
    </form>`;
}
