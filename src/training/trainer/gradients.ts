/**
 * Gradient arithmetic between the step model and the optimizer: the global L2 norm,
 * clipping by that norm (torch.nn.utils.clip_grad_norm_) and token-weighted accumulation
 * of micro-batches, so that accumulating k micro-batches equals one batch k times larger.
 */
import type { Params } from './optimizers.js';

/** L2 norm over every tensor together, summed in float64. NaN/Infinity propagate. */
export function globalNorm(grads: Params): number {
  let sum = 0;
  for (const g of grads.values()) {
    let part = 0;
    for (let i = 0; i < g.length; i++) part += g[i] * g[i];
    sum += part;
  }
  return Math.sqrt(sum);
}

/** Scales gradients so their global norm is at most `maxNorm`; returns the norm before clipping. */
export function clipGradients(grads: Params, maxNorm: number): number {
  const norm = globalNorm(grads);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) scaleInPlace(grads, coef);
  return norm;
}

export function scaleInPlace(grads: Params, factor: number): void {
  for (const g of grads.values()) for (let i = 0; i < g.length; i++) g[i] *= factor;
}

/**
 * Adds `weight · grads` into `sum` (allocating zeros on first use). The step model returns
 * gradients of the mean loss over its batch's tokens, so weighting each micro-batch by its
 * share of the tokens gives the gradient of the mean over all of them.
 */
export function accumulateInto(sum: Params, grads: Params, weight: number): void {
  for (const [name, g] of grads) {
    let s = sum.get(name);
    if (!s) {
      s = new Float32Array(g.length);
      sum.set(name, s);
    }
    for (let i = 0; i < g.length; i++) s[i] += weight * g[i];
  }
}
