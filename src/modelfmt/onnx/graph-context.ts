/**
 * What every part of the inference graph writer shares: the builder, the model's spec and
 * dimensions, the graph's input names, shared small constants, and the checked weights.
 * The parts (linear-weights.ts, rope-graph.ts, attention-graph.ts, llama-graph.ts) each
 * take one GraphContext.
 */
import { OnnxGraphBuilder, tensor } from './onnx-builder.js';
import { modelSpec, type ModelSpec } from '../arch/spec.js';
import type { LlamaConfig } from '../hf-config.js';
import type { InferenceGraphOptions } from './graph-format.js';
import { weightFor } from './graph-weights.js';

export class GraphContext {
  readonly b = new OnnxGraphBuilder('llama_decoder');
  readonly spec: ModelSpec;
  /** Query heads, key/value heads, head dimension, hidden size. */
  readonly H: number;
  readonly KV: number;
  readonly hd: number;
  readonly d: number;
  readonly inputIds = 'input_ids';
  readonly attentionMask = 'attention_mask';
  readonly positionIds = 'position_ids';
  private readonly constants = new Map<string, string>();

  constructor(
    readonly config: LlamaConfig,
    private readonly weights: Map<string, Float32Array>,
    readonly options: InferenceGraphOptions,
  ) {
    this.spec = modelSpec(config);
    this.H = this.spec.heads;
    this.KV = this.spec.kvHeads;
    this.hd = this.spec.headDim;
    this.d = this.spec.hidden;
  }

  /** Small int64 constant, shared by every node that needs the same values. */
  i64(hint: string, values: number[], dims: number[] = [values.length]): string {
    return this.shared(`i64:${dims}:${values}`, () => this.b.constant(hint, tensor('int64', dims, BigInt64Array.from(values.map(BigInt)))));
  }

  f32(hint: string, value: number): string {
    return this.shared(`f32:${value}`, () => this.b.constant(hint, tensor('float32', [], Float32Array.of(value))));
  }

  private shared(key: string, make: () => string): string {
    const found = this.constants.get(key);
    if (found) return found;
    const name = make();
    this.constants.set(key, name);
    return name;
  }

  /** An HF weight, checked against the config's shape. */
  weight(name: string): Float32Array {
    return weightFor(this.config, this.weights, name);
  }

  /** An HF norm weight as the graph multiplies by it: (offset + w) · scale. */
  normWeight(name: string, scale = 1): Float32Array {
    const w = this.weight(name);
    return this.spec.normOffset === 0 && scale === 1 ? w : w.map((v) => (v + this.spec.normOffset) * scale);
  }

  /** c·tanh(x / c). */
  softcap(x: string, c: number, output?: string): string {
    return this.b.op('Mul', [this.b.op('Tanh', [this.b.op('Div', [x, this.f32(`softcap_${c}`, c)])]), this.f32(`softcap_${c}`, c)], {}, output);
  }
}
