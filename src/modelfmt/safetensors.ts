/**
 * safetensors reader/writer (single files and sharded folders with
 * `model.safetensors.index.json`).
 *
 * Hand-written because npm has no maintained safetensors reader/writer for Node, and the
 * format is tiny: an 8-byte little-endian header length, a JSON header mapping tensor names
 * to { dtype, shape, data_offsets } (offsets relative to the end of the header), then the
 * raw little-endian bytes. We read F32, F16 and BF16 into Float32Array (the trainer and the
 * inference engine compute in float32) or, tensor by tensor, into float16 bits (a LoRA run's
 * frozen base, see src/training/frozen-weights.ts), and write F32, F16 or BF16. Every error names
 * the file and, where there is one, the tensor.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PersonaError } from '../errors.js';
import { writeFully } from '../util/atomic-write.js';
import { bfloat16ToFloat16, bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16 } from './half.js';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';
export interface LoadedTensor {
  /** dtype stored on disk; `data` is always float32. */
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}
export interface TensorToWrite {
  shape: number[];
  data: Float32Array;
}
export interface WriteOptions {
  dtype: SafetensorsDtype;
  /** String-to-string map stored as the header's `__metadata__` (e.g. { format: 'pt' }). */
  metadata?: Record<string, string>;
}

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
/** Headers beyond this are not real safetensors files (HF caps them at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;
export const SAFETENSORS_INDEX_FILE = 'model.safetensors.index.json';

function corrupt(file: string, message: string, tensor?: string): PersonaError {
  const where = tensor ? `${file}: tensor "${tensor}"` : file;
  return new PersonaError('model_corrupt', `${where}: ${message}`, { file, ...(tensor ? { tensor } : {}) });
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function readHeader(file: string, fd: number, fileSize: number): { header: Record<string, unknown>; dataStart: number } {
  if (fileSize < 8) throw corrupt(file, `truncated file (${fileSize} bytes, the 8-byte header length is missing).`);
  const lengthBytes = Buffer.alloc(8);
  readSync(fd, lengthBytes, 0, 8, 0);
  const headerLength = Number(lengthBytes.readBigUInt64LE(0));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > fileSize) {
    throw corrupt(file, `header length ${headerLength} is out of range for a ${fileSize}-byte file (truncated or not a safetensors file).`);
  }
  const headerBytes = Buffer.alloc(headerLength);
  readSync(fd, headerBytes, 0, headerLength, 8);
  let header: unknown;
  try {
    header = JSON.parse(headerBytes.toString('utf8'));
  } catch (error) {
    throw corrupt(file, `header is not valid JSON (${(error as Error).message}).`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw corrupt(file, 'header is not a JSON object.');
  return { header: header as Record<string, unknown>, dataStart: 8 + headerLength };
}

function validateEntry(file: string, name: string, raw: unknown, dataLength: number): HeaderEntry & { dtype: SafetensorsDtype } {
  const entry = raw as Partial<HeaderEntry> | null;
  if (!entry || typeof entry !== 'object' || !Array.isArray(entry.shape) || !Array.isArray(entry.data_offsets) || entry.data_offsets.length !== 2) {
    throw corrupt(file, 'header entry needs dtype, shape and data_offsets.', name);
  }
  const dtype = entry.dtype as string;
  if (!(dtype in BYTES_PER_ELEMENT)) {
    throw corrupt(file, `dtype "${dtype}" is not supported (supported: ${Object.keys(BYTES_PER_ELEMENT).join(', ')}).`, name);
  }
  const [begin, end] = entry.data_offsets;
  if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end < begin || end > dataLength) {
    throw corrupt(file, `data_offsets [${begin}, ${end}] fall outside the ${dataLength} data bytes (truncated file?).`, name);
  }
  const elements = entry.shape.reduce((a: number, b: number) => a * b, 1);
  const expected = elements * BYTES_PER_ELEMENT[dtype as SafetensorsDtype];
  if (end - begin !== expected) {
    throw corrupt(file, `shape [${entry.shape.join(', ')}] of ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}.`, name);
  }
  return { dtype: dtype as SafetensorsDtype, shape: entry.shape, data_offsets: [begin, end] };
}

/** Where one tensor's bytes lie: read from a file's header, no tensor data read yet. */
export interface TensorEntry {
  file: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte offset of the tensor's data in `file`, and its length. */
  offset: number;
  bytes: number;
}

/** The element type a tensor is read as: float32, or float16 bits (Uint16Array; Node 20 has no Float16Array). */
export type ReadAs = 'float32' | 'float16';

/**
 * The tensors of one `.safetensors` file, or of a sharded model when given a folder or an
 * index file, from the headers alone: each entry checked (dtype, offsets, size) before any
 * tensor data is read, so a caller reads only what it needs, one tensor at a time.
 */
