/**
 * safetensors reader/writer (single files and sharded folders with
 * `model.safetensors.index.json`).
 *
 * Hand-written because npm has no maintained safetensors reader/writer for Node, and the
 * format is tiny: an 8-byte little-endian header length, a JSON header mapping tensor names
 * to { dtype, shape, data_offsets } (offsets relative to the end of the header), then the
 * raw little-endian bytes. We read F32, F16 and BF16 into Float32Array (the trainer and the
 * inference engine compute in float32) and write F32 or F16. Every error names the file and,
 * where there is one, the tensor.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PersonaError } from '../errors.js';
import { float16ToFloat32, float32ToFloat16, bfloat16ToFloat32 } from './half.js';

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
  dtype: 'F32' | 'F16';
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

function decode(dtype: SafetensorsDtype, bytes: Buffer): Float32Array {
  const count = bytes.length / BYTES_PER_ELEMENT[dtype];
  // Copy into an aligned buffer: the slice offset inside the file is not 4-byte aligned in general.
  const aligned = new Uint8Array(bytes.length);
  aligned.set(bytes);
  if (dtype === 'F32') return new Float32Array(aligned.buffer, 0, count);
  const halves = new Uint16Array(aligned.buffer, 0, count);
  return dtype === 'F16' ? float16ToFloat32(halves) : bfloat16ToFloat32(halves);
}

/** Reads one `.safetensors` file, or a sharded model when given a folder or an index file. */
export function readSafetensors(path: string): Map<string, LoadedTensor> {
  if (!existsSync(path)) throw new PersonaError('model_not_found', `${path} does not exist.`, { file: path });
  if (statSync(path).isDirectory()) return readSafetensorsFolder(path);
  if (path.endsWith('.index.json')) return readShardedSafetensors(path);
  const fd = openSync(path, 'r');
  try {
    const fileSize = statSync(path).size;
    const { header, dataStart } = readHeader(path, fd, fileSize);
    const tensors = new Map<string, LoadedTensor>();
    for (const [name, raw] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const entry = validateEntry(path, name, raw, fileSize - dataStart);
      const [begin, end] = entry.data_offsets;
      const bytes = Buffer.alloc(end - begin);
      readSync(fd, bytes, 0, end - begin, dataStart + begin);
      tensors.set(name, { dtype: entry.dtype, shape: entry.shape, data: decode(entry.dtype, bytes) });
    }
    return tensors;
  } finally {
    closeSync(fd);
  }
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
function readSafetensorsFolder(dir: string): Map<string, LoadedTensor> {
  const single = join(dir, 'model.safetensors');
  if (existsSync(single)) return readSafetensors(single);
  const index = join(dir, SAFETENSORS_INDEX_FILE);
  if (existsSync(index)) return readShardedSafetensors(index);
  throw new PersonaError('model_not_found', `${dir}: neither model.safetensors nor ${SAFETENSORS_INDEX_FILE} exists.`, { file: dir });
}

function readShardedSafetensors(indexFile: string): Map<string, LoadedTensor> {
  let index: { weight_map?: Record<string, string> };
  try {
    index = JSON.parse(readFileSync(indexFile, 'utf8'));
  } catch (error) {
    throw corrupt(indexFile, `not valid JSON (${(error as Error).message}).`);
  }
  if (!index.weight_map || typeof index.weight_map !== 'object') throw corrupt(indexFile, 'missing "weight_map".');
  const tensors = new Map<string, LoadedTensor>();
  const shards = [...new Set(Object.values(index.weight_map))];
  for (const shard of shards) {
    const shardFile = join(dirname(indexFile), shard);
    if (!existsSync(shardFile)) throw corrupt(indexFile, `shard "${shard}" listed in weight_map does not exist.`);
    for (const [name, tensor] of readSafetensors(shardFile)) tensors.set(name, tensor);
  }
  for (const [name, shard] of Object.entries(index.weight_map)) {
    if (!tensors.has(name)) throw corrupt(join(dirname(indexFile), shard), 'tensor listed in the index is missing from its shard.', name);
  }
  return tensors;
}

/** Serializes tensors to safetensors bytes (names sorted, like the Python library). */
export function encodeSafetensors(tensors: Map<string, TensorToWrite>, options: WriteOptions): Buffer {
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
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let cursor = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = tensors.get(name)!;
    const raw = options.dtype === 'F32' ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(float32ToFloat16(data).buffer);
    out.set(raw, cursor);
    cursor += raw.length;
  }
  return out;
}

export function writeSafetensors(path: string, tensors: Map<string, TensorToWrite>, options: WriteOptions): void {
  writeFileSync(path, encodeSafetensors(tensors, options));
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
