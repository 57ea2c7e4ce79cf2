/**
 * The project's one seeded PRNG (mulberry32): deterministic sampling, initialisation, data
 * order and synthetic test data. Its whole state is one 32-bit number, so a training
 * checkpoint can save it and a resumed run continues the exact same sequence. Hand-written
 * (ten lines) because Math.random cannot be seeded and libraries such as seedrandom keep
 * their state in version-specific shapes we would have to persist across upgrades.
 */
import { getRandomValues } from 'node:crypto';

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

/**
 * A seed for runs that were not given one (a reply without --seed, a lock owner's token):
 * from the operating system's generator, so two processes started together still differ.
 */
export function freshSeed(): number {
  return getRandomValues(new Uint32Array(1))[0];
}

/** Fills `out` with N(0, std²) samples (Box–Muller, two per uniform pair), e.g. weight initialisation. */
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

/**
 * Independent random streams keyed by (seed, stream): xoshiro128** (128-bit state, period
 * 2¹²⁸ − 1) started from a bijective hash of each key, for long draws such as a training
 * step's dropout masks. `Rng`'s single 32-bit state cannot serve these: keys hashed into 32
 * bits collide, and million-number draws from one 2³² cycle overlap each other.
 */
export class StreamRng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number, stream: number) {
    // (s0, s1) is a bijection of (seed, stream), so distinct keys start in distinct states.
    this.s0 = fmix32(seed >>> 0);
    this.s1 = fmix32(stream >>> 0);
    this.s2 = fmix32((this.s0 ^ 0x9e3779b9) >>> 0);
    this.s3 = fmix32((this.s1 ^ 0x7f4a7c15) >>> 0) | 1;
    for (let i = 0; i < 8; i++) this.next32(); // let the words mix before the first output
  }

  /** Uniform 32-bit unsigned integer. */
  next32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.next32() / 4294967296;
  }
}

const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));

/** MurmurHash3's 32-bit finalizer: a bijection that spreads every input bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
