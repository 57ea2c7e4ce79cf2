/**
 * The project's one seeded PRNG (mulberry32): deterministic sampling, initialisation, data
 * order and synthetic test data. Its whole state is one 32-bit number, so a training
 * checkpoint can save it and a resumed run continues the exact same sequence. Hand-written
 * (ten lines) because Math.random cannot be seeded and libraries such as seedrandom keep
 * their state in version-specific shapes we would have to persist across upgrades.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  getState(): number {
    return this.state;
  }

  static fromState(state: number): Rng {
    return new Rng(state);
  }
}

/** A seeded uniform [0, 1) generator as a plain function. */
export function mulberry32(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}
