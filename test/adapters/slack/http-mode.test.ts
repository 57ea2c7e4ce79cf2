// HTTP mode: requests must carry a valid signature over a timestamp less than 5 minutes old
// and may be used once; forged, stale and replayed requests get 401 and change nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { send, signedCommand, signedEvent } from '../../fakes/slack/signed-requests.ts';
import { CURATOR, REVIEW, SECRET, commandFields, laterDecisionApplied, postCandidate, startHarness, waitFor, type Harness } from './harness.ts';

describe('Slack adapter in HTTP mode', () => {
  let h: Harness;
  let url: string;
  before(async () => {
    h = await startHarness({ mode: 'http' });
    url = `http://127.0.0.1:${h.adapter.port}/slack/events`;
  });
  after(async () => h.close());

  const status = async (id: string) => (await h.sample(id))?.state;

  it('applies a correctly signed reaction', async () => {
    const { id, ts } = await postCandidate(h);
    const answer = await h.deliver(h.fake.workspace.react(CURATOR, REVIEW, ts, 'white_check_mark'));
    assert.equal(answer.status, 200);
    await waitFor(async () => (await status(id)) === 'approved', 'approval');
  });

  it('refuses a bad signature with 401 and changes nothing', async () => {
    const { id, ts } = await postCandidate(h);
    const callback = h.fake.eventCallback(h.fake.workspace.react(CURATOR, REVIEW, ts, 'white_check_mark'));
    const forged = await send(url, signedEvent(callback, { secret: 'not-the-secret' }));
    const garbage = await send(url, signedEvent(callback, { secret: SECRET, signature: 'v0=deadbeef' }));
    assert.equal(forged.status, 401);
    assert.equal(garbage.status, 401);
    await laterDecisionApplied(h);
    assert.equal(await status(id), 'pending');
  });

  it('refuses a timestamp older than 5 minutes with 401 and changes nothing', async () => {
    const { id, ts } = await postCandidate(h);
    const callback = h.fake.eventCallback(h.fake.workspace.react(CURATOR, REVIEW, ts, 'x'));
    const stale = await send(url, signedEvent(callback, { secret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }));
    assert.equal(stale.status, 401);
    await laterDecisionApplied(h);
    assert.equal(await status(id), 'pending');
  });

  it('refuses a replayed request with 401 and changes nothing', async () => {
    const { id, ts } = await postCandidate(h);
    const approve = signedEvent(h.fake.eventCallback(h.fake.workspace.react(CURATOR, REVIEW, ts, 'white_check_mark')), { secret: SECRET });
    assert.equal((await send(url, approve)).status, 200);
    await waitFor(async () => (await status(id)) === 'approved', 'approval');
    await h.deliver(h.fake.workspace.unreact(CURATOR, REVIEW, ts, 'white_check_mark'));
    await waitFor(async () => (await status(id)) === 'pending', 'revert');
    assert.equal((await send(url, approve)).status, 401);
    await laterDecisionApplied(h);
    assert.equal(await status(id), 'pending');
  });

  it("counts Slack's redelivery (re-signed, X-Slack-Retry-Num, same event_id) once", async () => {
    const { id, ts } = await postCandidate(h);
    const event = h.fake.workspace.react(CURATOR, REVIEW, ts, 'x');
    await h.deliver(event, { eventId: 'EvHTTPRETRY' });
    await waitFor(async () => (await status(id)) === 'rejected', 'rejection');
    await h.deliver(h.fake.workspace.unreact(CURATOR, REVIEW, ts, 'x'));
    await waitFor(async () => (await status(id)) === 'pending', 'revert');
    const retry = await h.deliver(event, { eventId: 'EvHTTPRETRY', retryNum: 1 });
    assert.equal(retry.status, 200, 'a redelivery is acknowledged, so Slack stops retrying');
    await laterDecisionApplied(h);
    assert.equal(await status(id), 'pending');
  });

  it('answers /persona over HTTP in the response, ephemeral; a forged command gets 401', async () => {
    const answer = await h.command('stats fdr', CURATOR);
    assert.equal(answer.responseType, 'ephemeral');
    assert.match(answer.text, /Franklin D\. Roosevelt.*approved/);
    const forged = await send(url, signedCommand(commandFields('train fdr', CURATOR), { secret: 'wrong' }));
    assert.equal(forged.status, 401);
    assert.deepEqual(h.trainingRequests, []);
  });
});
