/**
 * Who may use the studio, over real HTTP connections: only this computer unless STUDIO_TOKEN
 * is set, Host headers that name this computer (no DNS rebinding), the token's cookie flow,
 * no state-changing requests from other web sites, and no unprotected start on an address
 * other computers can reach. A connection from a non-loopback address uses this machine's
 * own non-loopback interface when it has one; otherwise the middleware's decision is checked
 * through `studioApp(...).request()` with the connection details the Node server passes.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { serve } from '@hono/node-server';
import { isPersonaError } from '../../../src/errors.ts';
import { StudioServer, studioApp } from '../../../src/adapters/studio/server.ts';
import type { StudioDeps } from '../../../src/adapters/studio/deps.ts';
import { studioPorts } from '../../../src/app/adapters.ts';
import { servingChat } from '../../../src/app/chat-services.ts';
import { PERSONA, startStudioProject, type StudioProject } from './studio-project.ts';

const TOKEN = 'correct-horse-battery-staple';

/** This machine's first non-loopback IPv4 address, if it has one. */
const OUTSIDE = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request (fetch cannot set Host). */
function get(address: string, port: number, path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: address, port, path, method, headers: { host: `${address}:${port}`, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let project: StudioProject;
let deps: StudioDeps;
let local: { port: number };

before(async () => {
  project = await startStudioProject();
  const { core, scheduler, events } = project.server;
  deps = studioPorts(core, scheduler, events, servingChat(core, scheduler));
  local = { port: Number(new URL(project.url).port) };
});
after(() => project.close());

const withConfig = (patch: Partial<StudioDeps['data']['config']>): StudioDeps => ({
  ...deps,
  data: { ...deps.data, config: { ...deps.data.config, ...patch } },
});

/** The studio started through the adapter contract, as `persona serve` starts it. */
async function startStudio(deps: StudioDeps): Promise<StudioServer> {
  const studio = new StudioServer(deps);
  await studio.start();
  return studio;
}

test('the studio refuses to start on an address other computers can reach unless STUDIO_TOKEN is set', async () => {
  await assert.rejects(startStudio(withConfig({ STUDIO_HOST: '0.0.0.0', STUDIO_PORT: 0, STUDIO_TOKEN: undefined })), (error: Error) => {
    assert.ok(isPersonaError(error, 'config_invalid'));
    assert.match(error.message, /STUDIO_HOST is 0\.0\.0\.0, which other computers can reach: set STUDIO_TOKEN too/);
    return true;
  });
});

test('a studio port already in use is reported with the setting to change', async () => {
  await assert.rejects(
    startStudio(withConfig({ STUDIO_PORT: local.port })),
    /^PersonaError: Port \d+ on 127\.0\.0\.1 is already in use \(another persona serve\?\): stop that program or set STUDIO_PORT to a free port\.$/,
  );
});

test('without a token, a connection from another computer is refused and this computer is served', async () => {
  const app = studioApp(deps);
  if (OUTSIDE) {
    // Bound everywhere on purpose (startStudio would refuse): the middleware is the last guard.
    const server = serve({ fetch: app.fetch, hostname: '0.0.0.0', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const outside = await get(OUTSIDE, port, '/api/personas');
      assert.equal(outside.status, 403);
      assert.match(JSON.parse(outside.body).error, /only accepts connections from this computer \(set STUDIO_TOKEN/);
      assert.equal((await get('127.0.0.1', port, '/api/personas')).status, 200);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  } else {
    const from = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress, remotePort: 50000, remoteFamily: 'IPv4' } } });
    const init = { headers: { host: '127.0.0.1:3000' } }; // what the Node server copies from the request line
    const outside = await app.request('http://127.0.0.1:3000/api/personas', init, from('203.0.113.9'));
    assert.equal(outside.status, 403);
    assert.match((await outside.json()).error, /only accepts connections from this computer/);
    assert.equal((await app.request('http://127.0.0.1:3000/api/personas', init, from('127.0.0.1'))).status, 200);
  }
});

test('a Host header that does not name this computer is refused (DNS rebinding)', async () => {
  const rebound = await get('127.0.0.1', local.port, '/api/personas', { host: `evil.example:${local.port}` });
  assert.equal(rebound.status, 403);
  assert.match(JSON.parse(rebound.body).error, /Unexpected Host header: open the studio at http:\/\/127\.0\.0\.1/);
  assert.equal((await get('127.0.0.1', local.port, '/api/personas', { host: `localhost:${local.port}` })).status, 200);
});

test('a state-changing request sent by another web site is refused; the page itself may post', async () => {
  const start = `/api/training/${PERSONA}/start`;
  const forged = await get('127.0.0.1', local.port, start, { origin: 'http://evil.example', 'content-type': 'text/plain' }, 'POST', '{}');
  assert.equal(forged.status, 403);
  assert.match(JSON.parse(forged.body).error, /sent by other web sites are refused/);
  const fetchMetadata = await get('127.0.0.1', local.port, start, { 'sec-fetch-site': 'cross-site' }, 'POST', '{}');
  assert.equal(fetchMetadata.status, 403);
  assert.deepEqual(deps.scheduler.status.running.concat(deps.scheduler.status.waiting), [], 'no training was queued');
  const sameSite = await get(
    '127.0.0.1',
    local.port,
    '/api/personas',
    { origin: `http://127.0.0.1:${local.port}`, 'content-type': 'application/json' },
    'POST',
    '{"id":"Bad Id"}',
  );
  assert.equal(sameSite.status, 400, 'the studio page reaches the route, which answers with the validation error');
});

test('with STUDIO_TOKEN it listens everywhere and every request needs the token; /?token= sets the cookie once', async () => {
  const studio = await startStudio(withConfig({ STUDIO_HOST: '0.0.0.0', STUDIO_PORT: 0, STUDIO_TOKEN: TOKEN }));
  try {
    const from = OUTSIDE ?? '127.0.0.1';
    const bare = await get(from, studio.port!, '/api/personas');
    assert.equal(bare.status, 401);
    assert.match(JSON.parse(bare.body).error, /needs its token: open it once as \/\?token=YOUR_STUDIO_TOKEN/);
    const page = await get(from, studio.port!, '/?token=wrong');
    assert.equal(page.status, 401);
    assert.match(page.body, /<p>This studio needs its token: open it once as \/\?token=YOUR_STUDIO_TOKEN\.<\/p>/, 'a browser shows a sentence, not JSON');

    const opened = await get(from, studio.port!, '/?token=' + TOKEN);
    assert.equal(opened.status, 302, 'the token leaves the address bar');
    assert.equal(opened.headers.location, '/');
    const cookie = String(opened.headers['set-cookie']);
    assert.match(cookie, new RegExp(`^studio_token=${TOKEN}; Path=/; HttpOnly; SameSite=Strict`));

    const withCookie = await get(from, studio.port!, '/api/personas', { cookie: `studio_token=${TOKEN}` });
    assert.equal(withCookie.status, 200);
    assert.ok(JSON.parse(withCookie.body).some((p: { id: string }) => p.id === PERSONA));
    assert.equal((await get(from, studio.port!, '/', { cookie: `studio_token=${TOKEN}` })).status, 200);
    assert.equal((await get(from, studio.port!, '/api/personas', { authorization: `Bearer ${TOKEN}` })).status, 200);
    assert.equal((await get(from, studio.port!, '/api/personas', { cookie: 'studio_token=wrong' })).status, 401);
    const forged = await get(
      from,
      studio.port!,
      `/api/training/${PERSONA}/start`,
      { cookie: `studio_token=${TOKEN}`, origin: 'http://evil.example' },
      'POST',
      '{}',
    );
    assert.equal(forged.status, 403, 'the cookie does not make a cross-site post acceptable');
  } finally {
    await studio.stop();
  }
});
