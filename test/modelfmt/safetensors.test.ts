// safetensors: round-trips in F32/F16, BF16 reading, sharded folders, and errors that name the file and tensor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, readSafetensors, readSafetensorsMetadata, writeSafetensors, writeShardedSafetensors } from '../../src/modelfmt/safetensors.ts';
import { isPersonaError } from '../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'safetensors-test-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function sample(): Map<string, { shape: number[]; data: Float32Array }> {
  return new Map([
    ['b.weight', { shape: [2, 3], data: new Float32Array([1, -2.5, 0.333, 65504, 1e-5, -0]) }],
    ['a.bias', { shape: [3], data: new Float32Array([0.1, 0.2, 0.3]) }],
  ]);
}

/** Writes a raw safetensors file from a header object and a data buffer (to craft bad files). */
function rawFile(name: string, header: unknown, data: Buffer): string {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat([length, json, data]));
  return file;
}

test('F32 round-trip is exact and keeps metadata', () => {
  const file = join(dir, 'f32.safetensors');
  writeSafetensors(file, sample(), { dtype: 'F32', metadata: { format: 'pt' } });
  const back = readSafetensors(file);
  assert.deepEqual([...back.keys()].sort(), ['a.bias', 'b.weight']);
  assert.deepEqual(back.get('b.weight')!.shape, [2, 3]);
  assert.deepEqual([...back.get('b.weight')!.data], [...sample().get('b.weight')!.data]);
  assert.equal(back.get('a.bias')!.dtype, 'F32');
  assert.deepEqual(readSafetensorsMetadata(file), { format: 'pt' });
  // The data section starts 8-byte aligned, as the Python writer guarantees.
  assert.equal(Number(readFileSync(file).readBigUInt64LE(0)) % 8, 0);
});

test('F16 round-trip is within half precision and exact on representable values', () => {
  const file = join(dir, 'f16.safetensors');
  writeSafetensors(file, sample(), { dtype: 'F16' });
  const back = readSafetensors(file).get('b.weight')!;
  assert.equal(back.dtype, 'F16');
  const original = sample().get('b.weight')!.data;
  assert.equal(back.data[0], 1);
  assert.equal(back.data[1], -2.5);
  assert.equal(back.data[3], 65504);
  for (let i = 0; i < original.length; i++) assert.ok(Math.abs(back.data[i] - original[i]) <= Math.abs(original[i]) * 1e-3 + 1e-7);
});

test('the tensor-by-tensor file writer gives the bytes of the in-memory encoder', () => {
  for (const dtype of ['F32', 'F16'] as const) {
    const file = join(dir, `streamed-${dtype}.safetensors`);
    writeSafetensors(file, sample(), { dtype, metadata: { format: 'pt' } });
    assert.deepEqual(readFileSync(file), encodeSafetensors(sample(), { dtype, metadata: { format: 'pt' } }));
  }
});

test('BF16 tensors are read as float32', () => {
  // 1.0 = 0x3f80, -2.0 = 0xc000, 0.5 = 0x3f00 in bfloat16
  const data = Buffer.from(new Uint16Array([0x3f80, 0xc000, 0x3f00]).buffer);
  const file = rawFile('bf16.safetensors', { x: { dtype: 'BF16', shape: [3], data_offsets: [0, 6] } }, data);
  assert.deepEqual([...readSafetensors(file).get('x')!.data], [1, -2, 0.5]);
});

test('BF16 writing rounds to nearest even and reads back', () => {
  const file = join(dir, 'bf16-written.safetensors');
  const values = new Float32Array([1, -2, 0.5, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -7 + 2 ** -9, 3.4028234e38, -Infinity]);
  writeSafetensors(file, new Map([['x', { shape: [values.length], data: values }]]), { dtype: 'BF16' });
  const back = readSafetensors(file).get('x')!;
  assert.equal(back.dtype, 'BF16');
  // Ties go to the even mantissa, below-half rounds down, float32's largest value rounds up to infinity.
  assert.deepEqual([...back.data], [1, -2, 0.5, 1, 1 + 2 ** -6, 1 + 2 ** -7, Infinity, -Infinity]);
});

test('a sharded folder with an index reads as one map', () => {
  const sharded = mkdtempSync(join(dir, 'sharded-'));
  const files = writeShardedSafetensors(sharded, sample(), { dtype: 'F32', maxShardBytes: 16 });
  assert.equal(files.length, 2);
  const back = readSafetensors(sharded);
  assert.deepEqual([...back.get('a.bias')!.data], [...sample().get('a.bias')!.data]);
  assert.equal(back.size, 2);
});

test('corrupt files fail with model_corrupt naming the file and tensor', () => {
  const good = readFileSync(join(dir, 'f32.safetensors'));
  const truncated = join(dir, 'truncated.safetensors');
  writeFileSync(truncated, good.subarray(0, good.length - 4));
  assert.throws(
    () => readSafetensors(truncated),
    (e: unknown) => isPersonaError(e, 'model_corrupt') && e.message.includes(truncated) && e.message.includes('b.weight'),
  );

  const tiny = join(dir, 'tiny.safetensors');
  writeFileSync(tiny, Buffer.from([1, 2, 3]));
  assert.throws(
    () => readSafetensors(tiny),
    (e: unknown) => isPersonaError(e, 'model_corrupt') && e.message.includes('truncated'),
  );

  const hugeHeader = Buffer.alloc(16);
  hugeHeader.writeBigUInt64LE(1_000_000n);
  writeFileSync(join(dir, 'header.safetensors'), hugeHeader);
  assert.throws(() => readSafetensors(join(dir, 'header.safetensors')), /header length 1000000 is out of range/);

  const int8 = rawFile('i8.safetensors', { q: { dtype: 'I8', shape: [2], data_offsets: [0, 2] } }, Buffer.alloc(2));
  assert.throws(
    () => readSafetensors(int8),
    (e: unknown) => isPersonaError(e, 'model_corrupt') && /"q".*dtype "I8" is not supported/.test(e.message),
  );

  const mismatch = rawFile('shape.safetensors', { w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, Buffer.alloc(12));
  assert.throws(() => readSafetensors(mismatch), /tensor "w": shape \[2, 2\] of F32 needs 16 bytes but data_offsets span 12/);
});
