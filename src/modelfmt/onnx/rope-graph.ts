/**
 * Rotary position embeddings in the inference graph, computed from position_ids in float32
 * like Hugging Face's rotary embedding (every RopeSpec variant, dynamic NTK scaling included,
 * in one place): the default-domain form (ropeTables + rope, for q/k normed per head and
 * standard attention) and the inputs of com.microsoft RotaryEmbedding (rotaryCache).
 */
import { tensor } from './onnx-builder.js';
import type { RopeSpec } from '../arch/rope-frequencies.js';
import type { GraphContext } from './graph-context.js';

export class RopeGraph {
  private readonly tables = new Map<string, { cos: string; sinSigned: string }>();
  private readonly rotaryCaches = new Map<string, { positions: string; cos: string; sin: string }>();

  constructor(private readonly g: GraphContext) {}

  /**
   * HF apply_rotary_pos_emb, x * cos + rotate_half(x) * sin, on x [B, S, heads, hd] (q and k
   * heads together). rotate_half(x) * sin = cat(x2, x1) * cat(-sin1, sin2): the sign lives in
   * the shared `sinSigned` table, so each layer needs no Neg.
   */
  rope(x: string, rope: RopeSpec): string {
    const { b, hd } = this.g;
    const { cos, sinSigned } = this.ropeTables(rope);
    const half = this.g.i64('rope_halves', [hd / 2, hd / 2]);
    const [x1, x2] = b.node('Split', [x, half], { axis: -1 }, 2);
    const swapped = b.op('Concat', [x2, x1], { axis: -1 });
    return b.op('Add', [b.op('Mul', [x, cos]), b.op('Mul', [swapped, sinSigned])]);
  }

  /** cos and sign-folded sin [B, S, 1, hd] from position_ids; once per distinct rotation. */
  private ropeTables(rope: RopeSpec): { cos: string; sinSigned: string } {
    const found = this.tables.get(rope.key);
    if (found) return found;
    const { b, i64 } = this.bound();
    const inv = this.inverseFrequencies(rope);
    const pos = b.op('Unsqueeze', [b.op('Cast', [this.g.positionIds], { to: 1 }), i64('axes23', [2, 3])]); // (B, S, 1, 1)
    const freqs = b.op('Mul', [pos, inv]); // (B, S, 1, hd/2)
    const cosHalf = b.op('Cos', [freqs]);
    const sinHalf = b.op('Sin', [freqs]);
    const tables = {
      cos: b.op('Concat', [cosHalf, cosHalf], { axis: -1 }), // (B, S, 1, hd)
      sinSigned: b.op('Concat', [b.op('Neg', [sinHalf]), sinHalf], { axis: -1 }),
    };
    this.tables.set(rope.key, tables);
    return tables;
  }

  /**
   * com.microsoft RotaryEmbedding's inputs for this step: cos/sin caches [S, hd/2] of this
   * step's positions (batch row 0's: GroupQueryAttention graphs already assume every row at the
   * same positions) and position_ids 0..S-1 indexing them.
   */
  rotaryCache(rope: RopeSpec): { positions: string; cos: string; sin: string } {
    const found = this.rotaryCaches.get(rope.key);
    if (found) return found;
    const { b, i64 } = this.bound();
    const positionIds = this.g.positionIds;
    const row = b.op('Gather', [positionIds, i64('zero_index', [0], [])], { axis: 0 }); // (S)
    const angles = b.op('Mul', [b.op('Unsqueeze', [b.op('Cast', [row], { to: 1 }), i64('axis1', [1])]), this.inverseFrequencies(rope)]); // (S, hd/2)
    const seq = b.op('Gather', [b.op('Shape', [positionIds]), i64('one_index', [1], [])]);
    const local = b.op('Range', [i64('zero_index', [0], []), seq, i64('one_index', [1], [])]); // (S)
    const positions = b.op('Expand', [b.op('Unsqueeze', [local, i64('axis0', [0])]), b.op('Shape', [positionIds])]); // (B, S)
    const cache = { positions, cos: b.op('Cos', [angles]), sin: b.op('Sin', [angles]) };
    this.rotaryCaches.set(rope.key, cache);
    return cache;
  }

  /**
   * inv_freq [hd/2] as a constant, or for `dynamic` scaling computed from L = max(position_ids) + 1:
   * base = θ·((factor·L / max) − (factor − 1))^(dim / (dim − 2)) once L passes max_position_embeddings.
   */
  private inverseFrequencies(rope: RopeSpec): string {
    const { b, f32 } = this.bound();
    const fixed = b.constant('rope_inv_freq', tensor('float32', [this.g.hd / 2], rope.invFreq));
    if (!rope.dynamic) return fixed;
    const { theta, factor, maxPositions, dim } = rope.dynamic;
    const length = b.op('Add', [b.op('Cast', [b.op('ReduceMax', [this.g.positionIds], { keepdims: 0 })], { to: 1 }), f32('one', 1)]);
    const ratio = b.op('Sub', [b.op('Mul', [length, f32('dyn_slope', factor / maxPositions)]), f32('dyn_offset', factor - 1)]);
    const base = b.op('Mul', [f32('dyn_theta', theta), b.op('Pow', [ratio, f32('dyn_power', dim / (dim - 2))])]);
    const exponents = b.constant(
      'rope_exponents',
      tensor(
        'float32',
        [dim / 2],
        Float32Array.from({ length: dim / 2 }, (_, i) => (2 * i) / dim),
      ),
    );
    const scaled = b.op('Reciprocal', [b.op('Pow', [base, exponents])]);
    return b.op('Where', [b.op('Greater', [length, f32('dyn_max', maxPositions)]), scaled, fixed]);
  }

  private bound() {
    const g = this.g;
    return { b: g.b, i64: g.i64.bind(g), f32: g.f32.bind(g) };
  }
}
