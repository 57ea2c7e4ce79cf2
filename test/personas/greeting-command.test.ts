/** `/persona use` on Discord and Slack starts a conversation with the persona's greeting (a card's first message), the user's name filled in. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChatMiddleware } from '../../src/adapters/middleware/index.ts';
import { persona, testServices } from '../adapters/middleware/services.ts';

test('/persona use shows the greeting of a persona that has one, and only the switch otherwise', async () => {
  const mara = persona({ id: 'mara', name: 'Mara', greeting: 'Evening, {{user}}. Mind the stairs.' });
  const bob = persona({ id: 'bob', name: 'Bob' });
  const middleware = new ChatMiddleware(testServices([mara, bob]));
  const context = { platform: 'discord' as const, channelId: '10', user: { id: '500', name: 'Uma', isBot: false } };
  assert.equal(await middleware.commands.usePersona(context, 'mara'), 'Mara now answers in this channel.\n\n**Mara:** Evening, Uma. Mind the stairs.');
  assert.equal(await middleware.commands.usePersona(context, 'bob'), 'Bob now answers in this channel.');
});
