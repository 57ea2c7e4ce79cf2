// LoRA merge math and the version folder layout written for a LoRA run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeLora } from '../../../src/training/trainer/lora-merge.ts';
import { initLoraParams, loraName as peftKey, loraParameterShapes } from '../../../src/training/lora-adapters.ts';
import { parseLlamaConfig } from '../../../src/modelfmt/hf-config.ts';
import { writeVersionFolder } from '../../../src/training/trainer/version-folder.ts';
import { readSafetensors } from '../../../src/modelfmt/safetensors.ts';
import { llamaParameterShapes } from '../../../src/modelfmt/hf-config.ts';
import { isPersonaError } from '../../../src/errors.ts';
import { writeTinyModelFolder } from '../../fixtures/tiny-model-folder.ts';
import { narrowedNames, narrowInPlace } from '../../../src/training/frozen-weights.ts';
import { initLlamaParams } from '../../../src/training/step-model.ts';

test('merge adds (alpha / r) · B · A to the base weight (hand-computed)', () => {
  const name = 'model.layers.0.mlp.up_proj.weight';
  const base = new Map([[name, new Float32Array([1, 2, 3, 4, 5, 6])]]); // W [2, 3]
  const adapter = new Map([
    [peftKey(name, 'A'), new Float32Array([1, 0, -1])], // A [1, 3]
    [peftKey(name, 'B'), new Float32Array([0.5, 2])], // B [2, 1]
  ]);
  const config = parseLlamaConfig({ vocab_size: 4, hidden_size: 3, intermediate_size: 2, num_hidden_layers: 1, num_attention_heads: 1 });
  const merged = mergeLora(config, base, adapter, { r: 1, alpha: 2, dropout: 0, targetModules: ['up_proj'] });
  // scale 2: row 0 += 2·0.5·[1,0,-1] = [1,0,-1]; row 1 += 2·2·[1,0,-1] = [4,0,-4]
  assert.deepEqual([...merged.get(name)!], [2, 2, 2, 8, 5, 2]);
  assert.deepEqual([...base.get(name)!], [1, 2, 3, 4, 5, 6], 'the base weights are not modified');
});

test('consuming merge of a float16 base gives the same weights and leaves no float16 tensor behind', () => {
  const config = parseLlamaConfig({ vocab_size: 8, hidden_size: 4, intermediate_size: 6, num_hidden_layers: 1, num_attention_heads: 1 });
  const settings = { r: 2, alpha: 4, dropout: 0, targetModules: ['q_proj', 'up_proj'] };
  const adapter = initLoraParams(config, settings, 1);
  for (const [key, data] of adapter) data.forEach((_, i) => (data[i] = key.includes('lora_A') ? 0.1 * (i % 3) : 0.05 * (i % 5) - 0.1));
  const frozen = () => {
    const base = initLlamaParams(config, 2);
    return narrowInPlace(base, narrowedNames(llamaParameterShapes(config), 'float16'));
  };
  const kept = frozen();
  const expected = mergeLora(config, kept, adapter, settings);
  assert.ok(
    [...kept.values()].some((w) => w instanceof Uint16Array),
    'without consume the float16 base is left as it was',
  );
  const consumed = frozen();
  const merged = mergeLora(config, consumed, adapter, settings, { consume: true });
  assert.deepEqual(merged, expected);
  assert.equal(merged, consumed, 'merged into the base map itself');
  assert.ok([...consumed.values()].every((w) => w instanceof Float32Array));
});

test('a LoRA version folder has HF + PEFT files, is written atomically and never overwrites', async (t) => {
  const { dir: baseDir, config } = writeTinyModelFolder({ flavour: 'base' });
  const out = mkdtempSync(join(tmpdir(), 'versions-'));
  t.after(() => [baseDir, out].forEach((d) => rmSync(d, { recursive: true, force: true })));
  const target = 'model.layers.0.self_attn.q_proj.weight';
  const base = new Map([...readSafetensors(baseDir)].map(([k, v]) => [k, v.data]));
  const settings = { r: 2, alpha: 4, dropout: 0.05, targetModules: ['q_proj'] };
  const adapterParams = initLoraParams(config, settings, 1);
  for (const [key, data] of adapterParams) data.fill(key.includes('lora_A') ? 0.1 : 0.2);
  const adapterShapes = loraParameterShapes(config, settings);
  mkdirSync(join(out, '.tmp-crashed-4194305'), { recursive: true }); // left by a writer that was killed
  const written = await writeVersionFolder({
    personaModelsDir: out,
    version: 'v1',
    baseDir,
    config,
    weights: mergeLora(config, base, adapterParams, settings),
    adapter: { params: adapterParams, shapes: adapterShapes, settings },
    training: { method: 'lora' },
  });
  const files = readdirSync(written.dir).sort();
  for (const file of [
    'adapter_config.json',
    'adapter_model.safetensors',
    'config.json',
    'generation_config.json',
    'model.safetensors',
    'tokenizer.json',
    'tokenizer_config.json',
    'training.json',
  ]) {
    assert.ok(files.includes(file), `${file} in ${files.join(', ')}`);
  }
  assert.deepEqual(readdirSync(out), ['v1'], 'no temp folder is left behind, nor one of a dead writer');
  const adapterConfig = JSON.parse(readFileSync(join(written.dir, 'adapter_config.json'), 'utf8'));
  assert.equal(adapterConfig.peft_type, 'LORA');
  assert.equal(adapterConfig.task_type, 'CAUSAL_LM');
  assert.deepEqual([adapterConfig.r, adapterConfig.lora_alpha, adapterConfig.lora_dropout, adapterConfig.target_modules], [2, 4, 0.05, ['q_proj']]);
  assert.equal(adapterConfig.base_model_name_or_path, baseDir);
  const adapter = readSafetensors(join(written.dir, 'adapter_model.safetensors'));
  assert.deepEqual(adapter.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')!.shape, [2, 32]);
  const model = readSafetensors(join(written.dir, 'model.safetensors'));
  assert.deepEqual([...model.keys()].sort(), [...llamaParameterShapes(config).keys()].sort());
  // Every merged value is base + (4/2) · 0.2 · 0.1 · 2 (r terms) = base + 0.08.
  const q = model.get(target)!.data;
  base.get(target)!.forEach((w, i) => assert.ok(Math.abs(q[i] - (w + 0.08)) < 1e-6));

  await assert.rejects(writeVersionFolder({ personaModelsDir: out, version: 'v1', baseDir, config, weights: base, training: {} }), (error) =>
    isPersonaError(error, 'invalid_argument'),
  );
  assert.ok(existsSync(join(written.dir, 'adapter_model.safetensors')), 'the existing version is untouched');
});
