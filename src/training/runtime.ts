/**
 * The one module of the training engine that imports onnxruntime-node: it turns emitted
 * ONNX bytes into a session and runs it with typed-array feeds. Weights are passed as
 * inputs wrapping the caller's Float32Arrays (no copy on the way in).
 */
import ort from 'onnxruntime-node';
import { claimCores } from '../util/cpu-claims.js';
import { withProviderFallback } from '../util/execution-providers.js';
import type { DType } from './graph/ir.js';

export type Feed = { dtype: DType; dims: number[]; data: Float32Array | Float64Array | BigInt64Array | Uint8Array | Uint16Array };
export type Fetched = Float32Array | Float64Array | BigInt64Array | Uint8Array;

export interface RunnerOptions {
  /** Intra-op threads (default 2: the development machines have 2 cores). */
  threads?: number;
  /** Write an ONNX Runtime per-op profile (JSON) with this file prefix. */
  profilePrefix?: string;
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  memArena?: boolean;
  memPattern?: boolean;
  /**
   * Let idle intra-op threads spin between kernels (ONNX Runtime's default). Off by default
   * here: a training step is thousands of kernels, and on a shared 2-core machine the
   * spinning thread steals the core the other one needs (base full step 7.6 → 5.8 s, A/B).
   */
  spinning?: boolean;
}

export class GraphRunner {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** Ends this session's claim on the cores (inference then steps small models single-threaded). */
    private readonly unclaim: () => void,
  ) {}

  static async create(bytes: Uint8Array, options: RunnerOptions = {}): Promise<GraphRunner> {
    const session = await withProviderFallback((executionProviders) =>
      ort.InferenceSession.create(bytes, {
        ...(executionProviders ? { executionProviders } : {}),
        intraOpNumThreads: options.threads ?? 2,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: options.optimization ?? 'all',
        enableCpuMemArena: options.memArena ?? true,
        enableMemPattern: options.memPattern ?? true,
        enableProfiling: options.profilePrefix !== undefined,
        profileFilePrefix: options.profilePrefix,
        extra: { session: { intra_op: { allow_spinning: options.spinning ? '1' : '0' } } },
      }),
    );
    return new GraphRunner(session, claimCores(options.threads ?? 2));
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  async run(feeds: Map<string, Feed>, outputs: string[]): Promise<Map<string, Fetched>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const name of this.session.inputNames) {
      const feed = feeds.get(name);
      if (!feed) throw new Error(`graph input "${name}" was not fed`);
      ortFeeds[name] = new ort.Tensor(feed.dtype, feed.data, feed.dims);
    }
    const result = await this.session.run(ortFeeds, outputs);
    return new Map(outputs.map((name) => [name, result[name].data as Fetched]));
  }

  endProfiling(): void {
    this.session.endProfiling();
  }

  async release(): Promise<void> {
    this.unclaim();
    await this.session.release();
  }
}
