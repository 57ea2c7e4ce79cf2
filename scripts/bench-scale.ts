/**
 * `npm run bench:scale`: replies under load while a persona trains, one process doing both
 * versus the bots and a separate trainer process (what PERSONA_ROLES / `persona worker --role
 * trainer` give on one machine). The load is bench:discord's: simulated users on the fake
 * Discord (127.0.0.1) mentioning the bot through the real discord.js client, middleware and
 * engine (bundled base); the training is LoRA on FDR's example passages on the same base.
 * Each case reports p50/p99 time to first content and to the final edit, and the training's
 * median tokens/s over the same window; a first case without training is the reference. A
 * last case moves generation out too: the bots (no model) send replies through a real
 * redis-server to a generator worker process, while the trainer process trains.
 *
 *   npm run bench:scale                       20 users × 1 message per case
 *   npm run bench:scale -- --users 10         a quicker run
 *   npm run bench:scale -- --only elsewhere   the reference and the separate-trainer case only
 *   npm run bench:scale -- --only generator   the reference and the generator-worker case only
 *   npm run bench:scale -- --no-write         do not update docs/benchmarks.md
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { DiscordAdapter } from '../src/adapters/discord/adapter.js';
import { ChatMiddleware, type ReplyEngine } from '../src/adapters/middleware/index.js';
import { createChatServices, EngineReplies } from '../src/app/chat-services.js';
import { RemoteEngine } from '../src/app/remote-engine.js';
import { configToEnv, loadConfig } from '../src/config/config.js';
import { ensureExampleTranscripts } from '../src/datasets/examples.js';
import { InferenceEngine } from '../src/inference/engine.js';
import { openStore } from '../src/store/index.js';
import { FakeDiscord } from '../test/fakes/discord/server.js';
import { startRedis } from '../test/store/redis-server.js';
import { writeBenchmarkSection } from './lib/benchmarks-doc.js';
import { baseModelDir, percentile, simulateUser, type Timing } from './lib/discord-load.js';
import { SCALE_PERSONA, trainUntilAborted } from './lib/scale-training.js';

const args = process.argv.slice(2);
const USERS = Number(args[args.indexOf('--users') + 1]) || 20;
const CHANNELS = 10;
const START_SPREAD_MS = 20_000;

const loadAtStart = loadavg()[0];
const scratch = mkdtempSync(join(tmpdir(), 'bench-scale-'));
const base = baseModelDir(scratch);
// The scratch folder is the project root, so the example persona's `sources: transcripts/fdr/*.txt` finds its transcripts there.
const config = loadConfig({ root: scratch, env: { BASE_MODEL_DIR: resolve(base.dir), LOG_LEVEL: 'error' } });
mkdirSync(config.PERSONAS_DIR, { recursive: true });
cpSync(join('personas', `${SCALE_PERSONA}.yaml`), join(config.PERSONAS_DIR, `${SCALE_PERSONA}.yaml`));
const store = await openStore(config.storeUrl);
await ensureExampleTranscripts(config, store);

const fake = new FakeDiscord();
const channels = Array.from({ length: CHANNELS }, (_, i) => fake.addChannel(`room-${i}`));
const users = Array.from({ length: USERS }, (_, i) => fake.addUser(`user-${i}`));
const engine = new InferenceEngine(config);
const { apiUrl } = await fake.start();

/** The bot (discord.js client + middleware) over `replies`; the cases swap it for one over generator workers. */
async function startBot(replies: ReplyEngine | InferenceEngine) {
  const chat = new ChatMiddleware(createChatServices({ personasDir: config.PERSONAS_DIR, store, engine: replies }));
  const bot = new DiscordAdapter({ ...config, DISCORD_TOKEN: 'bench-token', DISCORD_API_URL: apiUrl }, { chat });
  await bot.start();
  let stopped: Promise<void> | undefined;
  return {
    chat,
    stop: () =>
      (stopped ??= (async () => {
        await bot.stop();
        chat.close();
      })()),
  };
}
let running = await startBot(engine);
const chat = running.chat;

interface Case {
  label: string;
  timings: Timing[];
  tokensPerSecond?: number;
}

async function chatLoad(): Promise<Timing[]> {
  return (await Promise.all(users.map((user, i) => simulateUser(fake, user, channels[i % CHANNELS], i, START_SPREAD_MS, 1)))).flat();
}

