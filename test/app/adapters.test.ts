/**
 * The adapter contract (PlatformAdapter in src/adapters/types.ts), one suite run against each
 * of the three adapters exactly as `persona serve` builds them (src/app/adapters.ts): Discord
 * against the fake Discord, Slack in Socket Mode against the fake Slack, the studio on
 * 127.0.0.1:0. Then the studio's chat through the same pipeline as Discord: one user's sixth
 * message within 30 s is refused with the same sentence on both.
 */
import '../adapters/slack/quiet-logs.ts';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { USER_MESSAGES } from '../../src/adapters/middleware/index.ts';
import type { PlatformAdapter } from '../../src/adapters/types.ts';
import { buildAdapters } from '../../src/app/adapters.ts';
import { openCore } from '../../src/app/core.ts';
import { AppEvents } from '../../src/app/process-events.ts';
import { serve } from '../../src/app/serve-process.ts';
import { PersonaFolder } from '../../src/app/persona-folder.ts';
import { startTraining } from '../../src/app/training-runner.ts';
import { loadConfig } from '../../src/config/config.ts';
import { FakeDiscord } from '../fakes/discord/server.ts';
import { FakeSlack } from '../fakes/slack/fake-slack.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';

let root: string;
let model: { dir: string };
before(() => {
  root = mkdtempSync(join(tmpdir(), 'adapters-'));
  mkdirSync(join(root, 'personas'));
  model = writeTinyModelFolder({ flavour: 'serving' });
  writeFileSync(join(root, 'personas', 'ada.yaml'), stringify({ id: 'ada', name: 'Ada', base: model.dir, sampling: { max_new_tokens: 4 } }));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(model.dir, { recursive: true, force: true });
});

const baseEnv = { LOG_LEVEL: 'silent', ORT_THREADS: '1', STUDIO_PORT: '0' };

/** What each adapter's health says while it runs. */
const RUNNING_DETAIL: Record<string, RegExp> = {
  studio: /^listening on http:\/\/127\.0\.0\.1:\d+\/$/,
  discord: /^connected as persona-bot(#\d+)? in 1 guild\(s\)$/,
  slack: /^Socket Mode, bot U\w+$/,
};

test('Discord, Slack and the studio: start → health ok → stop → health says stopped', async () => {
  const discord = new FakeDiscord();
  const { apiUrl } = await discord.start();
  const slack = await new FakeSlack().start();
  const config = loadConfig({
    root,
    env: {
      ...baseEnv,
      DISCORD_TOKEN: 'fake-token',
      DISCORD_API_URL: apiUrl,
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_APP_TOKEN: 'xapp-test',
      SLACK_API_URL: slack.apiUrl,
    },
  });
  const core = await openCore(config);
  const events = new AppEvents();
  const stopTraining = new AbortController();
  const training = startTraining(core, events, new Set(['bots']), new PersonaFolder(config.PERSONAS_DIR), stopTraining.signal);
  const serving = buildAdapters(core, training.scheduler, events);
  try {
    assert.deepEqual(
      serving.adapters.map((adapter) => adapter.name),
      ['studio', 'discord', 'slack'],
    );
    for (const adapter of serving.adapters) await followsTheContract(adapter);
  } finally {
    await serving.stop();
    stopTraining.abort();
    await training.stop();
    await core.close();
    await slack.stop();
    await discord.stop();
  }
});

async function followsTheContract(adapter: PlatformAdapter): Promise<void> {
  const { name } = adapter;
  assert.deepEqual(adapter.health(), { name, ok: false, detail: 'not started' });
  await adapter.stop(); // before start: nothing to stop, and it may still start
  await adapter.start();
  const running = adapter.health();
  assert.equal(running.ok, true, `${name}: ${running.detail}`);
  assert.match(running.detail, RUNNING_DETAIL[name]);
  const url = adapter.url;
  if (name === 'studio') assert.equal((await fetch(new URL('/api/personas', url))).status, 200);
  await adapter.stop();
  assert.deepEqual(adapter.health(), { name, ok: false, detail: 'stopped' });
  await adapter.stop(); // twice is harmless
  if (name === 'studio') await assert.rejects(fetch(new URL('/api/personas', url)), TypeError, 'the studio no longer answers');
}

/** One studio chat request: its status, and the `done` or `error` event (or the JSON refusal). */
async function studioChat(url: string, text: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL('/api/chat/ada', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ turns: [{ speaker: 'You', text }], seed: 1 }),
  });
  if (!response.ok) return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  const events = (await response.text()).split('\n\n').filter(Boolean);
  const last = events.at(-1)!;
  return { status: response.status, body: { event: /^event: (.*)$/m.exec(last)?.[1], ...JSON.parse(/^data: (.*)$/m.exec(last)![1]) } };
}

test('studio chat goes through the pipeline Discord uses: the same rate limit, the same sentence, counted alike', async () => {
  const discord = new FakeDiscord();
  const channel = discord.addChannel('general');
  const vic = discord.addUser('vic');
  const { apiUrl } = await discord.start();
  const server = await serve(loadConfig({ root, env: { ...baseEnv, HEALTH_PORT: '0', DISCORD_TOKEN: 'fake-token', DISCORD_API_URL: apiUrl } }));
  try {
    const studio = server.adapters.find((adapter) => adapter.name === 'studio')!.url!;
    for (let i = 1; i <= 5; i += 1) {
      const { status, body } = await studioChat(studio, `Message ${i}`);
      assert.equal(status, 200);
      assert.equal(body.event, 'done', JSON.stringify(body));
      assert.equal(body.model, 'base');
    }
    const refused = await studioChat(studio, 'Message 6');
    assert.equal(refused.status, 429);
    assert.equal(refused.body.code, 'rate_limited');
    const sentence = /^Easy there! I can answer again in \d+ s\.$/;
    assert.match(String(refused.body.error), sentence);

    for (let i = 1; i <= 6; i += 1) discord.say(vic, channel, `Message ${i}`, { mention: true });
    const notice = await discord.waitFor(
      () => discord.channelMessages(channel.id).find((m) => sentence.test(m.content)),
      20_000,
      'the rate-limit notice on Discord',
    );
    assert.equal(notice.content.replace(/\d+/, 'N'), USER_MESSAGES.rateLimited(0).replace(/\d+/, 'N'));

    const health = (await (await fetch(`http://127.0.0.1:${server.healthPort}/health`)).json()) as {
      status: string;
      adapters: { name: string; ok: boolean }[];
    };
    assert.equal(health.status, 'ok');
    assert.deepEqual(
      health.adapters.map(({ name, ok }) => ({ name, ok })),
      [
        { name: 'studio', ok: true },
        { name: 'discord', ok: true },
      ],
    );
    const metrics = await (await fetch(`http://127.0.0.1:${server.healthPort}/metrics`)).text();
    assert.match(metrics, /^persona_replies_total\{adapter="studio",outcome="replied"\} 5$/m);
    assert.match(metrics, /^persona_replies_total\{adapter="studio",outcome="rate_limited"\} 1$/m);
  } finally {
    await server.stop();
    await discord.stop();
  }
});
