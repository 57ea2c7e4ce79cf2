/** Small seeded generators for weight initialisation (deterministic given a seed). */

/** mulberry32: a fast 32-bit PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
