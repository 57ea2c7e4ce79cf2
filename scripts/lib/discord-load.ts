/**
 * The Discord chat load shared by bench:discord and bench:scale: simulated users on the fake
 * Discord (test/fakes/discord) who mention the bot, wait for the whole streamed answer, think,
 * and ask again (a closed loop, like people chatting), and the timings of each reply.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { llamaParameterShapes, parseLlamaConfig } from '../../src/modelfmt/hf-config.js';
import { writeSafetensors } from '../../src/modelfmt/safetensors.js';
import { BASE_MODEL_CONFIG } from '../../src/pretrain/base-model.js';
import { initLlamaParams } from '../../src/training/step-model.js';
import { mulberry32 } from '../../src/util/random.js';
import type { FakeDiscord } from '../../test/fakes/discord/server.js';
import type { ApiMessage } from '../../test/fakes/discord/payloads.js';

/** A person reads the answer and types the next message: 10–30 s (about 0.7 messages/s from 20 users). */
export const THINK_MS: [number, number] = [10_000, 30_000];
const BASE_DIR = 'models/base';
const QUESTIONS = [
  'How are you today?',
  'What do you think about the weather?',
  'Tell me about your work.',
  'Any plans for the weekend?',
  'What is the best book you read?',
];

/** models/base when it has weights, else a random-weight folder with its shapes and tokenizer. */
export function baseModelDir(scratch: string): { dir: string; weights: string } {
  if (existsSync(join(BASE_DIR, 'model.safetensors')) || existsSync(join(BASE_DIR, 'onnx', 'model.onnx')))
    return { dir: BASE_DIR, weights: 'models/base (trained)' };
  const dir = join(scratch, 'base');
  mkdirSync(dir, { recursive: true });
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(BASE_DIR, file), join(dir, file));
  const config = parseLlamaConfig(BASE_MODEL_CONFIG);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(BASE_MODEL_CONFIG, null, 2));
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({}, null, 2));
  const shapes = llamaParameterShapes(config);
  const params = initLlamaParams(config, 1);
  writeSafetensors(join(dir, 'model.safetensors'), new Map([...params].map(([name, data]) => [name, { shape: shapes.get(name)!, data }])), { dtype: 'F32' });
  return { dir, weights: 'random (models/base has no weights yet), bundled base shapes' };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export interface Timing {
  firstMs: number;
  finalMs: number;
  /** Characters in the finished reply (without the name prefix). */
  chars: number;
}

/** The reply to `asked`: its first POST (first content) and the last request that changed it. */
function timingOf(fake: FakeDiscord, asked: ApiMessage, sentAt: number): Timing | undefined {
  const first = fake.requests.find((r) => r.method === 'POST' && r.body?.message_reference?.message_id === asked.id);
  if (!first?.response?.id) return undefined;
  const edits = fake.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/messages/${first.response.id}`));
  const last = edits.at(-1) ?? first;
  const content: string = last.body.content ?? '';
  return { firstMs: first.at - sentAt, finalMs: last.at - sentAt, chars: content.replace(/^\*\*[^*]+:\*\* /, '').length };
}

export async function simulateUser(
  fake: FakeDiscord,
  user: ReturnType<FakeDiscord['addUser']>,
  channel: ReturnType<FakeDiscord['addChannel']>,
  index: number,
  spreadStartMs: number,
  messagesPerUser: number,
): Promise<Timing[]> {
  const timings: Timing[] = [];
  const random = mulberry32(1000 + index); // seeded per user: runs are comparable
  // Users do not all start typing at the same instant.
  await sleep(random() * spreadStartMs);
  for (let i = 0; i < messagesPerUser; i += 1) {
    const sentAt = Date.now();
    const asked = fake.say(user, channel, QUESTIONS[(index + i) % QUESTIONS.length], { mention: true });
    const timing = await waitForReply(fake, asked, sentAt);
    if (timing) timings.push(timing);
    await sleep(THINK_MS[0] + random() * (THINK_MS[1] - THINK_MS[0]));
  }
  return timings;
}

async function waitForReply(fake: FakeDiscord, asked: ApiMessage, sentAt: number): Promise<Timing | undefined> {
  const deadline = Date.now() + 120_000;
  let previous: Timing | undefined;
  while (Date.now() < deadline) {
    const timing = timingOf(fake, asked, sentAt);
    // The final edit is the last change; wait until nothing changed for 1.5 edit intervals.
    if (timing && previous && timing.finalMs === previous.finalMs && Date.now() - sentAt - timing.finalMs > 1500) return timing;
    previous = timing;
    await sleep(50);
  }
  return previous;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
