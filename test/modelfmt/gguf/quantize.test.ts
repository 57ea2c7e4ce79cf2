/**
 * Block layouts of q8_0 and q4_0 byte for byte as ggml's reference quantizers write them
 * (hand-worked blocks: C's roundf rounds halves away from zero, q4_0 truncates x/d + 8.5
 * and clamps at 15, element j in the low nibble and j + 16 in the high one), and the
 * round-trip error bound of each type on random rows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBlocks, encodeTensor } from '../../../src/modelfmt/gguf/quantize.ts';
import { Rng } from '../../../src/util/random.ts';

test('q8_0: fp16 scale amax/127, then roundf of x/d (halves away from zero)', () => {
  const x = new Float32Array(32);
  x[0] = 127;
  x[1] = -63.5;
  x[2] = 0.5;
  x[3] = -0.49;
  const bytes = encodeTensor(x, 'Q8_0');
  assert.equal(bytes.length, 34);
  assert.deepEqual([...bytes.subarray(0, 2)], [0x00, 0x3c], 'd = 1.0 as float16');
  assert.deepEqual([...new Int8Array(bytes.buffer, bytes.byteOffset + 2, 4)], [127, -64, 1, 0]);
});

test('q4_0: d = (value of largest magnitude)/-8, nibbles min(15, trunc(x/d + 8.5)), j low and j+16 high', () => {
  const x = new Float32Array(32);
  x[0] = -8;
  x[16] = 7;
  x[1] = 7.9;
  x[17] = -0.5;
  const bytes = encodeTensor(x, 'Q4_0');
  assert.equal(bytes.length, 18);
  assert.deepEqual([...bytes.subarray(0, 2)], [0x00, 0x3c], 'd = 1.0 as float16');
  assert.deepEqual([...bytes.subarray(2, 5)], [0xf0, 0x8f, 0x88]);
});

// The scale is stored as float16 (relative error ≤ 2^-11), which adds up to 127·2^-11 ≈ 0.06 of a step to q8_0's half step.
test('round trip stays within ~half a step (q8_0) and one step (q4_0) of each block', () => {
  const rng = new Rng(5);
  const x = Float32Array.from({ length: 32 * 64 }, () => (rng.next() - 0.5) * 4);
  for (const [type, steps] of [
    ['Q8_0', 127],
    ['Q4_0', 8],
  ] as const) {
    const back = decodeBlocks(encodeTensor(x, type), type);
    for (let b = 0; b < 64; b++) {
      const block = x.subarray(b * 32, b * 32 + 32);
      const step = Math.max(...block.map(Math.abs)) / steps;
      for (let j = 0; j < 32; j++)
        assert.ok(Math.abs(back[b * 32 + j] - block[j]) <= step * (type === 'Q8_0' ? 0.57 : 1.01), `${type} block ${b} element ${j}`);
    }
  }
});
