// Uploads into a persona's dataset: a file (transcript, chat export, zipped Slack export) or a
// folder (an unzipped Slack export, a folder of transcripts), chosen or dropped on the form.
// A folder goes as multipart parts, each file after its path inside the folder.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api, upload } from '../api.js';
import { Status } from '../status.js';

const ACCEPT = '.txt,.text,.md,.log,.transcript,.srt,.vtt,.json,.jsonl,.zip';
const plural = (n, one) => `${n} ${one}${n === 1 ? '' : 's'}`;
const MB = 2 ** 20;
const megabytes = (bytes) => `${(bytes / MB).toFixed(bytes < 10 * MB ? 1 : 0)} MB`;
const counted = (record) =>
  Object.entries(record)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

function summaryText(name, summary, trusted) {
  const redacted = Object.values(summary.redactions).reduce((a, b) => a + b, 0);
  const dropped = Object.values(summary.dropped).reduce((a, b) => a + b, 0);
  const parts = [
    `${plural(summary.added, 'sample')} added ${trusted ? '(approved)' : 'to the review queue'}`,
    `${summary.existing} already known`,
    plural(summary.duplicates, 'duplicate'),
    `${plural(redacted, 'redaction')}${redacted ? ` (${counted(summary.redactions)})` : ''}`,
  ];
  if (dropped) parts.push(`${dropped} dropped (${counted(summary.dropped)})`);
  const format = Object.keys(summary.formats).join(', ');
  const hint =
    summary.added + summary.existing + summary.duplicates + dropped === 0 && summary.messages > 0
      ? ` None of its ${summary.messages} messages is by the persona's voices: check voices.names in the persona file, or fill in Speaker.`
      : '';
  return `${name}${format ? ` (${format})` : ''}: ${parts.join(', ')}.${hint}`;
}

const fileOf = (entry) => new Promise((resolve, reject) => entry.file(resolve, reject));
const readBatch = (reader) => new Promise((resolve, reject) => reader.readEntries(resolve, reject));

/** Every file under a dropped folder entry, with its path from the folder (readEntries answers in batches). */
async function walkEntry(entry, out = []) {
  if (entry.isFile) {
    out.push({ path: entry.fullPath.replace(/^\//, ''), file: await fileOf(entry) });
    return out;
  }
  const reader = entry.createReader();
  for (let batch = await readBatch(reader); batch.length > 0; batch = await readBatch(reader)) {
    for (const child of batch) await walkEntry(child, out);
  }
  return out;
}

/** What a drop holds: one file, or one folder's files. Entries must be taken before the event returns. */
async function dropped(dataTransfer) {
  const entries = [...dataTransfer.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
  const folder = entries.find((e) => e.isDirectory);
  if (folder) return { name: folder.name, files: await walkEntry(folder) };
  const file = dataTransfer.files[0];
  return file ? { name: file.name, file } : null;
}

export function Upload({ persona, name, reload }) {
  const [message, setMessage] = useState(null);
  const [progress, setProgress] = useState(null); // null: idle; 0..1: sending; 1: the server imports
  const [limit, setLimit] = useState(null);
  const [review, setReview] = useState(false);
  const [dragging, setDragging] = useState(false);
  useEffect(() => {
    api('/info').then(
      (info) => setLimit(info.maxUploadBytes),
      () => undefined,
    );
  }, []);

  /** Sends one file or one folder ({ name, file } or { name, files: [{ path, file }] }). */
  async function send(form, what) {
    const data = new FormData(form);
    const trusted = Boolean(data.get('trusted'));
    setReview(false);
    const size = what.file ? what.file.size : what.files.reduce((sum, f) => sum + f.file.size, 0);
    // Refused here, before a byte is sent: the server would refuse it anyway.
    if (limit && size > limit) {
      return setMessage({
        text: `${what.name} is ${megabytes(size)}; the studio accepts files up to ${megabytes(limit)}. Split it, or import it with \`persona ingest\`.`,
        error: true,
      });
    }
    let body = what.file;
    if (what.files) {
      body = new FormData();
      for (const { path, file } of what.files) {
        body.append('path', path);
        body.append('file', file, file.name);
      }
    }
    setProgress(0);
    setMessage({ text: `Sending ${what.name}${what.files ? ` (${plural(what.files.length, 'file')})` : ''}…` });
    try {
      const params = new URLSearchParams({ filename: what.name, trusted: String(trusted), speaker: data.get('speaker') ?? '' });
      const path = what.files ? `/personas/${persona}/uploads/folder?${params}` : `/personas/${persona}/uploads?${params}`;
      const summary = await upload(path, body, (fraction) => {
        setProgress(fraction);
        if (fraction >= 1) setMessage({ text: `Importing ${what.name}: reading, cleaning and removing duplicates…` });
      });
      setMessage({ text: summaryText(what.name, summary, trusted) });
      setReview(!trusted && summary.added > 0);
      form.reset();
      await reload();
    } catch (error) {
      setMessage({ text: error.message, error: true });
    } finally {
      setProgress(null);
    }
  }

  function submit(event) {
    event.preventDefault();
    const form = event.target;
    const folder = [...form.elements.folder.files];
    const file = form.elements.file.files[0];
    if (folder.length > 0) {
      const files = folder.map((f) => ({ path: f.webkitRelativePath || f.name, file: f }));
      return send(form, { name: files[0].path.split('/')[0], files });
    }
    if (!file) return setMessage({ text: 'Choose a file or a folder first.', error: true });
    return send(form, { name: file.name, file });
  }

  async function drop(event) {
    event.preventDefault();
    setDragging(false);
    const form = event.currentTarget;
    try {
      const what = await dropped(event.dataTransfer);
      if (what) await send(form, what);
    } catch (error) {
      setMessage({ text: `The dropped folder could not be read: ${error.message}`, error: true });
    }
  }

  const busy = progress !== null;
  const over = (event) => {
    event.preventDefault();
    setDragging(true);
  };
  return html`
    <form class=${`card${dragging ? ' dragging' : ''}`} onSubmit=${submit} onDragOver=${over} onDragLeave=${() => setDragging(false)} onDrop=${drop} aria-labelledby="upload-title">
      <h2 id="upload-title">Upload transcripts or chat exports</h2>
      <p>Into ${name}'s dataset.</p>
      <p class="muted">Subtitles (SRT, WebVTT), timestamped transcripts, scripts, text, Discord or Slack exports (zipped or as a folder), OpenAI JSONL, ShareGPT${limit ? `; up to ${megabytes(limit)} per upload` : ''}. Or drop a file or folder here.</p>
      <label>File <input type="file" name="file" accept=${ACCEPT} /></label>
      <label>Folder <input type="file" name="folder" webkitdirectory=${true} /></label>
      <label>Speaker (when the file has no names) <input name="speaker" /></label>
      <label class="inline"><input type="checkbox" name="trusted" /> These are the persona's own words: approve without review</label>
      <div><button type="submit" disabled=${busy}>Upload</button></div>
      ${busy && html`<progress class="upload" aria-label="upload progress" max="1" value=${progress < 1 ? progress : undefined}></progress>`}
      <${Status} message=${message} />
      ${review && html`<p><a href=${`#/review/${persona}`}>Review the new candidates</a></p>`}
    </form>`;
}
