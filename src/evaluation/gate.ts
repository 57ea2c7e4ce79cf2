/**
 * The promotion gate: a new model replaces the champion (or the base, the first time) only
 * if it lowers validation loss by the persona's `training.min_improvement` (relative) and
 * does not regress the style metrics beyond tolerance. The reason is one sentence a user
 * reads in Slack, the studio or `persona models list`.
 */
import type { StyleMetrics } from './style.js';

export interface Evaluation {
  validationLoss: number;
  style?: StyleMetrics;
}

export interface GateSettings {
  /** Required relative improvement of validation loss, e.g. 0.005 = 0.5 %. */
  minImprovement: number;
  /** Allowed drop of distinct-2 (absolute). */
  distinctTolerance?: number;
  /** Allowed rise of the other-speaker rate (absolute). */
  otherSpeakerTolerance?: number;
  /** Allowed worsening of |log(length_ratio)|. */
  lengthTolerance?: number;
}

export interface GateDecision {
  promote: boolean;
  reason: string;
}

const fmt = (x: number) => x.toFixed(4);

export function decidePromotion(candidate: Evaluation, incumbent: Evaluation, incumbentName: string, settings: GateSettings): GateDecision {
  if (!Number.isFinite(candidate.validationLoss)) return { promote: false, reason: `validation loss is ${candidate.validationLoss}` };
  const required = incumbent.validationLoss * (1 - settings.minImprovement);
  if (!(candidate.validationLoss < required)) {
    return {
      promote: false,
      reason: `validation loss ${fmt(candidate.validationLoss)} does not beat ${incumbentName}'s ${fmt(incumbent.validationLoss)} by ${(settings.minImprovement * 100).toFixed(1)}%`,
    };
  }
  const regression = styleRegression(candidate.style, incumbent.style, settings);
  if (regression) return { promote: false, reason: regression };
  return { promote: true, reason: `validation loss ${fmt(candidate.validationLoss)} beats ${incumbentName}'s ${fmt(incumbent.validationLoss)}` };
}

function styleRegression(candidate: StyleMetrics | undefined, incumbent: StyleMetrics | undefined, settings: GateSettings): string | null {
  if (!candidate || !incumbent) return null;
  const distinctDrop = incumbent.distinct_2 - candidate.distinct_2;
  if (distinctDrop > (settings.distinctTolerance ?? 0.15)) {
    return `replies got repetitive: distinct-2 fell from ${fmt(incumbent.distinct_2)} to ${fmt(candidate.distinct_2)}`;
  }
  const otherRise = candidate.other_speaker_rate - incumbent.other_speaker_rate;
  if (otherRise > (settings.otherSpeakerTolerance ?? 0.25)) {
    return `replies write other speakers' lines more often: ${fmt(candidate.other_speaker_rate)} vs ${fmt(incumbent.other_speaker_rate)}`;
  }
  const lengthError = (ratio: number) => (ratio > 0 ? Math.abs(Math.log(ratio)) : Infinity);
  if (lengthError(candidate.length_ratio) - lengthError(incumbent.length_ratio) > (settings.lengthTolerance ?? 0.7)) {
    return `reply length drifted from the persona's: length ratio ${fmt(candidate.length_ratio)} vs ${fmt(incumbent.length_ratio)}`;
  }
  return null;
}
