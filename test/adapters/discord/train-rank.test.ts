/**
 * `/train now` takes a LoRA rank (`lora-rank`, as `persona train --lora-rank`), checked
 * exactly as the CLI checks it (the training settings, then the memory plan) before anything
 * is queued: a bad rank shows the admin why and leaves no job; so does a persona whose own
 * file asks for more memory than the machine has, with no rank given. Real discord.js client
 * on the fake Discord, the real training service and scheduler behind it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PersonaFiles } from '../../../src/app/chat-services.ts';
import { PERMISSIONS } from '../../fakes/discord/payloads.ts';
import { botTrainingProject, TOO_BIG, type BotTrainingProject } from '../../app/bot-training-fixture.ts';
import { startHarness, type Harness } from './harness.ts';

let h: Harness;
let project: BotTrainingProject;
before(async () => {
  project = await botTrainingProject(['ada', 'bob', TOO_BIG]);
  // The bot knows the project's personas: the one too big to train included.
  const known = new PersonaFiles(project.personasDir);
  h = await startHarness({ training: project.training, personas: () => known.list() });
});
after(async () => {
  await h.stop();
  await project.close();
});

const now = (options: unknown[]) => [{ name: 'now', type: 1, options }];
const persona = (id: string) => ({ name: 'persona', type: 3, value: id });
const rank = (value: number) => ({ name: 'lora-rank', type: 4, value });

/** An administrator runs `/train now …`; resolves with the interaction's answer. */
async function trainNow(options: unknown[]): Promise<{ content: string; flags?: number }> {
  const id = h.fake.command(h.users.uma, h.channels.general, 'train', now(options), { permissions: PERMISSIONS.ADMINISTRATOR });
  const callback = await h.fake.waitFor(() => h.fake.interactionReplies.get(id)?.callbacks[0], 60_000, 'the /train now answer');
  return callback.data;
}

test('/train now registers an optional lora-rank integer of at least 1', () => {
  const sub = h.fake.commands.get('train').options.find((o: { name: string }) => o.name === 'now');
  const option = sub.options.find((o: { name: string }) => o.name === 'lora-rank');
  assert.deepEqual([option.type, option.required ?? false, option.min_value], [4, false, 1]);
});

test('/train now with a bad LoRA rank: the admin sees why, and no job is queued', async () => {
  const zero = await trainNow([persona('ada'), rank(0)]);
  assert.equal(zero.content, '--lora-rank must be a positive integer.');
  assert.equal((zero.flags ?? 0) & 64, 64, 'only the admin sees it');
  const huge = await trainNow([persona('ada'), rank(2 ** 40)]);
  assert.match(huge.content, /^This training run needs about .* of memory but .* is available/);
  assert.deepEqual(project.queued, []);
});

test('/train now for a persona whose own settings cannot fit in memory: the admin sees why, and no job is queued', async () => {
  const refused = await trainNow([persona(TOO_BIG)]);
  assert.match(refused.content, /^This training run needs about .* of memory but .* is available: .*a smaller --batch-size/);
  assert.equal((refused.flags ?? 0) & 64, 64, 'only the admin sees it');
  assert.deepEqual(project.queued, []);
});

test("/train now with a LoRA rank queues the run at that rank; without one, the persona file's", async () => {
  const ranked = await trainNow([persona('ada'), rank(4)]);
  assert.match(ranked.content, /^Training of ada \(LoRA rank 4\) is queued/);
  const plain = await trainNow([persona('bob')]);
  assert.match(plain.content, /^Training of bob is queued/);
  assert.deepEqual(
    project.queued.map(({ persona, options }) => [persona, options.reason, options.overrides]),
    [
      ['ada', 'discord', { loraRank: 4 }],
      ['bob', 'discord', undefined],
    ],
  );
});
