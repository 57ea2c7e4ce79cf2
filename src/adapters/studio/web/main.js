// Persona Studio: navigation and routing (#/page/persona, see route.js). Each page lives in pages/.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { api } from './api.js';
import { navigate, parseHash } from './route.js';
import { PersonasPage } from './pages/personas.js';
import { ChatPage } from './pages/chat.js';
import { ReviewPage } from './pages/review.js';
import { TrainingPage } from './pages/training.js';
import { DatasetPage } from './pages/dataset.js';
import { RunToasts } from './notify.js';

const PAGES = [
  ['personas', 'Personas', PersonasPage],
  ['chat', 'Chat', ChatPage],
  ['review', 'Review queue', ReviewPage],
  ['training', 'Training', TrainingPage],
  ['dataset', 'Dataset', DatasetPage],
];

function App() {
  const [route, setRoute] = useState(parseHash());
  const [personas, setPersonas] = useState([]);
  const [error, setError] = useState('');
  const reload = () =>
    api('/personas').then(
      (list) => {
        setPersonas(list);
        setError('');
      },
      (e) => setError(e.message),
    );
  useEffect(() => {
    const onHash = () => setRoute(parseHash());
    addEventListener('hashchange', onHash);
    reload();
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const persona = route.persona || personas.find((p) => !p.error)?.id || '';
  const [, title, Page] = PAGES.find(([key]) => key === route.page) ?? PAGES[0];
  useEffect(() => {
    document.title = `${title} · Persona Studio`;
  }, [title]);
  return html`
    <header>
      <h1>Persona Studio</h1>
      <nav aria-label="Pages">
        ${PAGES.map(([key, label]) => html`<a href=${`#/${key}${persona ? `/${persona}` : ''}`} aria-current=${route.page === key ? 'page' : undefined}>${label}</a>`)}
      </nav>
      <label class="persona-picker">Persona
        <select value=${persona} onChange=${(e) => navigate(route.page, e.target.value)}>
          ${personas.filter((p) => !p.error).map((p) => html`<option value=${p.id}>${p.name}</option>`)}
        </select>
      </label>
    </header>
    ${error && html`<p role="alert" class="error">${error}</p>`}
    <main><${Page} persona=${persona} mode=${route.mode} arg=${route.arg} personas=${personas} reload=${reload} /></main>
    <${RunToasts} />
  `;
}

const root = document.getElementById('app');
root.textContent = ''; // the "Loading…" line; Preact appends rather than replacing foreign nodes
render(html`<${App} />`, root);
