// One status line per form: progress and success are announced politely, refusals as alerts.
import { html } from './html.js';

/** message: null, or { text, error? } */
export function Status({ message }) {
  if (!message?.text) return html`<p role="status"></p>`;
  return message.error ? html`<p role="alert" class="error">${message.text}</p>` : html`<p role="status">${message.text}</p>`;
}
