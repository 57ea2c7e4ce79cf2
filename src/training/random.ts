/** Small seeded generators for weight initialisation (deterministic given a seed). */

export { mulberry32 } from '../util/random.js';

/** Fills `out` with N(0, std²) samples (Box–Muller, two per uniform pair). */
export function fillNormal(out: Float32Array, std: number, random: () => number): Float32Array {
  for (let i = 0; i < out.length; i += 2) {
    const u = 1 - random();
    const radius = std * Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * random();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}
