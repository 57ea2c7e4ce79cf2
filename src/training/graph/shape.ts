/** Static shape arithmetic for the IR: numpy broadcasting, axis normalisation, products. */
import { PersonaError } from '../../errors.js';

export function broadcastShapes(op: string, ...shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d === 1) continue;
      if (dim !== 1 && dim !== d)
        throw new PersonaError('invalid_argument', `op ${op}: shapes ${shapes.map((x) => `[${x}]`).join(' and ')} do not broadcast.`, { op });
      dim = d;
    }
    out.push(dim);
  }
  return out;
}

export const normAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

export const product = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

export function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The axes of `to` that were broadcast from `from` (leading extra axes and size-1 axes). */
export function broadcastAxes(from: number[], to: number[]): number[] {
  const lead = to.length - from.length;
  const axes: number[] = [];
  for (let i = 0; i < to.length; i++) {
    if (i < lead || (from[i - lead] === 1 && to[i] !== 1)) axes.push(i);
  }
  return axes;
}
