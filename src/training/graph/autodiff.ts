/**
 * The reverse walk: from a scalar loss back through the tape, asking each op's rule for
 * the gradients of its inputs, summing broadcast dimensions back to each input's shape and
 * accumulating gradients of tensors used more than once. Only nodes that depend on a
 * trainable input are visited, so frozen weights (LoRA's base model) get no gradient work.
 */
import { PersonaError } from '../../errors.js';
import * as T from './api.js';
import type { Tensor } from './ir.js';
import { RULES } from './ops.js';
import { broadcastAxes, sameShape } from './shape.js';

type Backward = (dy: Tensor) => (Tensor | null)[];

/** Sums the broadcast dimensions of a gradient so it has `shape` again. */
export function unbroadcast(dx: Tensor, shape: number[]): Tensor {
  if (sameShape(dx.shape, shape)) return dx;
  const axes = broadcastAxes(shape, dx.shape);
  const summed = axes.length ? T.reduceSum(dx, axes, true) : dx;
  return sameShape(summed.shape, shape) ? summed : T.reshape(summed, shape);
}

/**
 * previous + g; when either is a plain Gemm (no C), the sum rides in its C input instead of
 * an Add pass (dX of q/k/v, gate/up and LoRA paths all sum this way).
 */
function accumulate(previous: Tensor, g: Tensor): Tensor {
  for (const [gemm, other] of [
    [g, previous],
    [previous, g],
  ]) {
    const n = gemm.node;
    if (n.op === 'Gemm' && n.inputs.length === 2 && sameShape(gemm.shape, other.shape)) {
      const a = n.attrs as { transA: number; transB: number; alpha: number };
      return T.gemm(n.inputs[0], n.inputs[1], { transA: a.transA === 1, transB: a.transB === 1, alpha: a.alpha, c: other });
    }
  }
  return T.add(previous, g);
}

/**
 * d loss / d t for every tensor in `wrt` (zeros where the loss does not depend on it).
 * `loss` must be a scalar; its seed gradient is the constant 1.
 */
export function gradients(loss: Tensor, wrt: Tensor[]): Tensor[] {
  if (loss.size !== 1) throw new PersonaError('invalid_argument', `gradients: the loss must be a scalar, got shape [${loss.shape}].`);
  const grads = backprop(new Map([[loss, loss.graph.constant([1], loss.shape)]]), loss.node.id, -1);
  return wrt.map((t) => grads.get(t) ?? T.zeros(t));
}

/**
 * The reverse walk over the tape nodes with ids in (bottom, top], starting from the given
 * gradients of some of their outputs; returns every gradient it formed (tensors produced at
 * or below `bottom` get theirs accumulated but are not walked through). A recomputed layer
 * (checkpoint.ts) walks just its own nodes this way.
 */
export function backprop(seeds: Map<Tensor, Tensor>, top: number, bottom: number): Map<Tensor, Tensor> {
  const grads = new Map(seeds);
  const nodes = [...seeds.keys()][0].graph.nodes;
  for (let id = top; id > bottom; id--) {
    const node = nodes[id];
    if (!node.requiresGrad || node.op === 'Input') continue;
    const dys = node.outputs.map((t) => grads.get(t) ?? null);
    if (dys.every((d) => d === null)) continue;
    let inputs = node.inputs;
    let dxs: (Tensor | null)[];
    if (node.op === 'CustomGrad') {
      inputs = node.inputs.slice(1);
      dxs = (node.attrs.backward as Backward)(dys[0]!);
    } else {
      const rule = RULES[node.op];
      if (!rule.grad) throw new PersonaError('invalid_argument', `no gradient rule for op ${node.op} (add one in src/training/graph/ops.ts).`, { op: node.op });
      dxs = rule.grad(dys, node.inputs, node.outputs, node.attrs);
    }
    inputs.forEach((x, i) => {
      const dx = dxs[i];
      if (!dx || !x.requiresGrad) return;
      const g = unbroadcast(dx, x.shape);
      const previous = grads.get(x);
      grads.set(x, previous ? accumulate(previous, g) : g);
    });
  }
  return grads;
}