/** The trainer in this process, started before the load and aborted after it. */
async function withTrainingHere(): Promise<Case> {
  const stop = new AbortController();
  const steps: number[] = [];
  const training = trainUntilAborted(config, stop.signal, (tps) => steps.push(tps));
  const timings = await chatLoad();
  stop.abort();
  await training;
  return { label: 'one process: bots + training', timings, tokensPerSecond: percentile(steps, 50) };
}

const tsx = createRequire(import.meta.url).resolve('tsx');

/** A bench helper script as its own process, with the bench's configuration. */
function helperProcess(script: string, args: string[] = []) {
  return spawn(process.execPath, ['--import', tsx, join(import.meta.dirname, 'lib', script), ...args], {
    env: { ...process.env, ...configToEnv(config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** The trainer as its own process (same machine, same store and base). */
async function withTrainingElsewhere(label = 'bots process + trainer process'): Promise<Case> {
  const child = helperProcess('scale-training.ts');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const steps: number[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) steps.push((JSON.parse(line) as { tokensPerSecond: number }).tokensPerSecond);
  });
  const timings = await chatLoad();
  child.kill('SIGTERM');
  await exited;
  return { label, timings, tokensPerSecond: percentile(steps, 50) };
}

/** Bots without a model, replies from a generator worker process over a real redis-server, the trainer in a third process. */
async function withGeneratorWorker(): Promise<Case> {
  const redis = await startRedis();
  const generator = helperProcess('scale-generator.ts', [redis.url]);
  const generatorExited = new Promise((resolve) => generator.once('exit', resolve));
  const remote = new RemoteEngine(redis.url, config);
  try {
    await new Promise<void>((resolve, reject) => {
      generator.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      generator.once('exit', (code) => reject(new Error(`the generator worker exited with ${code}`)));
    });
    // Warm-up: the worker loads the model on its first reply.
    await remote.replyAs(chat.services.personas.get(SCALE_PERSONA), [{ speaker: 'warm-up', text: 'hello' }]);
    await running.stop();
    running = await startBot(new EngineReplies(remote, config.GENERATION_MAX_QUEUE));
    return await withTrainingElsewhere('bots process + generator process + trainer process');
  } finally {
    await running.stop();
    await remote.close();
    generator.kill('SIGTERM');
    await generatorExited;
    await redis.stop();
  }
}

const ms = (values: number[], p: number) => (values.length ? `${Math.round(percentile(values, p))} ms` : '–');
function row({ label, timings, tokensPerSecond }: Case): string {
  const first = timings.map((t) => t.firstMs);
  const final = timings.map((t) => t.finalMs);
  const line = `| ${label} | ${timings.length} of ${USERS} | ${ms(first, 50)} | ${ms(first, 99)} | ${ms(final, 50)} | ${ms(final, 99)} | ${tokensPerSecond === undefined ? '–' : Math.round(tokensPerSecond)} |`;
  console.log(line);
  return line;
}

try {
  await engine.replyAs(chat.services.personas.get(SCALE_PERSONA), [{ speaker: 'warm-up', text: 'hello' }]);
  // --only here|elsewhere runs the reference and one case (each full run takes minutes).
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  const rows = [row({ label: 'no training (reference)', timings: await chatLoad() })];
  if (only === undefined || only === 'here') rows.push(row(await withTrainingHere()));
  if (only === undefined || only === 'elsewhere') rows.push(row(await withTrainingElsewhere()));
  if (only === undefined || only === 'generator') rows.push(row(await withGeneratorWorker()));
  if (!args.includes('--no-write')) {
    const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
    writeBenchmarkSection('scale', [
      '## bench:scale',
      '',
      `\`npm run bench:scale\` (scripts/bench-scale.ts): ${USERS} simulated users in ${CHANNELS} channels on the fake Discord, each mentioning the bot once (joining over ${START_SPREAD_MS / 1000} s), replies from the bundled base through the real discord.js client, middleware and engine; meanwhile LoRA training of ${SCALE_PERSONA} on the same base, in the bots' process or in a process of its own; in the last case the bots load no model and a generator worker process (\`persona worker --role generator\`'s code) generates the replies through a local redis-server. Training tokens/s is the median step over the same window.`,
      '',
      `Measured ${when} UTC with node ${process.version} on ${cpus().length} cores, load average ${loadAtStart.toFixed(1)} at start (the machine is shared). Weights: ${base.weights}.`,
      '',
      '| case | replies | p50 first content | p99 first content | p50 final edit | p99 final edit | training tokens/s |',
      '|---|---|---|---|---|---|---|',
      ...rows,
    ]);
  }
} finally {
  await running.stop();
  await fake.stop();
  await engine.dispose();
  await store.close();
  rmSync(scratch, { recursive: true, force: true });
}
