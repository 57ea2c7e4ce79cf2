/** DISCORD_ALLOWED_CHANNELS: outside the list the bot neither answers nor captures, and says so to slash commands. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await startHarness({ env: (channels) => ({ DISCORD_ALLOWED_CHANNELS: [channels.hooks.id] }) });
});
after(() => h.stop());

test('only allowed channels are answered and captured', async () => {
  h.fake.say(h.users.uma, h.channels.general, 'are you there?', { mention: true });
  h.fake.say(h.users.voice, h.channels.general, 'A voice outside the allowed channels.');
  h.fake.say(h.users.uma, h.channels.hooks, 'and here?', { mention: true });
  await h.fake.waitFor(
    () => h.fake.channelMessages(h.channels.hooks.id).some((m) => m.content === 'Ada says: and here?'),
    5000,
    'answer in the allowed channel',
  );
  assert.equal(h.fake.channelMessages(h.channels.general.id).filter((m) => m.author.id === h.fake.bot.id).length, 0);
  assert.equal(h.services.candidates.pending.length, 0);
  const id = h.fake.command(h.users.uma, h.channels.general, 'forget', []);
  const callback = await h.fake.waitFor(() => h.fake.interactionReplies.get(id)?.callbacks[0], 5000, 'refusal');
  assert.match(callback.data.content, /not enabled in this channel/);
});
