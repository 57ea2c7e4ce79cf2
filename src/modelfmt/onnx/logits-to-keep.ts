/**
 * `num_logits_to_keep` without a non-standard input. Exported graphs hold it as an
 * initializer (0: logits for every position), so ONNX Runtime, Optimum and transformers.js
 * run the file with only the standard inputs (input_ids, attention_mask, position_ids,
 * past_key_values.*). Our generator wants the last position's logits only (prefill then skips
 * the prompt's lm_head work), but onnxruntime-node feeds declared inputs only and cannot
 * override an initializer, so at load it turns that initializer back into a graph input:
 * a byte-level edit of the protobuf (the GraphProto loses one small TensorProto and gains
 * one ValueInfoProto), which copies the bytes once and never decodes the weights.
 *
 * Hand-written because onnx-proto would decode and re-encode every weight tensor.
 */
import { readFileSync } from 'node:fs';
import { PRODUCER_NAME, valueInfoBytes } from './onnx-builder.js';
import { readProducer } from './producer.js';

export const LOGITS_TO_KEEP = 'num_logits_to_keep';

interface Field {
  number: number;
  /** First byte of the tag, of the payload, and one past the end. */
  start: number;
  data: number;
  end: number;
}

function varint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    if (at >= bytes.length || shift > 63) throw new Error('truncated protobuf varint');
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
  }
}

function* fields(bytes: Uint8Array, start: number, end: number): Generator<Field> {
  let at = start;
  while (at < end) {
    const fieldStart = at;
    let tag: number;
    [tag, at] = varint(bytes, at);
    const wire = tag & 7;
    let data = at;
    if (wire === 0) [, at] = varint(bytes, at);
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      let size: number;
      [size, data] = varint(bytes, at);
      at = data + size;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    yield { number: Math.floor(tag / 8), start: fieldStart, data, end: at };
  }
}

function encodeVarint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}

const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const TENSOR_NAME = 8;

/**
 * The model with the `num_logits_to_keep` initializer made a feedable int64 scalar input, or
 * undefined when the graph has no such initializer (other exporters' files, older exports).
 */
export function withLogitsToKeepInput(model: Uint8Array): Uint8Array | undefined {
  const graph = [...fields(model, 0, model.length)].find((f) => f.number === MODEL_GRAPH);
  if (!graph) return undefined;
  const name = new TextEncoder().encode(LOGITS_TO_KEEP);
  const isKeep = (f: Field) => {
    if (f.number !== GRAPH_INITIALIZER || f.end - f.data > 256) return false;
    const n = [...fields(model, f.data, f.end)].find((t) => t.number === TENSOR_NAME);
    return n !== undefined && n.end - n.data === name.length && name.every((b, i) => model[n.data + i] === b);
  };
  const initializer = [...fields(model, graph.data, graph.end)].find(isKeep);
  if (!initializer) return undefined;
  const info = valueInfoBytes(LOGITS_TO_KEEP, 'int64', []);
  const input = [...encodeVarint(GRAPH_INPUT * 8 + 2), ...encodeVarint(info.length)];
  const graphLength = graph.end - graph.data - (initializer.end - initializer.start) + input.length + info.length;
  const header = [...encodeVarint(MODEL_GRAPH * 8 + 2), ...encodeVarint(graphLength)];
  const parts: Uint8Array[] = [
    model.subarray(0, graph.start),
    Uint8Array.from(header),
    model.subarray(graph.data, initializer.start),
    model.subarray(initializer.end, graph.end),
    Uint8Array.from(input),
    info,
    model.subarray(graph.end),
  ];
  return Buffer.concat(parts);
}

/**
 * What our generator hands ONNX Runtime: the model with num_logits_to_keep as an input when
 * the file is one of ours that holds it as an initializer; otherwise `model` unchanged (a
 * path stays a path, so other exporters' files are never read twice).
 */
export function generatorModel(model: string | Uint8Array): string | Uint8Array {
  if (typeof model !== 'string') return withLogitsToKeepInput(model) ?? model;
  if (readProducer(model)?.name !== PRODUCER_NAME) return model;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(model);
  } catch {
    return model; // ONNX Runtime reports the real problem when it opens the path
  }
  return withLogitsToKeepInput(bytes) ?? model;
}
