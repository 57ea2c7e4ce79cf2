/**
 * A thin, typed way to write ONNX models: add inputs, initializers and nodes, then
 * serialize. Shared by the training graph builder (src/training) and the inference graph
 * exporter, so neither hand-assembles protobuf objects. The default ONNX domain, plus ONNX
 * Runtime's com.microsoft operators where a node names that domain.
 *
 * Hand-written because onnx-proto gives raw protobuf classes with no builder on top, and
 * the few helpers we need (fresh names, typed attributes, raw tensor bytes) are small.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const OPSET = 18;
/** ONNX Runtime's contrib operator domain (FusedMatMul, QuickGelu, …). */
export const MS_DOMAIN = 'com.microsoft';
export const IR_VERSION = 8;

export type ElemType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';
const ELEM: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** A dimension is a fixed size or a symbolic name such as 'batch' or 'sequence'. */
export type Dim = number | string;

export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;

export interface ConstTensor {
  kind: 'tensor';
  type: ElemType;
  dims: number[];
  data: TensorData;
}

/** Attribute values: plain numbers are INT(S); wrap floats with `float()` / `floats()`. */
export type AttrValue = number | number[] | string | { kind: 'float'; value: number } | { kind: 'floats'; value: number[] } | ConstTensor;

export const float = (value: number) => ({ kind: 'float' as const, value });
export const floats = (value: number[]) => ({ kind: 'floats' as const, value });
export const tensor = (type: ElemType, dims: number[], data: TensorData): ConstTensor => ({ kind: 'tensor', type, dims, data });

function tensorProto(name: string, t: ConstTensor): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { name, dataType: ELEM[t.type], dims: t.dims, rawData: bytes };
}

function valueInfo(name: string, type: ElemType, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return { name, type: A.INT, i: value };
  if (typeof value === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: A.INTS, ints: value };
  if (value.kind === 'float') return { name, type: A.FLOAT, f: value.value };
  if (value.kind === 'floats') return { name, type: A.FLOATS, floats: value.value };
  return { name, type: A.TENSOR, t: tensorProto('', value) };
}

/** A serialized ValueInfoProto (a graph input or output declaration), for byte-level graph edits. */
export function valueInfoBytes(name: string, type: ElemType, dims: Dim[]): Uint8Array {
  return onnx.ValueInfoProto.encode(valueInfo(name, type, dims)).finish();
}

/** A model built but not serialized yet (see `OnnxGraphBuilder.toModel`). */
export type OnnxModel = onnxProto.onnx.IModelProto;

/** One protobuf buffer of the whole model (weights included). */
export function encodeModel(model: OnnxModel): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** ModelProto.producer_name of every graph this project writes. */
export const PRODUCER_NAME = 'persona-builder';

export class OnnxGraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(readonly name = 'graph') {}

  /** A name not used yet, derived from `hint` (keeps graphs readable in Netron and profiles). */
  fresh(hint: string): string {
    let name = hint;
    while (this.used.has(name)) name = `${hint}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  input(name: string, type: ElemType, dims: Dim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElemType, dims: Dim[]): string {
    this.outputs.push(valueInfo(name, type, dims));
    return name;
  }

  initializer(name: string, value: ConstTensor): string {
    this.claim(name);
    this.initializers.push(tensorProto(name, value));
    return name;
  }

  /** A constant folded into the graph; returns its (fresh) name. */
  constant(hint: string, value: ConstTensor): string {
    return this.initializer(this.fresh(hint), value);
  }

  /**
   * Appends a node. `outputs` is either explicit names or a count of fresh names to make.
   * Returns the output names.
   */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs: string[] | number = 1, domain?: 'com.microsoft'): string[] {
    const outNames = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase())) : outputs;
    if (typeof outputs !== 'number') outputs.forEach((name) => this.claim(name));
    this.nodes.push({
      opType,
      ...(domain ? { domain } : {}),
      name: this.fresh(`${opType}_node`),
      input: inputs,
      output: outNames,
      attribute: Object.entries(attrs).map(([key, value]) => attribute(key, value)),
    });
    return outNames;
  }

  /** Single-output shorthand for `node`. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    return this.node(opType, inputs, attrs, output ? [output] : 1)[0];
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  /** The serialized model; `producerVersion` tags what wrote it (e.g. the inference exporter's format). */
  toBytes(opset = OPSET, producerVersion = ''): Uint8Array {
    return encodeModel(this.toModel(opset, producerVersion));
  }

  /**
   * The model unserialized (initializers' raw data are views of the weights, not copies), for
   * writers that put the weights in an external data file (onnx-model-file.ts): one protobuf
   * message cannot exceed 2 GiB, nor one Node buffer 4 GiB.
   */
  toModel(opset = OPSET, producerVersion = ''): OnnxModel {
    return onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: PRODUCER_NAME,
      producerVersion,
      opsetImport: [{ domain: '', version: opset }, ...(this.nodes.some((n) => n.domain) ? [{ domain: 'com.microsoft', version: 1 }] : [])],
      graph: {
        name: this.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
      },
    });
  }

  private claim(name: string): void {
    this.used.add(name);
  }
}
