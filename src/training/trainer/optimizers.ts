/**
 * Optimizers over named Float32Array parameters, updated in place outside ONNX Runtime
 * (the prototype found this as fast as an in-graph update, and simpler). The math follows
 * torch.optim.AdamW and torch.optim.SGD exactly so that results can be checked by hand.
 * Each update is one flat loop per tensor with constants hoisted: it runs every step over
 * up to ~135M parameters.
 */
export type Params = Map<string, Float32Array>;

export type OptimizerName = 'adamw' | 'sgd';

/** What a checkpoint keeps: the step counter and every state tensor by name. */
export interface OptimizerState {
  name: OptimizerName;
  step: number;
  tensors: Params;
}

export interface Optimizer {
  readonly name: OptimizerName;
  /** Applies one update with learning rate `lr`; `grads` must have every name in `params`. */
  step(params: Params, grads: Params, lr: number): void;
  exportState(): OptimizerState;
  importState(state: OptimizerState): void;
}

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export interface SgdOptions {
  momentum?: number;
  weightDecay?: number;
}

/**
 * Weight decay skips 1-D tensors (RMSNorm weights), as Hugging Face's Trainer does for
 * norms and biases: shrinking a norm's gain toward zero is not regularisation.
 */
function decays(param: Float32Array, shapeRank: number | undefined): boolean {
  return (shapeRank ?? 2) >= 2 && param.length > 0;
}

export class AdamW implements Optimizer {
  readonly name = 'adamw' as const;
  private t = 0;
  private readonly m: Params = new Map();
  private readonly v: Params = new Map();
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;

  /** `ranks` tells which tensors are 1-D (no weight decay); unknown names count as matrices. */
  constructor(
    options: AdamWOptions = {},
    private readonly ranks: Map<string, number> = new Map(),
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
  }

  step(params: Params, grads: Params, lr: number): void {
    this.t += 1;
    const { beta1, beta2, eps } = this;
    const bias1 = 1 - beta1 ** this.t;
    const invBias2Sqrt = 1 / Math.sqrt(1 - beta2 ** this.t);
    const stepSize = lr / bias1;
    const oneMinusBeta1 = 1 - beta1;
    const oneMinusBeta2 = 1 - beta2;
    for (const [name, p] of params) {
      const g = requireGrad(grads, name, p);
      const m = stateFor(this.m, name, p.length);
      const v = stateFor(this.v, name, p.length);
      const decay = decays(p, this.ranks.get(name)) ? 1 - lr * this.weightDecay : 1;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i];
        const mi = beta1 * m[i] + oneMinusBeta1 * gi;
        const vi = beta2 * v[i] + oneMinusBeta2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * decay - (stepSize * mi) / (Math.sqrt(vi) * invBias2Sqrt + eps);
      }
    }
  }

  exportState(): OptimizerState {
    const tensors: Params = new Map();
    for (const [name, m] of this.m) tensors.set(`m.${name}`, m);
    for (const [name, v] of this.v) tensors.set(`v.${name}`, v);
    return { name: this.name, step: this.t, tensors };
  }

  importState(state: OptimizerState): void {
    this.t = state.step;
    this.m.clear();
    this.v.clear();
    for (const [key, value] of state.tensors) {
      if (key.startsWith('m.')) this.m.set(key.slice(2), value);
      else if (key.startsWith('v.')) this.v.set(key.slice(2), value);
    }
  }
}

export class Sgd implements Optimizer {
  readonly name = 'sgd' as const;
  private t = 0;
  private readonly buffers: Params = new Map();
  private readonly momentum: number;
  private readonly weightDecay: number;

  constructor(
    options: SgdOptions = {},
    private readonly ranks: Map<string, number> = new Map(),
  ) {
    this.momentum = options.momentum ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
  }

  /** torch.optim.SGD: L2 decay added to the gradient, momentum buffer starts as the first gradient. */
  step(params: Params, grads: Params, lr: number): void {
    this.t += 1;
    const { momentum } = this;
    for (const [name, p] of params) {
      const g = requireGrad(grads, name, p);
      const wd = decays(p, this.ranks.get(name)) ? this.weightDecay : 0;
      if (momentum === 0) {
        for (let i = 0; i < p.length; i++) p[i] -= lr * (g[i] + wd * p[i]);
        continue;
      }
      const first = !this.buffers.has(name);
      const buf = stateFor(this.buffers, name, p.length);
      for (let i = 0; i < p.length; i++) {
        const d = g[i] + wd * p[i];
        const b = first ? d : momentum * buf[i] + d;
        buf[i] = b;
        p[i] -= lr * b;
      }
    }
  }

  exportState(): OptimizerState {
    const tensors: Params = new Map();
    for (const [name, b] of this.buffers) tensors.set(`momentum.${name}`, b);
    return { name: this.name, step: this.t, tensors };
  }

  importState(state: OptimizerState): void {
    this.t = state.step;
    this.buffers.clear();
    for (const [key, value] of state.tensors) if (key.startsWith('momentum.')) this.buffers.set(key.slice('momentum.'.length), value);
  }
}

export function createOptimizer(name: OptimizerName, options: { weightDecay: number; momentum?: number }, shapes: Map<string, number[]>): Optimizer {
  const ranks = new Map([...shapes].map(([key, shape]) => [key, shape.length]));
  return name === 'adamw'
    ? new AdamW({ weightDecay: options.weightDecay }, ranks)
    : new Sgd({ weightDecay: options.weightDecay, momentum: options.momentum }, ranks);
}

function stateFor(store: Params, name: string, length: number): Float32Array {
  let state = store.get(name);
  if (!state) {
    state = new Float32Array(length);
    store.set(name, state);
  }
  return state;
}

function requireGrad(grads: Params, name: string, param: Float32Array): Float32Array {
  const g = grads.get(name);
  if (!g || g.length !== param.length) throw new Error(`optimizer: gradient for ${name} is missing or has ${g?.length ?? 0} values, expected ${param.length}`);
  return g;
}
