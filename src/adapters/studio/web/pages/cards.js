// Character cards (V2/V3, PNG or JSON), as `persona import` and `persona export --card`:
// import one as a new persona, or download a persona as a card.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { upload } from '../api.js';
import { navigate } from '../route.js';
import { Status } from '../status.js';

export function CardImport({ reload }) {
  const [message, setMessage] = useState(null);
  async function submit(event) {
    event.preventDefault();
    const form = event.target;
    const data = new FormData(form);
    const file = data.get('card');
    if (!file?.name) return setMessage({ text: 'Choose a card file (.png or .json) first.', error: true });
    const params = new URLSearchParams({ filename: file.name, id: data.get('id') ?? '', name: data.get('name') ?? '' });
    try {
      const { persona, spec, pendingSamples } = await upload(`/personas/cards?${params}`, file, () => undefined);
      const waiting = pendingSamples ? ` ${pendingSamples} example ${pendingSamples === 1 ? 'line waits' : 'lines wait'} in review.` : '';
      setMessage({ text: `Imported ${persona.name} as ${persona.id} (Character Card ${spec.toUpperCase()}).${waiting}` });
      form.reset();
      await reload();
      navigate('personas', persona.id);
    } catch (error) {
      setMessage({ text: error.message, error: true });
    }
  }
  return html`
    <form class="card" onSubmit=${submit} aria-labelledby="card-import-title">
      <h2 id="card-import-title">Import a character card</h2>
      <p class="muted">A Character Card V2 or V3 (SillyTavern, chub.ai…) as .png or .json; its example dialogues wait in review.</p>
      <label>Card <input type="file" name="card" accept=".png,.json" /></label>
      <label>Id (if the card's is taken) <input name="id" pattern="[a-z0-9]([a-z0-9]|-){0,62}" title="lower-case letters, digits and dashes" /></label>
      <label>Name (if the card's is taken) <input name="name" /></label>
      <button type="submit">Import card</button>
      <${Status} message=${message} />
    </form>`;
}

/** Plain links: the server answers with the file as a download (the studio's cookie goes along). */
export function CardExport({ persona }) {
  const href = (format) => `/api/personas/${persona}/card?format=${format}`;
  return html`<p class="toolbar">Character card: <a href=${href('png')} download>Download PNG</a> <a href=${href('json')} download>Download JSON</a></p>`;
}
