/** The promotion gate: held-out words only, a floor on held-out tokens, and a gain beyond the bootstrap noise band. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapGain } from '../../src/evaluation/bootstrap.ts';
import { decidePromotion, type Evaluation } from '../../src/evaluation/gate.ts';
import { summarize, type WindowLoss } from '../../src/evaluation/loss.ts';
import { styleMetrics, type StyleMetrics } from '../../src/evaluation/style.ts';
import { Rng } from '../../src/util/random.ts';

const style = (over: Partial<StyleMetrics> = {}): StyleMetrics => ({
  length_ratio: 1,
  vocabulary_overlap: 0.8,
  distinct_2: 0.9,
  repeated_4gram_rate: 0,
  other_speaker_rate: 0,
  replies: 8,
  ...over,
});

/** n windows of 100 tokens whose per-token loss is `mean` plus seeded noise of ±`spread`. */
function windows(n: number, mean: number, spread: number, seed: number): WindowLoss[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => ({ nll: 100 * (mean + spread * (2 * rng.next() - 1)), tokens: 100 }));
}
const evaluation = (w: WindowLoss[], s?: StyleMetrics): Evaluation => ({ loss: summarize(w, w.length), style: s });
const settings = { minImprovement: 0.005, minValidationTokens: 2000 };

test('a clear held-out gain beyond the noise promotes, and the reason shows the band and token count', () => {
  const decision = decidePromotion(evaluation(windows(40, 2.0, 0.3, 1), style()), evaluation(windows(40, 2.5, 0.3, 1), style()), 'the base model', settings);
  assert.equal(decision.promote, true, decision.reason);
  assert.match(
    decision.reason,
    /held-out loss \d\.\d{4} beats the base model's \d\.\d{4} by \+20\.\d%, beyond the noise \(95% band \+\d+\.\d% … \+\d+\.\d%, 4,000 held-out tokens\)/,
  );
  assert.ok(decision.band && decision.band.low > 0 && decision.band.low <= decision.band.gain && decision.band.gain <= decision.band.high);
  assert.deepEqual(
    decision.style?.map((s) => [s.metric, s.better]),
    [
      ['length_ratio', 'closer to 1'],
      ['vocabulary_overlap', 'higher'],
      ['distinct_2', 'higher'],
      ['repeated_4gram_rate', 'lower'],
      ['other_speaker_rate', 'lower'],
    ],
  );
});

test('too few held-out tokens never promote, and the reason says how many are needed', () => {
  const decision = decidePromotion(evaluation(windows(3, 1.0, 0, 1)), evaluation(windows(3, 3.0, 0, 1)), 'v1', settings);
  assert.equal(decision.promote, false);
  assert.equal(decision.reason, '300 held-out tokens; at least 2,000 are needed to compare models (approve more material, or promote by hand)');
  const nothing = decidePromotion(evaluation([]), evaluation([]), 'v1', { ...settings, minValidationTokens: 0 });
  assert.equal(nothing.promote, false);
  assert.match(nothing.reason, /^0 held-out tokens/);
});

test('a gain inside the noise band is not promoted, even when it passes min_improvement', () => {
  // Paired windows: candidate = incumbent ± large independent noise, mean gain ~1 %.
  const incumbent = windows(30, 2.5, 0.2, 7);
  const rng = new Rng(99);
  const candidate = incumbent.map((w) => ({ nll: w.nll * 0.99 + 100 * 0.6 * (2 * rng.next() - 1), tokens: w.tokens }));
  const decision = decidePromotion(evaluation(candidate), evaluation(incumbent), 'v1', settings);
  assert.equal(decision.promote, false);
  assert.match(decision.reason, /within the noise|not 0\.5% better/);
  assert.ok(decision.band && decision.band.low < 0 && decision.band.high > 0, JSON.stringify(decision.band));
});

test('worse, equal or NaN loss is kept; the bootstrap is reproducible from its seed', () => {
  const base = windows(30, 2.5, 0.1, 3);
  assert.equal(decidePromotion(evaluation(windows(30, 2.6, 0.1, 3)), evaluation(base), 'v1', settings).promote, false);
  assert.equal(decidePromotion(evaluation(base), evaluation(base), 'v1', { ...settings, minImprovement: 0 }).promote, false);
  assert.equal(decidePromotion(evaluation(base.map((w) => ({ ...w, nll: Number.NaN }))), evaluation(base), 'v1', settings).promote, false);
  assert.deepEqual(bootstrapGain(windows(30, 2, 0.3, 5), base, { seed: 4 }), bootstrapGain(windows(30, 2, 0.3, 5), base, { seed: 4 }));
});

test('style regressions block promotion and name the better direction', () => {
  const better = windows(40, 2.0, 0.1, 1);
  const worse = windows(40, 2.5, 0.1, 1);
  const repetitive = decidePromotion(evaluation(better, style({ distinct_2: 0.4 })), evaluation(worse, style()), 'v1', settings);
  assert.equal(repetitive.promote, false);
  assert.match(repetitive.reason, /distinct-2 \(higher is better\)/);
  const otherLines = decidePromotion(evaluation(better, style({ other_speaker_rate: 0.5 })), evaluation(worse, style()), 'v1', settings);
  assert.match(otherLines.reason, /lower is better/);
  const long = decidePromotion(evaluation(better, style({ length_ratio: 4 })), evaluation(worse, style()), 'v1', settings);
  assert.match(long.reason, /closer to 1 is better/);
});

test('style metrics count loops: repeated 4-grams within a reply', () => {
  const metrics = styleMetrics(
    [
      { text: 'the united states and the united states and the united states', cutAtOtherSpeaker: false },
      { text: 'we shall build a better nation for all', cutAtOtherSpeaker: false },
    ],
    ['we shall build'],
  );
  assert.ok(metrics.repeated_4gram_rate > 0.3, String(metrics.repeated_4gram_rate));
  assert.equal(styleMetrics([{ text: 'a b c d e f', cutAtOtherSpeaker: false }], ['x']).repeated_4gram_rate, 0);
});
