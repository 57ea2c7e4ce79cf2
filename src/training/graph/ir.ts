/**
 * The tensor-expression IR the autodiff works on: a Graph is a tape of Nodes in creation
 * order (which is already a topological order), each Node an op with input Tensors, static
 * attributes and one or more output Tensors of static shape. Nothing runs here: the graph
 * is differentiated (autodiff.ts) and then emitted as ONNX (emit.ts).
 *
 * Shapes are fully static (batch and sequence length are fixed when a step model is
 * built), which lets every gradient rule know the exact broadcast it must undo.
 */
import { PersonaError } from '../../errors.js';

export type DType = 'float32' | 'float64' | 'float16' | 'int64' | 'bool';
export type FloatType = 'float32' | 'float64';
export type Attrs = Record<string, unknown>;

export class Node {
  outputs: Tensor[] = [];
  constructor(
    readonly id: number,
    readonly op: string,
    readonly inputs: Tensor[],
    readonly attrs: Attrs,
    readonly requiresGrad: boolean,
  ) {}
}

export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly node: Node,
    readonly index: number,
    readonly shape: number[],
    readonly dtype: DType,
  ) {}

  get requiresGrad(): boolean {
    return this.node.requiresGrad;
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  get rank(): number {
    return this.shape.length;
  }
}

export interface GraphInput {
  name: string;
  tensor: Tensor;
  trainable: boolean;
}

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: GraphInput[] = [];

  /**
   * Whether builders may use ONNX Runtime's contrib kernels (float32 graphs only; off: the
   * same math from primitives, for A/B measurements and agreement tests).
   */
  contribOps = true;

  /** `floatType` is the element type of every float tensor: float64 only for gradient checks. */
  constructor(readonly floatType: FloatType = 'float32') {}

  /** Appends a node; shapes are inferred by the caller (ops.ts `apply`). */
  addNode(op: string, inputs: Tensor[], attrs: Attrs, outputs: { shape: number[]; dtype: DType }[], requiresGrad: boolean): Tensor[] {
    for (const t of inputs) {
      if (t.graph !== this) throw new PersonaError('invalid_argument', `op ${op}: an input tensor belongs to another graph.`, { op });
    }
    const node = new Node(this.nodes.length, op, inputs, attrs, requiresGrad);
    node.outputs = outputs.map((o, i) => new Tensor(this, node, i, o.shape, o.dtype));
    this.nodes.push(node);
    return node.outputs;
  }

  /** A named graph input. Trainable inputs are the ones gradients are taken for. */
  input(name: string, shape: number[], options: { dtype?: DType; trainable?: boolean } = {}): Tensor {
    if (this.inputs.some((i) => i.name === name)) throw new PersonaError('invalid_argument', `graph input "${name}" is declared twice.`, { name });
    const trainable = options.trainable ?? false;
    const [tensor] = this.addNode('Input', [], { name }, [{ shape, dtype: options.dtype ?? this.floatType }], trainable);
    this.inputs.push({ name, tensor, trainable });
    return tensor;
  }

  /** A constant tensor (emitted as an initializer). Float data is converted to the graph's float type. */
  constant(data: ArrayLike<number> | BigInt64Array | Uint8Array, shape: number[], dtype: DType = this.floatType): Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new PersonaError('invalid_argument', `constant of shape [${shape}] needs ${size} values, got ${data.length}.`);
    return this.addNode('Constant', [], { data, dtype }, [{ shape, dtype }], false)[0];
  }

  /** A scalar constant in the graph's float type (shape []). */
  scalar(value: number): Tensor {
    return this.constant([value], []);
  }
}
