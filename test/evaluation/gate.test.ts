import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decidePromotion } from '../../src/evaluation/gate.ts';
import { styleMetrics } from '../../src/evaluation/style.ts';

const style = (over: Partial<ReturnType<typeof styleMetrics>> = {}) => ({ length_ratio: 1, vocabulary_overlap: 0.8, distinct_2: 0.9, other_speaker_rate: 0, replies: 8, ...over });

test('a candidate that lowers validation loss enough is promoted, with the reason', () => {
  const decision = decidePromotion({ validationLoss: 2.0, style: style() }, { validationLoss: 2.5, style: style() }, 'the base', { minImprovement: 0.01 });
  assert.equal(decision.promote, true);
  assert.match(decision.reason, /2\.0000 beats the base's 2\.5000/);
});

test('too small an improvement, a worse loss or NaN keeps the champion', () => {
  assert.equal(decidePromotion({ validationLoss: 2.49 }, { validationLoss: 2.5 }, 'v1', { minImprovement: 0.01 }).promote, false);
  const worse = decidePromotion({ validationLoss: 2.6 }, { validationLoss: 2.5 }, 'v1', { minImprovement: 0 });
  assert.equal(worse.promote, false);
  assert.match(worse.reason, /does not beat v1's 2\.5000/);
  assert.equal(decidePromotion({ validationLoss: Number.NaN }, { validationLoss: 2.5 }, 'v1', { minImprovement: 0 }).promote, false);
});

test('style regressions block promotion even when the loss is better', () => {
  const repetitive = decidePromotion({ validationLoss: 1, style: style({ distinct_2: 0.4 }) }, { validationLoss: 2, style: style() }, 'v1', { minImprovement: 0 });
  assert.equal(repetitive.promote, false);
  assert.match(repetitive.reason, /repetitive/);
  const otherLines = decidePromotion({ validationLoss: 1, style: style({ other_speaker_rate: 0.5 }) }, { validationLoss: 2, style: style() }, 'v1', { minImprovement: 0 });
  assert.match(otherLines.reason, /other speakers' lines/);
  const long = decidePromotion({ validationLoss: 1, style: style({ length_ratio: 4 }) }, { validationLoss: 2, style: style() }, 'v1', { minImprovement: 0 });
  assert.match(long.reason, /length/);
});

test('style metrics measure length, vocabulary, variety and other-speaker cuts', () => {
  const metrics = styleMetrics(
    [
      { text: 'the nation is strong', cutAtOtherSpeaker: false },
      { text: 'the the the the', cutAtOtherSpeaker: true },
    ],
    ['the nation is strong and free', 'we shall endure'],
  );
  assert.equal(metrics.length_ratio, 4 / 4.5);
  assert.equal(metrics.vocabulary_overlap, 1);
  assert.equal(metrics.distinct_2, 4 / 6);
  assert.equal(metrics.other_speaker_rate, 0.5);
});
