// Start-up errors a user can hit name the variable to fix, and come quickly (no long retries).
import './quiet-logs.ts';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../src/config/config.ts';
import { InMemoryState } from '../../../src/adapters/middleware/index.ts';
import { SlackAdapter, type SlackServices } from '../../../src/adapters/slack/index.ts';
import { isPersonaError } from '../../../src/errors.ts';
import { FakeSlack } from '../../fakes/slack/fake-slack.ts';

describe('Slack adapter start-up', () => {
  let fake: FakeSlack;
  const state = new InMemoryState();
  const services: SlackServices = {
    personas: { list: () => [], get: () => assert.fail('no personas') },
    review: {
      unposted: async () => [],
      markPosted: async () => undefined,
      byReviewMessage: async () => undefined,
      decide: async () => ({ applied: false, reason: 'not_found' }),
      revert: async () => ({ applied: false, reason: 'not_found' }),
      counts: async () => ({ pending: 0, approved: 0, rejected: 0, exemplary: 0, edited: 0 }),
    },
    once: { claim: async (key) => (await state.get(key)) === undefined && (await state.set(key, 1), true) },
  };
  before(async () => {
    fake = await new FakeSlack().start();
  });
  after(async () => fake.stop());

  it('needs SLACK_APP_TOKEN or SLACK_SIGNING_SECRET besides the bot token', async () => {
    const config = loadConfig({ root: '/nonexistent', env: { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: fake.apiUrl } });
    await assert.rejects(
      new SlackAdapter(config, services).start(),
      (error) => isPersonaError(error, 'config_invalid') && /SLACK_APP_TOKEN.*SLACK_SIGNING_SECRET/.test(error.message),
    );
  });

  it('says the bot token was refused, promptly', async () => {
    fake.workspace.authError = 'invalid_auth';
    const config = loadConfig({ root: '/nonexistent', env: { SLACK_BOT_TOKEN: 'xoxb-wrong', SLACK_APP_TOKEN: 'xapp-test', SLACK_API_URL: fake.apiUrl } });
    const asked = fake.callsTo('auth.test').length;
    const slack = new SlackAdapter(config, services);
    await assert.rejects(slack.start(), (error) => isPersonaError(error, 'config_invalid') && /SLACK_BOT_TOKEN.*invalid_auth/.test(error.message));
    assert.deepEqual(slack.health().ok, false);
    assert.match(slack.health().detail, /SLACK_BOT_TOKEN.*invalid_auth/, 'health says why it is not running');
    assert.equal(fake.callsTo('auth.test').length - asked, 1, 'asked once: a refused token is not retried');
  });
});
