// A refused Slack token at start stops only Slack: persona serve runs on with its studio,
// reports Slack as not ok with the sentence to act on, and the studio answers.
import './quiet-logs.ts';
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSlack } from '../../fakes/slack/fake-slack.ts';
import { startStudioProject, type StudioProject } from '../studio/studio-project.ts';

let fake: FakeSlack;
let project: StudioProject | undefined;
before(async () => {
  fake = await new FakeSlack().start();
  fake.workspace.authError = 'invalid_auth';
});
after(async () => {
  await project?.close();
  await fake.stop();
});

it('serve keeps the studio running when Slack refuses the bot token', async () => {
  project = await startStudioProject({ SLACK_BOT_TOKEN: 'xoxb-wrong', SLACK_APP_TOKEN: 'xapp-test', SLACK_API_URL: fake.apiUrl });
  const slack = project.server.adapters.find((a) => a.name === 'slack')?.health();
  assert.equal(slack?.ok, false, 'slack is reported as not running');
  assert.match(slack.detail, /SLACK_BOT_TOKEN.*invalid_auth/);
  const res = await fetch(new URL('/api/personas', project.url));
  assert.equal(res.status, 200);
});
