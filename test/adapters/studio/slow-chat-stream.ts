/** A page-side throttle of the studio's chat stream, for browser tests that watch a reply grow. */
export interface SlowWindow {
  __slow: { delivered: string; sawDone: boolean; undeliveredAtStop: number };
  __realFetch: typeof fetch;
}

/**
 * Runs in the page: chat replies reach the page one server-sent event per `everyMs`, so a
 * reply is seen streaming however fast the model is (a fast reply can otherwise arrive in one
 * network chunk and render at once); aborting the request (Stop) cancels the real stream as a
 * browser does. Plain JavaScript in a string: a function passed from here would carry tsx's
 * name helpers.
 */
export const throttleChatStream = (everyMs: number) => `(() => {
  const realFetch = window.fetch;
  window.__realFetch = realFetch;
  window.__slow = { delivered: '', sawDone: false, undeliveredAtStop: -1 };
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  window.fetch = async (input, init) => {
    const response = await realFetch(input, init);
    if (!/\\/api\\/chat\\/[^/]+$/.test(String(input)) || !response.body) return response;
    const upstream = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const events = [];
    let upstreamDone = false;
    (async () => {
      let buffer = '';
      for (let r = await upstream.read(); !r.done; r = await upstream.read()) {
        buffer += r.value;
        for (let end = buffer.indexOf('\\n\\n'); end >= 0; end = buffer.indexOf('\\n\\n')) {
          events.push(buffer.slice(0, end + 2));
          buffer = buffer.slice(end + 2);
        }
      }
      upstreamDone = true;
    })().catch(() => undefined);
    let stream;
    init?.signal?.addEventListener('abort', () => {
      window.__slow.undeliveredAtStop = events.length + (upstreamDone ? 0 : 1);
      upstream.cancel().catch(() => undefined);
      stream.error(new DOMException('The user aborted a request.', 'AbortError'));
    });
    const body = new ReadableStream({
      start(controller) {
        stream = controller;
      },
      async pull(controller) {
        while (events.length === 0 && !upstreamDone) await wait(20);
        const event = events.shift();
        if (event === undefined) return controller.close();
        await wait(${everyMs});
        if (init?.signal?.aborted) return;
        const data = /^data: (.*)$/m.exec(event)?.[1];
        if (/^event: delta$/m.test(event) && data) window.__slow.delivered += JSON.parse(data).text;
        if (/^event: done$/m.test(event)) window.__slow.sawDone = true;
        controller.enqueue(new TextEncoder().encode(event));
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
})()`;
