/**
 * DISCORD_SHARDS: `persona serve` runs the bot through discord.js's ShardingManager, one child
 * process per shard, against the fake Discord recommending 2 shards: each shard identifies
 * once, slash commands are registered once, and each guild is answered by the one shard
 * Discord routes it to.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../../src/config/config.ts';
import { serve } from '../../../src/app/serve-process.ts';
import { FakeDiscord } from '../../fakes/discord/server.ts';
import { shardOf } from '../../fakes/discord/gateway.ts';
import { writeTinyModelFolder } from '../../fixtures/tiny-model-folder.ts';
import { parsePrometheus } from '../../app/prometheus-text.ts';

test('two shards, two guilds: each guild answered by its own shard process; commands registered once; metrics added up', async () => {
  const root = mkdtempSync(join(tmpdir(), 'shards-'));
  mkdirSync(join(root, 'personas'));
  const model = writeTinyModelFolder({ flavour: 'serving' });
  writeFileSync(join(root, 'personas', 'ada.yaml'), stringify({ id: 'ada', name: 'Ada', base: model.dir, sampling: { max_new_tokens: 8 } }));

  const fake = new FakeDiscord({ shards: 2 });
  const firstShard = shardOf(fake.guildId, 2);
  const otherGuild = fake.addGuild('Second Guild', 1 - firstShard);
  const channels = [fake.addChannel('general'), fake.addChannel('elsewhere', { guildId: otherGuild })];
  const vic = fake.addUser('vic');
  const { apiUrl } = await fake.start();
  const config = loadConfig({
    root,
    env: {
      LOG_LEVEL: 'silent',
      ORT_THREADS: '1',
      STUDIO_PORT: '0',
      HEALTH_PORT: '0',
      DISCORD_TOKEN: 'fake-token',
      DISCORD_API_URL: apiUrl,
      DISCORD_SHARDS: 'auto',
    },
  });
  const server = await serve(config);
  try {
    assert.deepEqual(server.adapters.find((a) => a.name === 'discord')?.health(), { name: 'discord', ok: true, detail: '2 of 2 shard processes running' });
    assert.deepEqual(fake.gateway.identifies.map((i) => (i as { shard: number[] }).shard).sort(), [
      [0, 2],
      [1, 2],
    ]);
    const registrations = fake.requests.filter((r) => r.method === 'PUT' && /\/commands$/.test(r.path));
    assert.equal(registrations.length, 1, 'slash commands registered by one shard');

    const asked = channels.map((channel, i) => fake.say(vic, channel, `hello from guild ${i}`, { mention: true }));
    for (const channel of channels) {
      await fake.waitFor(() => fake.channelMessages(channel.id).some((m) => m.author.id === fake.bot.id), 60_000, `a reply in ${channel.name}`);
    }
    for (const [i, message] of asked.entries()) {
      const deliveries = fake.gateway.delivered.filter((d) => d.type === 'MESSAGE_CREATE' && (d.data as { id: string }).id === message.id);
      assert.deepEqual(
        deliveries.map((d) => d.shard),
        [shardOf(channels[i].guildId, 2)],
        'delivered to the owning shard only',
      );
      assert.equal(fake.channelMessages(channels[i].id).filter((m) => m.author.id === fake.bot.id).length, 1, 'answered once');
    }
    assert.notEqual(shardOf(channels[0].guildId, 2), shardOf(channels[1].guildId, 2), 'the two guilds live on different shards');

    // The shards' replies are counted in the shard processes and served, added up, on the parent's /metrics.
    // A reply is counted once its final edit is done, which may be just after the message shows.
    const scrape = async () => parsePrometheus(await (await fetch(`http://127.0.0.1:${server.healthPort}/metrics`)).text());
    const replied = (samples: Map<string, number>) => samples.get('persona_replies_total{adapter="discord",outcome="replied"}');
    let samples = await scrape();
    for (const deadline = Date.now() + 20_000; replied(samples) !== 2 && Date.now() < deadline; samples = await scrape()) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(replied(samples), 2, 'one reply from each shard');
    assert.equal(samples.get('persona_reply_final_edit_seconds_count{adapter="discord"}'), 2);
  } finally {
    await server.stop();
    await fake.stop();
    rmSync(root, { recursive: true, force: true });
  }
});