export function indexSafetensors(path: string): Map<string, TensorEntry> {
  if (!existsSync(path)) throw new PersonaError('model_not_found', `${path} does not exist.`, { file: path });
  if (statSync(path).isDirectory()) return indexSafetensorsFolder(path);
  if (path.endsWith('.index.json')) return indexShardedSafetensors(path);
  const fd = openSync(path, 'r');
  try {
    const fileSize = statSync(path).size;
    const { header, dataStart } = readHeader(path, fd, fileSize);
    const entries = new Map<string, TensorEntry>();
    for (const [name, raw] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const entry = validateEntry(path, name, raw, fileSize - dataStart);
      const [begin, end] = entry.data_offsets;
      entries.set(name, { file: path, dtype: entry.dtype, shape: entry.shape, offset: dataStart + begin, bytes: end - begin });
    }
    return entries;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads one tensor as float32 or as float16 bits. Only this tensor's bytes are held besides
 * the result: F16 read as float16 is its bits as stored (no float32 copy at all), F32 and
 * BF16 are rounded to nearest even (half.ts), exactly what narrowing the float32 values gives.
 */
export function readTensor(entry: TensorEntry, as: 'float16'): Uint16Array;
export function readTensor(entry: TensorEntry, as?: 'float32'): Float32Array;
export function readTensor(entry: TensorEntry, as?: ReadAs): Float32Array | Uint16Array;
export function readTensor(entry: TensorEntry, as: ReadAs = 'float32'): Float32Array | Uint16Array {
  // A fresh ArrayBuffer is aligned for any view; the tensor's offset inside the file is not in general.
  const raw = new Uint8Array(entry.bytes);
  const fd = openSync(entry.file, 'r');
  try {
    // One read(2) returns at most ~2 GiB on Linux: loop until the tensor is complete.
    for (let done = 0; done < raw.length; ) {
      const got = readSync(fd, raw, done, raw.length - done, entry.offset + done);
      if (got === 0) throw corrupt(entry.file, `data ends ${raw.length - done} bytes early.`);
      done += got;
    }
  } finally {
    closeSync(fd);
  }
  if (entry.dtype === 'F32') {
    const values = new Float32Array(raw.buffer);
    return as === 'float32' ? values : float32ToFloat16(values);
  }
  const halves = new Uint16Array(raw.buffer);
  if (entry.dtype === 'F16') return as === 'float16' ? halves : float16ToFloat32(halves);
  return as === 'float32' ? bfloat16ToFloat32(halves) : bfloat16ToFloat16(halves);
}

/** Reads one `.safetensors` file, or a sharded model when given a folder or an index file, every tensor as float32. */
export function readSafetensors(path: string): Map<string, LoadedTensor> {
  const tensors = new Map<string, LoadedTensor>();
  for (const [name, entry] of indexSafetensors(path)) tensors.set(name, { dtype: entry.dtype, shape: entry.shape, data: readTensor(entry) });
  return tensors;
}

/** Reads the `__metadata__` map of one file (empty when absent). */
export function readSafetensorsMetadata(file: string): Record<string, string> {
  const fd = openSync(file, 'r');
  try {
    const { header } = readHeader(file, fd, statSync(file).size);
    return (header.__metadata__ as Record<string, string> | undefined) ?? {};
  } finally {
    closeSync(fd);
  }
}

/** dtype and shape of every tensor of one file, from its header alone (no tensor data is read). */
export function readSafetensorsShapes(file: string): Map<string, { dtype: string; shape: number[] }> {
  const fd = openSync(file, 'r');
  try {
    const { header } = readHeader(file, fd, statSync(file).size);
    const entries = Object.entries(header).filter(([name]) => name !== '__metadata__') as [string, HeaderEntry][];
    return new Map(entries.map(([name, entry]) => [name, { dtype: String(entry?.dtype), shape: Array.isArray(entry?.shape) ? entry.shape : [] }]));
  } finally {
    closeSync(fd);
  }
}

/** A model folder holds either `model.safetensors` or an index plus shards. */
function indexSafetensorsFolder(dir: string): Map<string, TensorEntry> {
  const single = join(dir, 'model.safetensors');
  if (existsSync(single)) return indexSafetensors(single);
  const index = join(dir, SAFETENSORS_INDEX_FILE);
  if (existsSync(index)) return indexShardedSafetensors(index);
  throw new PersonaError('model_not_found', `${dir}: neither model.safetensors nor ${SAFETENSORS_INDEX_FILE} exists.`, { file: dir });
}

function indexShardedSafetensors(indexFile: string): Map<string, TensorEntry> {
  let index: { weight_map?: Record<string, string> };
  try {
    index = JSON.parse(readFileSync(indexFile, 'utf8'));
  } catch (error) {
    throw corrupt(indexFile, `not valid JSON (${(error as Error).message}).`);
  }
  if (!index.weight_map || typeof index.weight_map !== 'object') throw corrupt(indexFile, 'missing "weight_map".');
  const entries = new Map<string, TensorEntry>();
  const shards = [...new Set(Object.values(index.weight_map))];
  for (const shard of shards) {
    const shardFile = join(dirname(indexFile), shard);
    if (!existsSync(shardFile)) throw corrupt(indexFile, `shard "${shard}" listed in weight_map does not exist.`);
    for (const [name, entry] of indexSafetensors(shardFile)) entries.set(name, entry);
  }
  for (const [name, shard] of Object.entries(index.weight_map)) {
    if (!entries.has(name)) throw corrupt(join(dirname(indexFile), shard), 'tensor listed in the index is missing from its shard.', name);
  }
  return entries;
}

/** The length-prefixed header (names sorted, like the Python library) and the order the data follows it in. */
function layout(tensors: Map<string, TensorToWrite>, options: WriteOptions): { prefix: Buffer; names: string[]; dataBytes: number } {
  const bytesPer = BYTES_PER_ELEMENT[options.dtype];
  const header: Record<string, unknown> = {};
  if (options.metadata) header.__metadata__ = options.metadata;
  const names = [...tensors.keys()].sort();
  let offset = 0;
  for (const name of names) {
    const { shape, data } = tensors.get(name)!;
    const elements = shape.reduce((a, b) => a * b, 1);
    if (elements !== data.length) {
      throw new PersonaError('invalid_argument', `tensor "${name}": shape [${shape.join(', ')}] has ${elements} elements but data has ${data.length}.`, {
        tensor: name,
      });
    }
    header[name] = { dtype: options.dtype, shape, data_offsets: [offset, offset + elements * bytesPer] };
    offset += elements * bytesPer;
  }
  // Pad the header with spaces so the data section starts 8-byte aligned (as the reference writer does).
  let headerJson = JSON.stringify(header);
  headerJson += ' '.repeat((8 - ((8 + Buffer.byteLength(headerJson)) % 8)) % 8);
  const headerBytes = Buffer.from(headerJson, 'utf8');
  const prefix = Buffer.alloc(8 + headerBytes.length);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(prefix, 8);
  return { prefix, names, dataBytes: offset };
}

function tensorBytes(data: Float32Array, dtype: SafetensorsDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array((dtype === 'F16' ? float32ToFloat16(data) : float32ToBfloat16(data)).buffer);
}

/** Serializes tensors to safetensors bytes in memory (small files: checkpoints, adapters, tests). */
export function encodeSafetensors(tensors: Map<string, TensorToWrite>, options: WriteOptions): Buffer {
  const { prefix, names, dataBytes } = layout(tensors, options);
  const out = Buffer.alloc(prefix.length + dataBytes);
  prefix.copy(out, 0);
  let cursor = prefix.length;
  for (const name of names) {
    const raw = tensorBytes(tensors.get(name)!.data, options.dtype);
    out.set(raw, cursor);
    cursor += raw.length;
  }
  return out;
}

/**
 * Writes a safetensors file tensor by tensor, so only one tensor's converted bytes exist at
 * a time: a whole-file buffer would double a 1B model's memory and cannot exceed 4 GiB in
 * Node 20 (a float32 Llama-3.2-1B is 4.9 GB).
 */
export function writeSafetensors(path: string, tensors: Map<string, TensorToWrite>, options: WriteOptions): void {
  const { prefix, names } = layout(tensors, options);
  const fd = openSync(path, 'w');
  try {
    writeFully(fd, prefix);
    for (const name of names) writeFully(fd, tensorBytes(tensors.get(name)!.data, options.dtype));
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes tensors as HF-style shards (`model-00001-of-0000N.safetensors`) plus
 * `model.safetensors.index.json`, starting a new shard once `maxShardBytes` is reached.
 */
export function writeShardedSafetensors(dir: string, tensors: Map<string, TensorToWrite>, options: WriteOptions & { maxShardBytes: number }): string[] {
  const bytesPer = BYTES_PER_ELEMENT[options.dtype];
  const groups: Map<string, TensorToWrite>[] = [new Map()];
  let groupBytes = 0;
  for (const name of [...tensors.keys()].sort()) {
    const tensor = tensors.get(name)!;
    const bytes = tensor.data.length * bytesPer;
    if (groupBytes > 0 && groupBytes + bytes > options.maxShardBytes) {
      groups.push(new Map());
      groupBytes = 0;
    }
    groups[groups.length - 1].set(name, tensor);
    groupBytes += bytes;
  }
  const pad = (n: number) => String(n).padStart(5, '0');
  const weightMap: Record<string, string> = {};
  const files = groups.map((group, i) => {
    const file = `model-${pad(i + 1)}-of-${pad(groups.length)}.safetensors`;
    writeSafetensors(join(dir, file), group, options);
    for (const name of group.keys()) weightMap[name] = file;
    return file;
  });
  const totalSize = [...tensors.values()].reduce((sum, t) => sum + t.data.length * bytesPer, 0);
  writeFileSync(join(dir, SAFETENSORS_INDEX_FILE), JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2));
  return files;
}
