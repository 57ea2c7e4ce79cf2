// Talking to the studio server: JSON calls, file uploads with progress, and server-sent
// events read from a POST response (chat) or an EventSource (training progress).

export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const errorOf = (status, statusText, data) => new ApiError(data.error ?? `${status} ${statusText}`, status, data.code);

export async function api(path, { method = 'GET', body } = {}) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const response = await fetch(`/api${path}`, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw errorOf(response.status, response.statusText, data);
  return data;
}

/** POSTs a file as the raw body, or FormData as multipart; fetch cannot report upload progress, XMLHttpRequest can. */
export function upload(path, body, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api${path}`);
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.upload.onload = () => onProgress(1);
    xhr.onload = () => {
      let data = {};
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: the status line says enough
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(errorOf(xhr.status, xhr.statusText, data));
    };
    xhr.onerror = () => reject(new ApiError('The upload did not reach the studio server; is it still running?', 0));
    xhr.send(body);
  });
}

/** POSTs and calls onEvent(name, data) for each server-sent event until the stream ends. */
export async function postStream(path, body, onEvent, signal) {
  const response = await fetch(`/api${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal });
  if (!response.ok) {
    throw errorOf(response.status, response.statusText, await response.json().catch(() => ({})));
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      onEvent(event, data ? JSON.parse(data) : null);
    }
  }
}

export function subscribe(onEvent) {
  const source = new EventSource('/api/training/events');
  for (const name of ['hello', 'training', 'job', 'phase', 'champion']) source.addEventListener(name, (e) => onEvent(name, JSON.parse(e.data)));
  return () => source.close();
}
