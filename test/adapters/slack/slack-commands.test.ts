// `/persona status|stats|queue|train` with ephemeral answers, and training notices posted
// to the review channel.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppEvents } from '../../../src/app/process-events.ts';
import { followTrainingJobs } from '../../../src/adapters/slack/index.ts';
import { jobHistory, type JobRecord } from '../../../src/scheduler/history.ts';
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
    assert.match((await h.command('cancel fdr', OTHER)).text, /Only curators can cancel/);
    assert.match((await h.command('cancel fdr', CURATOR)).text, /Cancelling training of fdr/);
    assert.deepEqual(h.trainingRequests, ['fdr', `cancel fdr by <@${CURATOR}> (Slack)`]);
  });

  it('names the known personas for an unknown id, and shows usage for anything else', async () => {
    assert.match((await h.command('stats nobody', OTHER)).text, /No persona "nobody".*known: fdr/);
    assert.match((await h.command('', OTHER)).text, /Usage: `\/persona status/);
  });

  it('posts training start and end notices from job records: dataset size, losses, style metrics, the verdict', async () => {
    const job: JobRecord = {
      id: 'j20261127-7',
      persona: 'fdr',
      reason: 'schedule',
      status: 'running',
      phase: 'train',
      host: 'test',
      pid: 1,
      startedAt: '2026-11-27T03:00:00.000Z',
      datasetVersion: 'v12',
      metrics: { approved_samples: 2000, new_samples: 120 },
    };
    const before = h.fake.workspace.messagesIn(REVIEW).length;
    await h.adapter.notifyJob({ ...job, status: 'running', phase: 'queued' });
    await h.adapter.notifyJob(job);
    await h.adapter.notifyJob(job);
    await h.adapter.notifyJob({ ...job, id: 'j-skipped', status: 'skipped', phase: 'done', message: 'only 3 new approved samples' });
    await h.adapter.notifyJob({
      ...job,
      status: 'kept',
      phase: 'done',
      finishedAt: '2026-11-27T03:12:34.000Z',
      version: 'v4',
      message: 'validation loss improved by 0.3%, less than the required 0.5%',
      metrics: {
        ...job.metrics,
        validation_loss_before: 2.91234,
        validation_loss_after: 2.90302,
        style_distinct_2_after: 0.4123,
        style_avg_words_after: 17,
        style_avg_words_before: 15,
      },
      train: {
        data: { trainSamples: 1800, validationSamples: 200, trainRows: 900, validationRows: 100, trainTargetTokens: 1 },
      } as unknown as JobRecord['train'],
    });
    const notices = h.fake.workspace
      .messagesIn(REVIEW)
      .slice(before)
      .map((message) => message.text);
    assert.equal(notices.length, 2, 'one start and one end notice: no queued, duplicate or skipped noise');
    const [started, finished] = notices;
    assert.match(started, /Training started for \*Franklin D\. Roosevelt\*.*j20261127-7/);
    assert.match(started, /dataset v12: 2000 approved samples/);
    assert.match(finished, /2000 approved samples \(1800 training \+ 200 validation\)/);
    assert.match(finished, /validation loss: 2\.9123 → 2\.9030/);
    assert.match(finished, /style: distinct_2 0\.412, avg_words 17/);
    assert.match(finished, /kept the current model: validation loss improved by 0\.3%, less than the required 0\.5%/);
    assert.match(finished, /in 13 min/);
  });

  it("follows persona serve's training events: a start notice at the train phase, an end notice when the job ends", async () => {
    const events = new AppEvents();
    followTrainingJobs(events, h.store, h.adapter.notifyJob);
    const history = jobHistory(h.store);
    const before = h.fake.workspace.messagesIn(REVIEW).length;
    const record = await history.start('fdr', 'slack');
    events.emit('job', record);
    await history.update(record, { phase: 'train', datasetVersion: 'v13', metrics: { approved_samples: 42 } });
    events.emit('phase', { persona: 'fdr', phase: 'train' });
    const started = await waitFor(
      () =>
        h.fake.workspace
          .messagesIn(REVIEW)
          .slice(before)
          .find((message) => message.text.includes('Training started')),
      'start notice',
    );
    assert.match(started.text, /dataset v13: 42 approved samples/);
    events.emit('job', await history.finish(record, 'promoted', 'validation loss 2.1 beats the base model 2.4'));
    const finished = await waitFor(
      () =>
        h.fake.workspace
          .messagesIn(REVIEW)
          .slice(before)
          .find((message) => message.text.includes('Training finished')),
      'end notice',
    );
    assert.match(finished.text, /promoted.*validation loss 2\.1 beats the base model 2\.4/);
    assert.equal(h.fake.workspace.messagesIn(REVIEW).length - before, 2);
  });

  it('says when a new model was promoted, and when a run failed', async () => {
    await h.adapter.notifyTraining({ personaId: 'fdr', phase: 'finished', outcome: { promoted: true, reason: 'validation loss 2.7 < 2.9', version: 'v5' } });
    assert.match(h.fake.workspace.messagesIn(REVIEW).at(-1)?.text ?? '', /promoted v5: validation loss 2\.7 &lt; 2\.9/);
    await h.adapter.notifyTraining({ personaId: 'fdr', phase: 'failed', error: 'out of memory' });
    assert.match(h.fake.workspace.messagesIn(REVIEW).at(-1)?.text ?? '', /Training failed.*out of memory\nThe current model stays in use/);
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
