/** 👍/👎 on bot replies: one rating per user and message, withdrawn when the reaction goes. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { listFeedback, recordFeedback, type FeedbackEntry } from '../../src/curation/index.ts';
import { onEveryBackend } from '../store/backends.ts';

onEveryBackend('feedback', (store) => {
  it('records a rating with its context, overwrites a redelivery, and withdraws on removal', async () => {
    const entry: FeedbackEntry = {
      persona: 'fb',
      platform: 'discord',
      channelId: 'c1',
      messageId: 'm1',
      userId: 'u1',
      rating: 'up',
      reply: 'My friends, the only thing we have to fear is fear itself.',
      context: [{ role: 'user', name: 'ann', text: 'What should we fear?' }],
      at: 1,
    };
    await recordFeedback(store(), { ...entry, added: true });
    await recordFeedback(store(), { ...entry, added: true });
    await recordFeedback(store(), { ...entry, userId: 'u2', rating: 'down', at: 2, added: true });
    const listed = await listFeedback(store(), 'fb');
    assert.deepEqual(
      listed.map((f) => `${f.userId}:${f.rating}`),
      ['u1:up', 'u2:down'],
    );
    assert.equal(listed[0].context[0].text, 'What should we fear?');

    await recordFeedback(store(), { ...entry, rating: 'down', added: false });
    assert.equal((await listFeedback(store(), 'fb')).length, 2, 'removing a reaction the user did not give changes nothing');
    await recordFeedback(store(), { ...entry, added: false });
    assert.deepEqual(
      (await listFeedback(store(), 'fb')).map((f) => f.userId),
      ['u2'],
    );
  });
});
