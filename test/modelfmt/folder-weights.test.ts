/**
 * A LoRA run's frozen base read straight into float16 (readLlamaWeights with the narrowed
 * names) is bit for bit what reading it as float32 and narrowing gives (narrowInPlace), from
 * F32, F16 and BF16 files, single or sharded, tied or untied; the other tensors stay float32
 * and equal; BF16 → F16 agrees with the two-step conversion on every bit pattern.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { readLlamaWeights } from '../../src/modelfmt/folder-weights.ts';
import { bfloat16ToFloat16, bfloat16ToFloat32, float32ToFloat16 } from '../../src/modelfmt/half.ts';
import { llamaParameterShapes } from '../../src/modelfmt/hf-config.ts';
import { narrowedNames, narrowInPlace } from '../../src/training/frozen-weights.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';

const SOURCES = [
  { dtype: 'F32', sharded: false, tied: true },
  { dtype: 'F32', sharded: true, tied: false },
  { dtype: 'F16', sharded: false, tied: false },
  { dtype: 'F16', sharded: true, tied: true },
  { dtype: 'BF16', sharded: false, tied: false },
] as const;

for (const { dtype, sharded, tied } of SOURCES) {
  test(`${dtype}${sharded ? ' sharded' : ''} (${tied ? 'tied' : 'untied'}): the narrowed read equals read-then-narrow bit for bit`, () => {
    const folder = writeTinyModelFolder({ flavour: 'hub', dtype, sharded, config: { tie_word_embeddings: tied } });
    try {
      const names = narrowedNames(llamaParameterShapes(folder.config), 'float16');
      assert.ok(names.size > 0 && names.has('model.layers.1.mlp.down_proj.weight'));
      const reference = narrowInPlace(readLlamaWeights(folder.dir, folder.config), names);
      const direct = readLlamaWeights(folder.dir, folder.config, names);
      assert.deepEqual([...direct.keys()].sort(), [...reference.keys()].sort(), 'the same parameters, the stray buffer left out');
      for (const [name, expected] of reference) {
        const got = direct.get(name)!;
        assert.equal(got instanceof Uint16Array, names.has(name), `${name} is float16 bits exactly when narrowed`);
        assert.equal(got.constructor, expected.constructor, name);
        assert.deepEqual(got, expected, `${name} differs`);
      }
    } finally {
      rmSync(folder.dir, { recursive: true, force: true });
    }
  });
}

test('BF16 → F16 in one pass equals BF16 → F32 → F16 on all 65,536 bit patterns', () => {
  const every = Uint16Array.from({ length: 65536 }, (_, i) => i);
  assert.deepEqual(bfloat16ToFloat16(every), float32ToFloat16(bfloat16ToFloat32(every)));
});
