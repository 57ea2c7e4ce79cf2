/**
 * `/persona train <id> --lora-rank N` in Slack (real Bolt app on the fake Slack, the real
 * training service behind it): the rank is checked exactly as `persona train --lora-rank N`
 * checks it (the training settings, then the memory plan) before anything is queued; a bad
 * rank or a misspelt flag tells the curator why and leaves no job; so does a persona whose own
 * file asks for more memory than the machine has, with no rank given.
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { botTrainingProject, TOO_BIG, type BotTrainingProject } from '../../app/bot-training-fixture.ts';
import { CURATOR, OTHER, startHarness, type Harness } from './harness.ts';

describe('/persona train --lora-rank', () => {
  let h: Harness;
  let project: BotTrainingProject;
  before(async () => {
    project = await botTrainingProject(['fdr', TOO_BIG]);
    h = await startHarness({ mode: 'socket', training: project.training });
    // The bot's own persona folder knows the persona too big to train, as the service's does.
    copyFileSync(join(project.personasDir, `${TOO_BIG}.yaml`), join(h.personasDir, `${TOO_BIG}.yaml`));
  });
  after(async () => {
    await h.close();
    await project.close();
  });

  it('a bad rank or flag, or a run too big for memory: the curator sees why, and no job is queued', async () => {
    const answers = [];
    for (const text of ['train fdr --lora-rank four', 'train fdr --lora-rank 0', 'train fdr --lora-rank=2.5', 'train fdr --lora-rank', 'train fdr --rank 4'])
      answers.push((await h.command(text, CURATOR)).text);
    assert.deepEqual(answers.slice(0, 3), Array(3).fill('--lora-rank must be a positive integer.'));
    assert.match(answers[3], /takes only `--lora-rank N` after the persona id, not "--lora-rank"/);
    assert.match(answers[4], /takes only `--lora-rank N` after the persona id, not "--rank 4"/);
    assert.match((await h.command(`train fdr --lora-rank ${2 ** 40}`, CURATOR)).text, /^This training run needs about .* of memory but .* is available/);
    assert.match((await h.command('train fdr --lora-rank 4', OTHER)).text, /Only curators/);
    assert.match(
      (await h.command(`train ${TOO_BIG}`, CURATOR)).text,
      /^This training run needs about .* of memory but .* is available: .*a smaller --batch-size/,
    );
    assert.deepEqual(project.queued, []);
  });

  it("queues the run at the rank given (either spelling); without one, at the persona file's", async () => {
    assert.match((await h.command('train fdr --lora-rank 4', CURATOR)).text, /^Training of fdr \(LoRA rank 4\) is queued/);
    assert.match((await h.command('train fdr --lora-rank=8', CURATOR)).text, /^Training of fdr \(LoRA rank 8\) is queued/);
    assert.match((await h.command('train fdr', CURATOR)).text, /^Training of fdr is queued/);
    assert.deepEqual(
      project.queued.map(({ persona, options }) => [persona, options.reason, options.overrides]),
      [
        ['fdr', 'slack', { loraRank: 4 }],
        ['fdr', 'slack', { loraRank: 8 }],
        ['fdr', 'slack', undefined],
      ],
    );
  });
});
