/**
 * The studio's defences from the attack pass (issue #18), over real HTTP against the real
 * `persona serve`: no framing and a CSP on every answer, JSON bodies limited and checked
 * (400/413, never 500), `/vendor/__proto__` is a 404, and a chat refused because the model is
 * busy answers 503 before any stream starts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MAX_JSON_BYTES } from '../../../src/adapters/studio/hardening.ts';
import { PERSONA, startStudioProject, type StudioProject } from './studio-project.ts';

let project: StudioProject;
before(async () => {
  project = await startStudioProject({ GENERATION_MAX_QUEUE: '0' });
});
after(() => project.close());

const post = (path: string, body: string, type = 'application/json') =>
  fetch(new URL(path, project.url), { method: 'POST', headers: { 'content-type': type }, body });

test('every answer forbids framing and carries a Content Security Policy', async () => {
  for (const path of ['/', '/api/personas', '/app/main.js', '/nope']) {
    const res = await fetch(new URL(path, project.url));
    await res.arrayBuffer();
    assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'none'/, path);
    assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/, path);
    assert.match(csp, /default-src 'self'/, path);
  }
});

test('JSON bodies: invalid JSON and bare values are 400, oversized ones 413, with a sentence', async () => {
  const invalid = await post(`/api/chat/${PERSONA}`, '{"turns": [');
  assert.equal(invalid.status, 400);
  assert.match((await invalid.json()).error, /not valid JSON/);
  const bare = await post(`/api/chat/${PERSONA}/feedback`, '42');
  assert.equal(bare.status, 400);
  assert.match((await bare.json()).error, /must be a JSON object/);
  const huge = JSON.stringify({ messageId: 'm1', rating: 'up', reply: 'x'.repeat(MAX_JSON_BYTES), context: [] });
  const tooLarge = await post(`/api/chat/${PERSONA}/feedback`, huge);
  assert.equal(tooLarge.status, 413);
  assert.match((await tooLarge.json()).error, /larger than 1 MB/);
});

test('feedback with wrongly typed fields is a 400 naming the field, not a 500', async () => {
  for (const [body, field] of [
    [{ messageId: 'm1', rating: 'up', reply: 'ok', context: 'not a list' }, /context/],
    [{ messageId: 'm1', rating: 'up', reply: 'ok', context: [{ speaker: 7, text: 'x' }] }, /context/],
    [{ messageId: 'm1', rating: 'up', reply: { text: 'x' }, context: [] }, /reply/],
  ] as const) {
    const res = await post(`/api/chat/${PERSONA}/feedback`, JSON.stringify(body));
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match((await res.json()).error, field);
  }
  const ok = await post(
    `/api/chat/${PERSONA}/feedback`,
    JSON.stringify({ messageId: 'm1', rating: 'up', reply: 'Fine.', context: [{ speaker: 'Alice', text: 'Hi?' }] }),
  );
  assert.equal(ok.status, 200);
});

test('/vendor/__proto__ and other inherited names are 404, not 500', async () => {
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    const res = await fetch(new URL(`/vendor/${name}`, project.url));
    await res.arrayBuffer();
    assert.equal(res.status, 404, name);
  }
});

test('a chat refused because the model is busy answers 503 before streaming; the admitted one streams', async () => {
  const ask = () =>
    post(`/api/chat/${PERSONA}`, JSON.stringify({ turns: [{ speaker: 'Alice', text: 'Tell me about the lake.' }], max_new_tokens: 64, seed: 1 }));
  const answers = await Promise.all([ask(), ask(), ask()]);
  const statuses = answers.map((res) => res.status).sort();
  assert.ok(statuses.includes(200) && statuses.includes(503), `statuses ${statuses.join(', ')}`);
  for (const res of answers) {
    if (res.status === 503) {
      assert.match(res.headers.get('content-type') ?? '', /json/);
      assert.equal((await res.json()).code, 'generation_busy');
    } else {
      assert.match(res.headers.get('content-type') ?? '', /event-stream/);
      assert.match(await res.text(), /event: done/);
    }
  }
});
