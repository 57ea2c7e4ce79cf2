/**
 * Learning-rate schedule: linear warmup from 0 to the peak, then cosine decay to
 * `minRatio · peak` at the last step (the shape of Hugging Face's
 * get_cosine_schedule_with_warmup, with an optional floor).
 */
export interface CosineSchedule {
  peak: number;
  warmupSteps: number;
  totalSteps: number;
  /** Fraction of the peak reached at the end (default 0). */
  minRatio?: number;
}

/** Learning rate for optimizer step `step` (0-based). */
export function learningRateAt(schedule: CosineSchedule, step: number): number {
  const { peak, warmupSteps, totalSteps } = schedule;
  const minRatio = schedule.minRatio ?? 0;
  if (step < warmupSteps) return (peak * (step + 1)) / (warmupSteps + 1);
  const decaySteps = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / decaySteps);
  return peak * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

export function warmupStepsFor(totalSteps: number, warmupRatio: number): number {
  return Math.ceil(totalSteps * warmupRatio);
}
