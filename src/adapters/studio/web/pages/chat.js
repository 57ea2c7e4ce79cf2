// Chat: talk to a persona with any model version (or the base), streamed; compare two
// versions side by side on the same conversation (#/chat/<persona>/compare[/<version>] opens
// that version, or the champion, next to the base: the before/after of training). Sampling
// controls (temperature, max length, seed), Stop, Regenerate, Copy, 👍/👎 kept on every past
// reply, the persona's greeting first; `/help` and `/reset` are commands, never sent.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api, postStream } from '../api.js';
import { Thumb } from '../icons.js';

const USER = 'You';
const COMMANDS = '/help lists these commands · /reset starts a new conversation (the greeting again) · Enter sends · Stop ends a reply where it is.';

/** This pane's conversation: the greeting, the user's turns and this pane's own replies. */
const paneTurns = (turns, label) => turns.map((t, index) => ({ ...t, index })).filter((t) => t.speaker === USER || t.greeting || t.pane === label);

/** Sampling settings as the chat API takes them; empty fields keep the persona file's. */
function overrides(settings) {
  const out = {};
  if (settings.temperature !== '') out.temperature = Number(settings.temperature);
  if (settings.maxTokens !== '') out.max_new_tokens = Number(settings.maxTokens);
  if (settings.seed !== '') out.seed = Number(settings.seed);
  return out;
}

