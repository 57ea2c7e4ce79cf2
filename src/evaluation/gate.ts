/**
 * The promotion gate: a new model replaces the champion (or the base, the first time) only
 * when, on the persona's held-out words (the validation split, never training text):
 * - there are enough of them to compare models (`training.min_validation_tokens`);
 * - its loss is lower by at least `training.min_improvement` (relative) and the gain is
 *   larger than the noise: the 95 % band of a paired bootstrap over the held-out windows
 *   lies above zero;
 * - its sampled replies do not regress the style metrics beyond tolerance.
 * The reason is one sentence a user reads in Slack, the studio or `persona models list`.
 */
import { bootstrapGain, type GainBand } from './bootstrap.js';
import type { LossReport } from './loss.js';
import { STYLE_BETTER, type StyleMetrics } from './style.js';

export interface Evaluation {
  /** Loss over the persona's held-out words. */
  loss: LossReport;
  style?: StyleMetrics;
}

export interface GateSettings {
  /** Required relative improvement of held-out loss, e.g. 0.005 = 0.5 %. */
  minImprovement: number;
  /** Fewer held-out tokens than this: no automatic promotion. */
  minValidationTokens: number;
  /** Seed of the bootstrap (a decision is reproducible). */
  seed?: number;
  /** Allowed drop of distinct-2 (absolute). */
  distinctTolerance?: number;
  /** Allowed rise of the other-speaker rate (absolute). */
  otherSpeakerTolerance?: number;
  /** Allowed worsening of |log(length_ratio)|. */
  lengthTolerance?: number;
}

export interface StyleComparison {
  metric: keyof typeof STYLE_BETTER;
  before: number;
  after: number;
  better: (typeof STYLE_BETTER)[keyof typeof STYLE_BETTER];
}

export interface GateDecision {
  promote: boolean;
  reason: string;
  /** Held-out tokens of the persona's words both models were scored on. */
  heldOutTokens: number;
  /** The loss gain and its bootstrap noise band (absent when too little was held out). */
  band?: GainBand;
  style?: StyleComparison[];
}

const fmt = (x: number) => x.toFixed(4);
const pct = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}%`;
const count = (n: number) => n.toLocaleString('en-US');

export function describeBand(band: GainBand): string {
  return `gain ${pct(band.gain)}, 95% band ${pct(band.low)} … ${pct(band.high)}`;
}

export function decidePromotion(candidate: Evaluation, incumbent: Evaluation, incumbentName: string, settings: GateSettings): GateDecision {
  const heldOutTokens = candidate.loss.tokens;
  const style = compareStyle(candidate.style, incumbent.style);
  const no = (reason: string, band?: GainBand): GateDecision => ({ promote: false, reason, heldOutTokens, band, style });
  if (heldOutTokens === 0 || heldOutTokens < settings.minValidationTokens) {
    return no(
      `${count(heldOutTokens)} held-out tokens; at least ${count(settings.minValidationTokens)} are needed to compare models (approve more material, or promote by hand)`,
    );
  }
  if (!Number.isFinite(candidate.loss.loss)) return no(`held-out loss is ${candidate.loss.loss}`);
  if (candidate.loss.windows.length !== incumbent.loss.windows.length) {
    return no(
      `the two models were scored on different held-out windows (${candidate.loss.windows.length} vs ${incumbent.loss.windows.length}); not comparable`,
    );
  }
  const band = bootstrapGain(candidate.loss.windows, incumbent.loss.windows, { seed: settings.seed });
  const tokens = `${count(heldOutTokens)} held-out tokens`;
  const pair = (verb: string) => `held-out loss ${fmt(candidate.loss.loss)} ${verb} ${incumbentName}'s ${fmt(incumbent.loss.loss)}`;
  if (!(band.gain >= settings.minImprovement)) {
    return no(`${pair('does not beat')} by ${(settings.minImprovement * 100).toFixed(1)}% (${describeBand(band)}, ${tokens})`, band);
  }
  if (!(band.low > 0))
    return no(`${pair('beats')} by ${pct(band.gain)}, but within the noise (95% band ${pct(band.low)} … ${pct(band.high)}, ${tokens})`, band);
  const regression = styleRegression(candidate.style, incumbent.style, settings);
  if (regression) return no(regression, band);
  return {
    promote: true,
    reason: `${pair('beats')} by ${pct(band.gain)}, beyond the noise (95% band ${pct(band.low)} … ${pct(band.high)}, ${tokens})`,
    heldOutTokens,
    band,
    style,
  };
}

function compareStyle(candidate: StyleMetrics | undefined, incumbent: StyleMetrics | undefined): StyleComparison[] | undefined {
  if (!candidate || !incumbent) return undefined;
  return (Object.keys(STYLE_BETTER) as (keyof typeof STYLE_BETTER)[]).map((metric) => ({
    metric,
    before: incumbent[metric],
    after: candidate[metric],
    better: STYLE_BETTER[metric],
  }));
}

function styleRegression(candidate: StyleMetrics | undefined, incumbent: StyleMetrics | undefined, settings: GateSettings): string | null {
  if (!candidate || !incumbent) return null;
  const distinctDrop = incumbent.distinct_2 - candidate.distinct_2;
  if (distinctDrop > (settings.distinctTolerance ?? 0.15)) {
    return `replies got repetitive: distinct-2 (higher is better) fell from ${fmt(incumbent.distinct_2)} to ${fmt(candidate.distinct_2)}`;
  }
  const otherRise = candidate.other_speaker_rate - incumbent.other_speaker_rate;
  if (otherRise > (settings.otherSpeakerTolerance ?? 0.25)) {
    return `replies write other speakers' lines more often (lower is better): ${fmt(candidate.other_speaker_rate)} vs ${fmt(incumbent.other_speaker_rate)}`;
  }
  const lengthError = (ratio: number) => (ratio > 0 ? Math.abs(Math.log(ratio)) : Infinity);
  if (lengthError(candidate.length_ratio) - lengthError(incumbent.length_ratio) > (settings.lengthTolerance ?? 0.7)) {
    return `reply length drifted from the persona's: length ratio (closer to 1 is better) ${fmt(candidate.length_ratio)} vs ${fmt(incumbent.length_ratio)}`;
  }
  return null;
}
