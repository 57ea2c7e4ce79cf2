/**
 * Sizes a pretraining run to a wall-clock budget on the machine at hand: times a few
 * training steps (after two warm-up steps, which are ~2× slower) and converts the median
 * into a step count, keeping a margin for evaluations and checkpoints. The chosen count is
 * stored in the work folder so a resumed run keeps the same schedule (the cosine schedule
 * depends on the total).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Params, StepModel, TokenBatch } from '../training/step-model.js';

/** Share of the budget left for evaluations, checkpoints and start-up. */
const OVERHEAD = 0.1;

export interface StepPlan {
  steps: number;
  secondsPerStep: number;
  tokensPerSecond: number;
  hours: number;
}

export async function timeSteps(model: StepModel, params: Params, batch: TokenBatch, timed = 4): Promise<number> {
  const durations: number[] = [];
  for (let i = 0; i < 2 + timed; i++) {
    const started = performance.now();
    await model.step(batch, new Map(), params);
    if (i >= 2) durations.push((performance.now() - started) / 1000);
  }
  return durations.sort((a, b) => a - b)[Math.floor(durations.length / 2)];
}

/** The stored plan when resuming, else a fresh one from `measure()`. */
export async function stepPlan(file: string, hours: number, tokensPerStep: number, resume: boolean, measure: () => Promise<number>): Promise<StepPlan> {
  if (resume && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as StepPlan;
  const secondsPerStep = await measure();
  const plan = {
    steps: Math.max(1, Math.floor((hours * 3600 * (1 - OVERHEAD)) / secondsPerStep)),
    secondsPerStep,
    tokensPerSecond: tokensPerStep / secondsPerStep,
    hours,
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(plan, null, 2)}\n`);
  return plan;
}
