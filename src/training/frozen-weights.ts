/**
 * Frozen base weights held in float16 (LoRA): the step model declares every frozen matrix
 * as a float16 graph input and widens it to float32 next to the operators that read it
 * (emit.ts `narrowInputs`), so the base costs 2 bytes per parameter in memory instead of 4.
 * Norm weights (vectors) stay float32: they are tiny and feed every row's scale.
 *
 * Params hold the float16 values as their IEEE bit patterns in Uint16Arrays (Node 20 has
 * no Float16Array); `narrowInPlace` converts a loaded base tensor by tensor, so the float32
 * copies can be collected as it goes, and `widenInPlace` converts back (the LoRA merge and
 * the export compute in float32).
 */
import { PersonaError } from '../errors.js';
import { float16ToFloat32, float32ToFloat16 } from '../modelfmt/half.js';

export type FrozenDtype = 'float32' | 'float16';
export type FrozenParams = Map<string, Float32Array | Uint16Array>;

/**
 * Names of the frozen parameters that are held narrow: the matrices (rank ≥ 2) except the
 * one lm_head reads (the tied embedding or lm_head.weight). That one stays float32: its
 * widened copy would live through the whole loss, at the activation peak, so narrowing it
 * raised the peak (Qwen2.5-0.5B: 272 MB saved, a 545 MB copy added) and its Cast took
 * ~0.4–2 s per step (a 136M-element pass into freshly mapped memory).
 */
export function narrowedNames(shapes: Map<string, number[]>, dtype: FrozenDtype): Set<string> {
  if (dtype !== 'float16') return new Set();
  const lmHead = shapes.has(LM_HEAD) ? LM_HEAD : TIED_EMBEDDING;
  return new Set([...shapes].filter(([name, shape]) => shape.length >= 2 && name !== lmHead).map(([name]) => name));
}

const LM_HEAD = 'lm_head.weight';
const TIED_EMBEDDING = 'model.embed_tokens.weight';

/** Replaces each named Float32Array of `params` with its float16 bits (in place; returns `params`). */
export function narrowInPlace(params: FrozenParams, names: Set<string>): FrozenParams {
  for (const name of names) {
    const data = params.get(name);
    if (data instanceof Float32Array) params.set(name, float32ToFloat16(data));
  }
  return params;
}

/** Replaces every Uint16Array (float16 bits) of `params` with float32 values (in place). */
export function widenInPlace(params: FrozenParams): Map<string, Float32Array> {
  for (const [name, data] of params) if (data instanceof Uint16Array) params.set(name, float16ToFloat32(data));
  return params as Map<string, Float32Array>;
}

/** The element array a frozen feed must have: Uint16Array for narrowed names, else Float32Array. */
export function checkFrozenType(name: string, data: Float32Array | Uint16Array, narrow: boolean): void {
  if (narrow !== data instanceof Uint16Array) {
    throw new PersonaError(
      'invalid_argument',
      `frozen parameter "${name}" must be ${narrow ? 'float16 bits (Uint16Array, see narrowInPlace)' : 'a Float32Array'}.`,
      { field: name },
    );
  }
}
