// `/persona status|stats|queue|train` with ephemeral answers, and training notices posted
// to the review channel.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CURATOR, OTHER, REVIEW, postCandidate, startHarness, waitFor, type Harness } from './harness.ts';

describe('/persona and training notices (Socket Mode)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ mode: 'socket' });
  });
  after(async () => h.close());

  it('stats reflect a decision taken in Slack immediately', async () => {
    const { id, ts } = await postCandidate(h);
    const before = await h.command('stats fdr', OTHER);
    assert.equal(before.responseType, 'ephemeral');
    assert.match(before.text, /0 approved .* 1 pending/);
    await h.deliver(h.fake.workspace.react(CURATOR, REVIEW, ts, 'white_check_mark'));
    await waitFor(async () => (await h.sample(id))?.state === 'approved', 'approval');
    assert.match((await h.command('stats fdr', OTHER)).text, /1 approved \(0 exemplary, 0 edited\) · 0 rejected · 0 pending/);
  });

  it('status and queue', async () => {
    assert.match((await h.command('status', OTHER)).text, /Franklin D\. Roosevelt.*champion v3/);
    await h.addCandidate('Not posted yet.');
    assert.match((await h.command('queue', OTHER)).text, /1 candidate\(s\) pending review; 1 not yet posted/);
  });

  it('train starts a run for curators only', async () => {
    assert.match((await h.command('train fdr', OTHER)).text, /Only curators/);
    assert.deepEqual(h.trainingRequests, []);
    assert.match((await h.command('train fdr', CURATOR)).text, /queued/);
    assert.deepEqual(h.trainingRequests, ['fdr']);
  });

  it('names the known personas for an unknown id, and shows usage for anything else', async () => {
    assert.match((await h.command('stats nobody', OTHER)).text, /No persona "nobody".*known: fdr/);
    assert.match((await h.command('', OTHER)).text, /Usage: `\/persona status/);
  });

  it('posts training start and end notices with dataset size, losses, style metrics and the promotion verdict', async () => {
    await h.adapter.notifyTraining({ personaId: 'fdr', phase: 'started', runId: 'r7', dataset: { train: 1800, validation: 200, version: 'v12' } });
    await h.adapter.notifyTraining({
      personaId: 'fdr',
      phase: 'finished',
      runId: 'r7',
      dataset: { train: 1800, validation: 200 },
      validationLoss: { before: 2.91234, after: 2.71002 },
      styleMetrics: { distinct_2: 0.4123, avg_words: 17 },
      outcome: { promoted: false, reason: 'validation loss improved by 6.9% but the style distance grew' },
      durationMs: 754_000,
    });
    const [started, finished] = h.fake.workspace.messagesIn(REVIEW).slice(-2).map((message) => message.text);
    assert.match(started, /Training started for \*Franklin D\. Roosevelt\*.*r7/);
    assert.match(started, /1800 training \+ 200 validation/);
    assert.match(finished, /validation loss: 2\.9123 → 2\.7100/);
    assert.match(finished, /distinct_2 0\.412, avg_words 17/);
    assert.match(finished, /kept the current model: validation loss improved by 6\.9% but the style distance grew/);
    assert.match(finished, /in 13 min/);
  });
});

describe('/persona in HTTP mode, curators from a user group, no training runner', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ mode: 'http', curators: 'SCURATORS', withTraining: false });
    h.fake.workspace.userGroups.set('SCURATORS', [CURATOR]);
  });
  after(async () => h.close());

  it('says training is not available, to group members only', async () => {
    assert.match((await h.command('train fdr', OTHER)).text, /Only curators/);
    const answer = await h.command('train fdr', CURATOR);
    assert.equal(answer.responseType, 'ephemeral');
    assert.match(answer.text, /not available/);
  });

  it('group members decide by reaction', async () => {
    const { id, ts } = await postCandidate(h);
    await h.deliver(h.fake.workspace.react(CURATOR, REVIEW, ts, 'x'));
    await waitFor(async () => (await h.sample(id))?.state === 'rejected', 'rejection by a group member');
    await waitFor(() => h.fake.workspace.find(REVIEW, ts)?.text.includes('Rejected by'), 'the outcome on the message');
  });
});
