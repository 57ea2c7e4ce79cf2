// Talking to the studio server: JSON calls, and server-sent events read from a POST
// response (chat) or an EventSource (training progress).

export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(path, { method = 'GET', body, raw } = {}) {
  const init = { method, headers: {} };
  if (raw !== undefined) init.body = raw;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const response = await fetch(`/api${path}`, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(data.error ?? `${response.status} ${response.statusText}`, response.status, data.code);
  return data;
}

/** POSTs and calls onEvent(name, data) for each server-sent event until the stream ends. */
export async function postStream(path, body, onEvent, signal) {
  const response = await fetch(`/api${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal });
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    throw new ApiError(data.error ?? response.statusText, response.status, data.code);
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
