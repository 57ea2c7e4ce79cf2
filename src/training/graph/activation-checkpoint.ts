/**
 * Activation checkpointing: a block's forward (a decoder layer) runs once in the forward
 * pass keeping only its input, and again in the backward, right before its gradient is
 * formed, so the block's internal activations live for one layer's backward instead of
 * from the forward to the end of the step.
 *
 * Two things stop ONNX Runtime from undoing the recomputation. Common-subexpression
 * elimination would merge the second forward with the first (same ops on the same input):
 * the second one reads x + 0·dy[0], with 0 fed at run time through a graph input
 * (CHECKPOINT_ZERO), which no optimizer can fold. And that dependence on the block's
 * output gradient dy means the second forward cannot be scheduled before the backward
 * reaches the block (an early recompute would keep everything alive again). A NaN or
 * infinite dy[0] makes the recomputed block NaN: such a step is already lost.
 */
import { PersonaError } from '../../errors.js';
import * as T from './api.js';
import { backprop } from './autodiff.js';
import type { Tensor } from './ir.js';

/** The scalar graph input fed 0 that makes a recomputed block's input distinct. */
export const CHECKPOINT_ZERO = 'checkpoint_zero';

/** y = run(x), its backward recomputing run from x. `run` must build the same nodes each call. */
export function checkpoint(x: Tensor, run: (x: Tensor) => Tensor): Tensor {
  const g = x.graph;
  const start = g.nodes.length;
  const y = run(x);
  if (!y.requiresGrad) return y;
  // What the block reads that needs a gradient besides x: weights and adapters (graph inputs,
  // also those first declared inside the block), tensors formed before it.
  const outside = (t: Tensor, from: number) => t.requiresGrad && (t.node.id < from || t.node.op === 'Input');
  const external = new Set<Tensor>();
  for (let id = start; id < g.nodes.length; id++) {
    for (const t of g.nodes[id].inputs) if (t !== x && outside(t, start)) external.add(t);
  }
  const reads = [...external];
  return T.customGrad(y, [x, ...reads], (dy) => {
    const zero = g.inputs.find((i) => i.name === CHECKPOINT_ZERO)?.tensor ?? g.input(CHECKPOINT_ZERO, []);
    const first = T.reshape(
      T.slice(
        dy,
        dy.shape.map((_, i) => i),
        dy.shape.map(() => 0),
        dy.shape.map(() => 1),
      ),
      [1],
    );
    const x2 = T.add(x, T.mul(first, zero));
    const y2 = run(x2);
    const top = g.nodes.length - 1;
    for (let id = x2.node.id + 1; id <= top; id++) {
      for (const t of g.nodes[id].inputs) {
        if (t !== x2 && outside(t, x2.node.id) && !external.has(t)) {
          throw new PersonaError('invalid_argument', `checkpoint: the recomputed block reads a tensor (${t.node.op}) its first forward did not.`);
        }
      }
    }
    const grads = backprop(new Map([[y2, dy]]), top, x2.node.id);
    return [grads.get(x2) ?? null, ...reads.map((t) => grads.get(t) ?? null)];
  });
}
