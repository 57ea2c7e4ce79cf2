/**
 * Slash commands through INTERACTION_CREATE and the interaction callback endpoint, 👍/👎
 * reactions stored as feedback (also on messages discord.js never cached), and capture of a
 * persona's real voice with opt-out, all with the real discord.js client on the fake Discord.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PERMISSIONS } from '../../fakes/discord/payloads.ts';
import { laterQuestionAnswered, startHarness, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await startHarness({ env: () => ({ DISCORD_ADMIN_ROLE: 'trainers' }) });
});
after(() => h.stop());

const sub = (name: string, options: unknown[] = []) => [{ name, type: 1, options }];
const str = (name: string, value: string) => ({ name, type: 3, value });

async function callbackOf(id: string) {
  return h.fake.waitFor(() => h.fake.interactionReplies.get(id)?.callbacks[0], 5000, 'interaction callback');
}

test('/persona list answers privately with every persona', async () => {
  const id = h.fake.command(h.users.uma, h.channels.general, 'persona', sub('list'));
  const callback = await callbackOf(id);
  assert.equal(callback.type, 4);
  assert.match(callback.data.content, /Ada.*ada[\s\S]*Bob.*bob/);
  assert.equal(callback.data.flags & 64, 64, 'ephemeral');
  assert.deepEqual(callback.data.allowed_mentions.parse, []);
});

test('/persona use needs Manage Channels, then picks who answers mentions in the channel', async () => {
  const refused = await callbackOf(h.fake.command(h.users.uma, h.channels.general, 'persona', sub('use', [str('persona', 'bob')])));
  assert.match(refused.data.content, /Manage Channels/);
  const done = await callbackOf(
    h.fake.command(h.users.uma, h.channels.general, 'persona', sub('use', [str('persona', 'bob')]), { permissions: PERMISSIONS.MANAGE_CHANNELS }),
  );
  assert.match(done.data.content, /Bob now answers/);
  h.fake.say(h.users.uma, h.channels.general, 'who is this?', { mention: true });
  await h.fake.waitFor(() => h.fake.channelMessages(h.channels.general.id).some((m) => m.content === '**Bob:** Bob says: who is this?'), 5000, 'Bob answering');
});

test('/ask streams the persona’s answer into the deferred interaction reply', async () => {
  const id = h.fake.command(h.users.vic, h.channels.general, 'ask', [str('persona', 'ada'), str('prompt', 'what is up?')]);
  const callback = await callbackOf(id);
  assert.equal(callback.type, 5, 'deferred first (the model may take longer than 3 s)');
  const replies = h.fake.interactionReplies.get(id)!;
  await h.fake.waitFor(() => replies.original?.content === '**Ada:** Ada says: what is up?', 5000, 'edited original reply');
  const unknown = h.fake.command(h.users.vic, h.channels.general, 'ask', [str('persona', 'zed'), str('prompt', 'hi')]);
  await h.fake.waitFor(() => h.fake.interactionReplies.get(unknown)?.original?.content.includes('No persona "zed"'), 5000, 'unknown persona answer');
});

test('/train now is for the admin role; /train status for everyone', async () => {
  const refused = await callbackOf(h.fake.command(h.users.uma, h.channels.general, 'train', sub('now', [str('persona', 'ada')])));
  assert.match(refused.data.content, /trainers role/);
  assert.deepEqual(h.services.training.started, []);
  const status = await callbackOf(h.fake.command(h.users.uma, h.channels.general, 'train', sub('status')));
  assert.match(status.data.content, /ada.*base model/);
  const admin = await callbackOf(
    h.fake.command(h.users.uma, h.channels.general, 'train', sub('now', [str('persona', 'ada')]), { permissions: PERMISSIONS.ADMINISTRATOR }),
  );
  assert.match(admin.data.content, /queued/);
  assert.deepEqual(h.services.training.started, ['ada']);
  const notAllowed = await callbackOf(h.fake.command(h.users.uma, h.channels.general, 'train', sub('cancel', [str('persona', 'ada')])));
  assert.match(notAllowed.data.content, /can cancel training/);
  const cancel = await callbackOf(
    h.fake.command(h.users.uma, h.channels.general, 'train', sub('cancel', [str('persona', 'ada')]), { permissions: PERMISSIONS.ADMINISTRATOR }),
  );
  assert.match(cancel.data.content, /Cancelling training of ada/);
  assert.deepEqual(h.services.training.cancelled, [`ada by ${h.users.uma.username} (Discord)`]);
});

test('/forget: the channel’s earlier messages no longer reach the model', async () => {
  h.fake.say(h.users.vic, h.channels.hooks, 'my secret word is pineapple');
  // Positive signal first: a reply whose prompt holds the secret, so /forget cannot race the message it must forget.
  h.fake.say(h.users.vic, h.channels.hooks, 'remember it', { mention: true });
  await h.fake.waitFor(() => h.fake.channelMessages(h.channels.hooks.id).some((m) => m.content === 'Ada says: remember it'), 5000, 'answer');
  const engineCalls = (h.services.engine as unknown as { calls: { turns: { text: string }[] }[] }).calls;
  assert.ok(
    engineCalls.at(-1)!.turns.some((t) => t.text.includes('pineapple')),
    'the secret reached the model before /forget',
  );
  await callbackOf(h.fake.command(h.users.vic, h.channels.hooks, 'forget', []));
  h.fake.say(h.users.vic, h.channels.hooks, 'what was my word?', { mention: true });
  await h.fake.waitFor(() => h.fake.channelMessages(h.channels.hooks.id).some((m) => m.content === 'Ada says: what was my word?'), 5000, 'answer');
  const engine = h.services.engine as unknown as { calls: { turns: { text: string }[] }[] };
  const turns = engine.calls.at(-1)!.turns.map((t) => t.text);
  assert.ok(!turns.some((text) => text.includes('pineapple')), `forgotten: ${JSON.stringify(turns)}`);
});

test('👍/👎 on the bot’s reply are stored with the reply and its context, even for uncached messages', async () => {
  h.fake.say(h.users.vic, h.channels.general, 'rate this', { mention: true });
  const reply = await h.fake.waitFor(
    () => h.fake.channelMessages(h.channels.general.id).find((m) => m.content === '**Bob:** Bob says: rate this'),
    5000,
    'reply',
  );
  h.fake.react(h.users.vic, reply, '👍');
  h.fake.react(h.users.uma, reply, '🎉');
  const [record] = await h.fake.waitFor(() => h.services.feedback.records.length === 1 && h.services.feedback.records, 5000, 'feedback');
  assert.deepEqual(
    [record.personaId, record.rating, record.reply, record.context.at(-1)?.text, record.user.id],
    ['bob', 'up', 'Bob says: rate this', 'rate this', h.users.vic.id],
  );
  const bot = h.bot.client;
  bot.channels.cache.get(h.channels.general.id)?.isTextBased() && (bot.channels.cache.get(h.channels.general.id) as any).messages.cache.clear();
  h.fake.react(h.users.uma, reply, '👎');
  await h.fake.waitFor(() => h.services.feedback.records.length === 2, 5000, 'feedback on an uncached message');
  assert.equal(h.services.feedback.records[1].rating, 'down');
});

test('a voice’s messages become pending candidates with context; /privacy optout stops that and removes them', async () => {
  h.fake.say(h.users.uma, h.channels.general, 'Ada, what do you make of the engine?');
  h.fake.say(h.users.voice, h.channels.general, 'It weaves algebraic patterns.');
  const [candidate] = await h.fake.waitFor(() => h.services.candidates.pending.length === 1 && h.services.candidates.pending, 5000, 'candidate');
  assert.equal(candidate.persona.id, 'ada');
  assert.equal(candidate.text, 'It weaves algebraic patterns.');
  assert.ok(candidate.context.some((turn) => turn.text === 'Ada, what do you make of the engine?'));
  assert.match(candidate.ref, /^discord:\d+\/\d+$/);
  const optOut = await callbackOf(h.fake.command(h.users.voice, h.channels.general, 'privacy', sub('optout')));
  assert.match(optOut.data.content, /no longer be collected.*1 pending/);
  assert.equal(h.services.candidates.pending.length, 0);
  h.fake.say(h.users.voice, h.channels.general, 'Another thought entirely.');
  await laterQuestionAnswered(h, h.channels.general);
  assert.equal(h.services.candidates.pending.length, 0);
  await callbackOf(h.fake.command(h.users.voice, h.channels.general, 'privacy', sub('optin')));
  h.fake.say(h.users.voice, h.channels.general, 'Back again.');
  await h.fake.waitFor(() => h.services.candidates.pending.length === 1, 5000, 'capture after opt-in');
});
