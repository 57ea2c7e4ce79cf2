/**
 * `npm run bench:discord`: the Discord bot under load, end to end. The real discord.js client
 * talks to the protocol-level fake Discord (test/fakes/discord) on 127.0.0.1; 20 simulated
 * users in 10 channels each mention the bot a few times, waiting for the answer and a short
 * think time in between (a closed loop, like people chatting). Replies come from the bundled
 * base model through the real middleware, inference engine and SQLite store.
 *
 * Reported per message: time from the message reaching the bot's gateway to the first
 * streamed content (the reply's first POST) and to the final edit, p50 and p99.
 * Target: p50 to first content < 500 ms with nothing else running.
 *
 * When models/base has no weights yet, a random-weight model with the bundled base's shapes
 * (vocab 8192, hidden 256, intermediate 688, 6 layers, 8 heads, 4 kv heads, tied) is built in
 * a temp folder with models/base's tokenizer; the words are noise, the timings are real.
 *
 *   npm run bench:discord                    20 users × 2 messages (and 1 user alone)
 *   npm run bench:discord -- --messages 1    a quick run
 *   npm run bench:discord -- --no-write      do not update docs/benchmarks.md
 */
import { writeBenchmarkSection } from './lib/benchmarks-doc.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DiscordAdapter } from '../src/adapters/discord/adapter.js';
import { ChatMiddleware } from '../src/adapters/middleware/index.js';
import { createChatServices, replyEngineFor } from '../src/app/chat-services.js';
import { openCore } from '../src/app/core.js';
import { loadConfig } from '../src/config/config.js';
import { FakeDiscord } from '../test/fakes/discord/server.js';
import { baseModelDir, percentile, simulateUser, THINK_MS, type Timing } from './lib/discord-load.js';

const USERS = 20;
const CHANNELS = 10;
/** Users join over the first 30 s rather than all at the same instant. */
const START_SPREAD_MS = 30_000;
const TARGET_FIRST_MS = 500;

const args = process.argv.slice(2);
const messagesPerUser = Number(args[args.indexOf('--messages') + 1]) || 2;

function writeDocs(rows: string[], weights: string, loadAtStart: number, tokensPerSecond: number): void {
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  writeBenchmarkSection('discord', [
    '## bench:discord',
    '',
    `\`npm run bench:discord\` (scripts/bench-discord.ts): the real discord.js client on the fake Discord (127.0.0.1), ${USERS} simulated users in ${CHANNELS} channels, joining over ${START_SPREAD_MS / 1000} s and each mentioning the bot ${messagesPerUser} times with ${THINK_MS[0] / 1000}–${THINK_MS[1] / 1000} s of think time after each answer; replies from the base model (persona default sampling, max_new_tokens 120) through the shared middleware, one generation at a time, edits at most every 1 s. Time is measured from the message's gateway dispatch. Target: p50 to first content < ${TARGET_FIRST_MS} ms.`,
    '',
    `Measured ${when} UTC with node ${process.version} on ${cpus().length} cores (${cpus()[0].model.trim()}), load average ${loadAtStart.toFixed(1)} at start (the machine is shared). Weights: ${weights}. Decode speed in the same run: ${tokensPerSecond.toFixed(0)} tokens/s (120-token reply). Replies are generated one at a time, so with many users the time to first content is mostly waiting in the reply queue: it scales with reply length ÷ decode speed (random weights seldom produce an end token, so their replies run to max_new_tokens; a trained model's chat replies are shorter).`,
    '',
    '| case | replies | mean reply chars | p50 first content | p99 first content | p50 final edit | p99 final edit |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ]);
}

const loadAtStart = loadavg()[0];
const scratch = mkdtempSync(join(tmpdir(), 'bench-discord-'));
const base = baseModelDir(scratch);
const config = loadConfig({ env: { DATA_DIR: join(scratch, 'data'), PERSONAS_DIR: join(scratch, 'personas'), BASE_MODEL_DIR: base.dir, LOG_LEVEL: 'error' } });
mkdirSync(config.PERSONAS_DIR, { recursive: true });
writeFileSync(join(config.PERSONAS_DIR, 'ada.yaml'), stringify({ id: 'ada', name: 'Ada', system_prompt: 'You are Ada, a friendly mathematician.' }));

const fake = new FakeDiscord();
const channels = Array.from({ length: CHANNELS }, (_, i) => fake.addChannel(`room-${i}`));
const users = Array.from({ length: USERS }, (_, i) => fake.addUser(`user-${i}`));
// Wired as `persona serve` wires it: the engine serves the registry's champion (here the base).
const core = await openCore(config);
const { store, engine } = core;
const chat = new ChatMiddleware(createChatServices({ personasDir: config.PERSONAS_DIR, store, engine: replyEngineFor(core), registry: core.registry }));
const { apiUrl } = await fake.start();
const bot = new DiscordAdapter({ ...config, DISCORD_TOKEN: 'bench-token', DISCORD_API_URL: apiUrl }, { chat });
await bot.start();
try {
  // Load the model once before timing (a running bot has it loaded), and measure decode speed in this run.
  const ada = chat.services.personas.get('ada');
  await engine.replyAs(ada, [{ speaker: 'warm-up', text: 'hello' }]);
  const started = Date.now();
  const probe = await engine.replyAs(ada, [{ speaker: 'warm-up', text: 'How are you today?' }], { overrides: { max_new_tokens: 120 } });
  const tokensPerSecond = (probe.tokens.length / (Date.now() - started)) * 1000;
  const ms = (values: number[], p: number) => `${Math.round(percentile(values, p))} ms`;
  const rowOf = (label: string, timings: Timing[], asked: number) => {
    const first = timings.map((t) => t.firstMs);
    const final = timings.map((t) => t.finalMs);
    console.log(
      `${label}: first content p50 ${ms(first, 50)}, p99 ${ms(first, 99)}; final edit p50 ${ms(final, 50)}, p99 ${ms(final, 99)} (${timings.length} replies)`,
    );
    const chars = Math.round(timings.reduce((sum, t) => sum + t.chars, 0) / Math.max(1, timings.length));
    return {
      first,
      row: `| ${label} | ${timings.length} of ${asked} | ${chars} | ${ms(first, 50)} | ${ms(first, 99)} | ${ms(final, 50)} | ${ms(final, 99)} |`,
    };
  };
  // The floor: one user at a time, nothing queued.
  const alone = rowOf('1 user, nothing queued', await simulateUser(fake, users[0], channels[0], 0, 0, messagesPerUser), messagesPerUser);
  const crowd = rowOf(
    `${USERS} users in ${CHANNELS} channels`,
    (await Promise.all(users.map((user, i) => simulateUser(fake, user, channels[i % CHANNELS], i, START_SPREAD_MS, messagesPerUser)))).flat(),
    USERS * messagesPerUser,
  );
  console.log(
    `decode ${tokensPerSecond.toFixed(0)} tokens/s in this run; target p50 first content < ${TARGET_FIRST_MS} ms with ${USERS} users: ${percentile(crowd.first, 50) < TARGET_FIRST_MS ? 'met' : 'NOT met'}`,
  );
  if (!args.includes('--no-write')) writeDocs([alone.row, crowd.row], base.weights, loadAtStart, tokensPerSecond);
} finally {
  chat.close();
  await bot.stop();
  await fake.stop();
  await core.close();
  rmSync(scratch, { recursive: true, force: true });
}
