/**
 * The noise band of a loss comparison: a paired bootstrap over held-out windows. Both models
 * are scored on the same windows; resampling the windows (with replacement) and recomputing
 * the relative gain shows how much of the gain the choice of held-out text alone could
 * produce. Seeded from src/util/random.ts, so a decision is reproducible.
 */
import { Rng } from '../util/random.js';
import type { WindowLoss } from './loss.js';

export interface GainBand {
  /** Relative loss reduction of the candidate over the incumbent: 0.05 = 5 % lower. */
  gain: number;
  /** 2.5th and 97.5th percentiles of the bootstrapped gain. */
  low: number;
  high: number;
  resamples: number;
}

export function relativeGain(candidate: readonly WindowLoss[], incumbent: readonly WindowLoss[], picks?: readonly number[]): number {
  const indices = picks ?? candidate.map((_, i) => i);
  let c = 0;
  let ct = 0;
  let b = 0;
  let bt = 0;
  for (const i of indices) {
    c += candidate[i].nll;
    ct += candidate[i].tokens;
    b += incumbent[i].nll;
    bt += incumbent[i].tokens;
  }
  return 1 - c / ct / (b / bt);
}

export function bootstrapGain(
  candidate: readonly WindowLoss[],
  incumbent: readonly WindowLoss[],
  options: { resamples?: number; seed?: number } = {},
): GainBand {
  if (candidate.length !== incumbent.length || candidate.length === 0)
    throw new Error(`bootstrapGain needs the same non-empty windows (${candidate.length} vs ${incumbent.length})`);
  const resamples = options.resamples ?? 1000;
  const rng = new Rng(options.seed ?? 1);
  const n = candidate.length;
  const gains = new Float64Array(resamples);
  const picks = new Array<number>(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) picks[i] = rng.int(n);
    gains[r] = relativeGain(candidate, incumbent, picks);
  }
  gains.sort();
  const at = (q: number) => gains[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))];
  return { gain: relativeGain(candidate, incumbent), low: at(0.025), high: at(0.975), resamples };
}
