/**
 * Picks the next token from processed logits: argmax when greedy, otherwise a draw from the
 * softmax with a seeded generator so a test (or a user with --seed) gets the same reply twice.
 * The generator is mulberry32: tiny, fast and good enough for sampling; Math.random cannot
 * be seeded and a library would add a dependency for ten lines.
 */

export type Random = () => number;

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
