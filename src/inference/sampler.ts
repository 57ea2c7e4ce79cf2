/**
 * Picks the next token from processed logits: argmax when greedy, otherwise a draw from the
 * softmax with a seeded generator so a test (or a user with --seed) gets the same reply twice.
 * The generator is the project's mulberry32 (src/util/random.ts).
 */

export type Random = () => number;

export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** One draw from softmax(logits); -Infinity entries never win. */
export function sampleToken(logits: Float32Array, random: Random): number {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  let sum = 0;
  for (const v of logits) if (v !== -Infinity) sum += Math.exp(v - max);
  let target = random() * sum;
  let last = 0;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i] === -Infinity) continue;
    target -= Math.exp(logits[i] - max);
    last = i;
    if (target <= 0) return i;
  }
  return last; // rounding left a sliver: the last finite token
}