function Pane({ persona, personaName, model, turns, round, stop, settings, onDone, onRate, label }) {
  const [text, setText] = useState('');
  const [streaming, setStreaming] = useState(false);
  const [error, setError] = useState('');
  const [copied, setCopied] = useState(null);
  const controller = useRef(null);
  const stopped = useRef(false);
  // A pane that appears mid-conversation (compare turned on) must not answer an old round.
  const answered = useRef(round);
  useEffect(() => {
    if (round === answered.current) return;
    answered.current = round;
    const current = new AbortController();
    controller.current = current;
    stopped.current = false;
    const finish = (reply) => {
      setStreaming(false);
      onDone(reply);
    };
    let sofar = '';
    setText('');
    setError('');
    setStreaming(true);
    const context = paneTurns(turns, label).map(({ speaker, text }) => ({ speaker, text }));
    postStream(
      `/chat/${persona}`,
      { turns: context, model, ...overrides(settings) },
      (event, data) => {
        if (event === 'delta') setText((sofar += data.text));
        if (event === 'done') finish({ text: data.text, tokens: data.tokens, stoppedBy: data.stoppedBy });
        if (event === 'error') {
          setError(data.error);
          finish(null);
        }
      },
      current.signal,
    ).catch((e) => {
      // Stop keeps what was written so far; a new conversation (unmount) drops it.
      if (e.name === 'AbortError') return stopped.current && finish(sofar ? { text: sofar, tokens: null, stoppedBy: 'stop' } : null);
      setError(e.message);
      finish(null);
    });
    return () => current.abort();
  }, [round]);
  useEffect(() => {
    if (!stop || !streaming) return;
    stopped.current = true;
    controller.current?.abort();
  }, [stop]);
  async function rate(turn, rating) {
    const context = paneTurns(turns, label)
      .filter((t) => t.index < turn.index)
      .map(({ speaker, text }) => ({ speaker, text }));
    try {
      await api(`/chat/${persona}/feedback`, {
        method: 'POST',
        body: { messageId: `studio-${model}-${turn.index}-${turn.at}`, rating, reply: turn.text, context },
      });
      onRate(turn.index, rating);
    } catch (e) {
      setError(e.message);
    }
  }
  async function copy(turn) {
    try {
      await navigator.clipboard.writeText(turn.text);
      setCopied(turn.index);
    } catch {
      setError('The browser did not allow copying; select the text instead.');
    }
  }
  const limit = (t) => (t.stoppedBy === 'max_new_tokens' ? ' (length limit)' : t.stoppedBy === 'stop' ? ' (stopped)' : '');
  return html`
    <section class="chat-pane card" aria-label=${`replies from ${model}`}>
      <h3>${personaName} · ${model === 'base' ? 'base model' : model}</h3>
      <ol class="messages">
        ${paneTurns(turns, label).map(
          (t) => html`<li class=${t.speaker === USER ? 'user' : 'bot'}>
          <strong>${t.speaker}</strong> ${t.text}
          ${
            t.speaker !== USER &&
            !t.greeting &&
            html`<span class="rate">
            <button aria-label="good reply" title="good reply (👍)" aria-pressed=${t.rating === 'up'} onClick=${() => rate(t, 'up')}><${Thumb} direction="up" /></button>
            <button aria-label="bad reply" title="bad reply (👎)" aria-pressed=${t.rating === 'down'} onClick=${() => rate(t, 'down')}><${Thumb} direction="down" /></button>
            <button aria-label="copy reply" onClick=${() => copy(t)}>${copied === t.index ? 'Copied' : 'Copy'}</button></span>
            <span class="muted"> ${t.tokens == null ? '' : `${t.tokens} tokens`}${limit(t)}</span>`
          }
        </li>`,
        )}
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
  const [stop, setStop] = useState(0);
  const [conversation, setConversation] = useState(0);
  const [waiting, setWaiting] = useState(0);
  const [input, setInput] = useState('');
  const [note, setNote] = useState('');
  const [settings, setSettings] = useState({ temperature: '', maxTokens: '', seed: '' });
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
    api(`/chat/${persona}/greeting`).then(
      ({ greeting }) => greeting && setTurns((t) => (t.length ? t : [{ speaker: info?.name ?? persona, text: greeting, greeting: true }])),
      () => undefined,
    );
  }
  function command(text) {
    if (text === '/help') setNote(COMMANDS);
    else if (text === '/reset') {
      newConversation();
      setNote('New conversation.');
    } else setNote(`${text.split(/\s/)[0]} is not a command; /help lists them. (Nothing was sent.)`);
  }
  function send(event) {
    event.preventDefault();
    const text = input.trim();
    if (!text || waiting) return;
    setInput('');
    if (text.startsWith('/')) return command(text);
    setNote('');
    setTurns([...turns, { speaker: USER, text }]);
    setWaiting(right ? 2 : 1);
    setRound((r) => r + 1);
  }
  const lastIsReply = turns.length > 0 && turns.at(-1).speaker !== USER && !turns.at(-1).greeting;
  function regenerate() {
    if (waiting || !lastIsReply) return;
    let end = turns.length;
    while (end > 0 && turns[end - 1].speaker !== USER) end--;
    setTurns(turns.slice(0, end));
    setWaiting(right ? 2 : 1);
    setRound((r) => r + 1);
  }
  const done = (pane) => (reply) => {
    if (reply) setTurns((t) => [...t, { speaker: info.name, pane, at: Date.now(), ...reply }]);
    setWaiting((w) => Math.max(0, w - 1));
  };
  const rated = (index, rating) => setTurns((t) => t.map((turn, i) => (i === index ? { ...turn, rating } : turn)));
  const label = (version) => (version === 'base' ? 'base model' : `${version}${version === models.champion ? ' (champion)' : ''}`);
  const select = (value, set, text, allowNone) => html`<label>${text}
    <select value=${value} onChange=${(e) => set(e.target.value)} disabled=${!!waiting}>
      ${allowNone && html`<option value="">(no comparison)</option>`}
      ${choices.map((m) => html`<option value=${m}>${label(m)}</option>`)}
    </select></label>`;
  const setting = (key, text, attrs) => html`<label>${text}
    <input type="number" ...${attrs} value=${settings[key]} placeholder="(persona)" onInput=${(e) => setSettings({ ...settings, [key]: e.target.value })} /></label>`;
  return html`
    <h2>Chat with ${info.name}</h2>
    ${info.demoBaseNotice && html`<p class="muted" role="note">${info.demoBaseNotice}</p>`}
    <div class="toolbar">${select(left, setLeft, 'Model', false)} ${select(right, setRight, 'Compare with', true)}
      ${setting('temperature', 'Temperature', { min: '0', max: '2', step: '0.05' })}
      ${setting('maxTokens', 'Max length (tokens)', { min: '1', max: '2048', step: '1' })}
      ${setting('seed', 'Seed', { min: '0', step: '1' })}
      <button onClick=${newConversation}>New conversation</button></div>
    ${mode === 'compare' && models.versions.length === 0 && html`<p class="muted">${info.name} has no trained version yet: train one on the Training page to compare it with the base.</p>`}
    <div class=${right ? 'columns' : ''} key=${conversation}>
      <${Pane} label="left" persona=${persona} personaName=${info.name} model=${left} turns=${turns} round=${round} stop=${stop} settings=${settings} onDone=${done('left')} onRate=${rated} />
      ${right && html`<${Pane} label="right" persona=${persona} personaName=${info.name} model=${right} turns=${turns} round=${round} stop=${stop} settings=${settings} onDone=${done('right')} onRate=${rated} />`}
    </div>
    <p role="status" class="muted">${note}</p>
    <form class="composer" onSubmit=${send}>
      <label for="message">Message</label>
      <input id="message" value=${input} onInput=${(e) => setInput(e.target.value)} autocomplete="off" placeholder=${`Say something to ${info.name}… (/help)`} />
      ${waiting ? html`<button type="button" onClick=${() => setStop((s) => s + 1)}>Stop</button>` : html`<button type="submit">Send</button>`}
      <button type="button" onClick=${regenerate} disabled=${!!waiting || !lastIsReply}>Regenerate</button>
    </form>`;
}
