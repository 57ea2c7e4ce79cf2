/**
 * GGUF v3 container writer (the file format of llama.cpp, Ollama, LM Studio): header, typed
 * key/value metadata, tensor infos, then each tensor's bytes aligned to 32. Hand-written
 * because no maintained npm package writes GGUF (node-llama-cpp and @huggingface/gguf only
 * read it); the layout follows ggml's docs/gguf.md. Tensors are written one at a time
 * through a callback, so a 135M-parameter model never sits in memory twice.
 */
import { closeSync, openSync } from 'node:fs';
import { writeFully } from '../../util/atomic-write.js';

/** GGUF metadata value types (gguf.md `gguf_metadata_value_type`). */
const VALUE_TYPE = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;

export type GgufValue =
  | { type: 'uint32' | 'int32' | 'float32' | 'uint64'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: 'string'; value: readonly string[] }
  | { type: 'array'; itemType: 'int32' | 'float32'; value: readonly number[] };

export const u32 = (value: number): GgufValue => ({ type: 'uint32', value });
export const f32 = (value: number): GgufValue => ({ type: 'float32', value });
export const str = (value: string): GgufValue => ({ type: 'string', value });
export const bool = (value: boolean): GgufValue => ({ type: 'bool', value });

export interface GgufTensor {
  name: string;
  /** ggml order: the fastest-varying dimension first (an HF [out, in] weight is [in, out]). */
  dims: number[];
  /** ggml_type id (see quantize.ts). */
  ggmlType: number;
  byteLength: number;
  /** Produces the tensor's bytes when it is written. */
  bytes: () => Uint8Array;
}

const ALIGNMENT = 32;
const MAGIC = 0x46554747; // "GGUF" read as little-endian uint32

/** Little-endian byte sink that grows as needed. */
class ByteSink {
  private buffer = Buffer.alloc(1 << 16);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const next = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + n));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
  u8(v: number): void {
    this.reserve(1);
    this.buffer.writeUInt8(v, this.length);
    this.length += 1;
  }
  u32(v: number): void {
    this.reserve(4);
    this.buffer.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.buffer.writeInt32LE(v, this.length);
    this.length += 4;
  }
  f32(v: number): void {
    this.reserve(4);
    this.buffer.writeFloatLE(v, this.length);
    this.length += 4;
  }
  u64(v: number): void {
    this.reserve(8);
    this.buffer.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.reserve(bytes.length);
    bytes.copy(this.buffer, this.length);
    this.length += bytes.length;
  }
  padTo(alignment: number): void {
    while (this.length % alignment !== 0) this.u8(0);
  }
  contents(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

function writeValue(sink: ByteSink, value: GgufValue): void {
  sink.u32(VALUE_TYPE[value.type]);
  switch (value.type) {
    case 'uint32':
      return sink.u32(value.value);
    case 'int32':
      return sink.i32(value.value);
    case 'float32':
      return sink.f32(value.value);
    case 'uint64':
      return sink.u64(value.value);
    case 'bool':
      return sink.u8(value.value ? 1 : 0);
    case 'string':
      return sink.string(value.value);
    case 'array': {
      sink.u32(VALUE_TYPE[value.itemType]);
      sink.u64(value.value.length);
      if (value.itemType === 'string') for (const item of value.value as readonly string[]) sink.string(item);
      else if (value.itemType === 'int32') for (const item of value.value as readonly number[]) sink.i32(item);
      else for (const item of value.value as readonly number[]) sink.f32(item);
    }
  }
}

const align = (n: number) => Math.ceil(n / ALIGNMENT) * ALIGNMENT;

/** Writes a GGUF v3 file: metadata in insertion order, tensors in the given order. */
export function writeGguf(file: string, metadata: Map<string, GgufValue>, tensors: readonly GgufTensor[]): void {
  const head = new ByteSink();
  head.u32(MAGIC);
  head.u32(3);
  head.u64(tensors.length);
  head.u64(metadata.size);
  for (const [key, value] of metadata) {
    head.string(key);
    writeValue(head, value);
  }
  let offset = 0;
  for (const tensor of tensors) {
    head.string(tensor.name);
    head.u32(tensor.dims.length);
    for (const d of tensor.dims) head.u64(d);
    head.u32(tensor.ggmlType);
    head.u64(offset);
    offset += align(tensor.byteLength);
  }
  head.padTo(ALIGNMENT);
  const fd = openSync(file, 'w');
  try {
    writeFully(fd, head.contents());
    const padding = new Uint8Array(ALIGNMENT);
    for (const tensor of tensors) {
      const bytes = tensor.bytes();
      if (bytes.byteLength !== tensor.byteLength)
        throw new Error(`GGUF tensor ${tensor.name}: produced ${bytes.byteLength} bytes, declared ${tensor.byteLength}`);
      writeFully(fd, bytes);
      const pad = align(bytes.byteLength) - bytes.byteLength;
      if (pad > 0) writeFully(fd, padding.subarray(0, pad));
    }
  } finally {
    closeSync(fd);
  }
}
