/**
 * A version's LoRA adapter as a GGUF LoRA: llama.cpp running the base GGUF with the adapter
 * applied gives the greedy tokens our generator gives on the merged weights (q/k B rows
 * permuted like the base's), and differs from the base alone; a version without an adapter
 * is refused by name.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../../../src/inference/generate.ts';
import { mergeGenerationParams } from '../../../src/inference/generation-params.ts';
import { loadInferenceModel } from '../../../src/inference/loaded-model.ts';
import { StopStrings } from '../../../src/inference/stop-strings.ts';
import { llamaParameterShapes } from '../../../src/modelfmt/hf-config.ts';
import { exportGguf } from '../../../src/modelfmt/gguf/gguf-export.ts';
import { exportGgufLora } from '../../../src/modelfmt/gguf/gguf-lora.ts';
import { writeSafetensors } from '../../../src/modelfmt/safetensors.ts';
import { initLoraParams, loraParameterShapes, LORA_MODULES } from '../../../src/training/lora-adapters.ts';
import { adapterConfig, mergeLora } from '../../../src/training/trainer/lora-merge.ts';
import { Rng } from '../../../src/util/random.ts';
import { loadLlamaCpp } from '../../fixtures/llama-cpp.ts';
import { writeTinyModelFolder } from '../../fixtures/tiny-model-folder.ts';

const tmp = mkdtempSync(join(tmpdir(), 'gguf-lora-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('base GGUF + GGUF LoRA in llama.cpp = our generator on the merged weights', async () => {
  const base = writeTinyModelFolder({ dir: join(tmp, 'base'), onnx: false });
  const lora = { r: 4, alpha: 8, dropout: 0, targetModules: [...LORA_MODULES] };
  const adapter = initLoraParams(base.config, lora, 3);
  const rng = new Rng(8);
  for (const [name, data] of adapter) if (name.includes('lora_B')) for (let i = 0; i < data.length; i++) data[i] = (rng.next() - 0.5) * 0.6;
  const version = join(tmp, 'version');
  cpSync(base.dir, version, { recursive: true });
  const withShapes = (params: Map<string, Float32Array>, shapes: Map<string, number[]>) =>
    new Map([...params].map(([n, data]) => [n, { shape: shapes.get(n)!, data }]));
  writeSafetensors(join(version, 'model.safetensors'), withShapes(mergeLora(base.config, base.weights, adapter, lora), llamaParameterShapes(base.config)), {
    dtype: 'F32',
  });
  writeSafetensors(join(version, 'adapter_model.safetensors'), withShapes(adapter, loraParameterShapes(base.config, lora)), { dtype: 'F32' });
  writeFileSync(join(version, 'adapter_config.json'), JSON.stringify(adapterConfig(lora, base.dir)));

  exportGguf(base.dir, join(tmp, 'base.gguf'), { quant: 'f32', name: 'base' });
  exportGgufLora(version, version, join(tmp, 'lora.gguf'), 'lora');
  const ours = await loadInferenceModel(version, { threads: 1 });
  const withAdapter = await loadLlamaCpp(join(tmp, 'base.gguf'), { lora: join(tmp, 'lora.gguf') });
  const baseOnly = await loadLlamaCpp(join(tmp, 'base.gguf'));
  try {
    const prompt = ours.tokenizer.encode('Hello there, how are you today?');
    const params = mergeGenerationParams({ temperature: 0, repetition_penalty: 1, max_new_tokens: 12, min_new_tokens: 0 });
    const expected = (
      await generate(ours.session, prompt, { params, tokenizer: ours.tokenizer, eosTokenIds: ours.tokenizer.stopTokenIds, stopStrings: new StopStrings([]) })
    ).tokens;
    assert.ok(expected.length >= 6, `a reply long enough to compare (${expected.length})`);
    assert.deepEqual(await withAdapter.greedy(prompt, 12), expected);
    assert.notDeepEqual(await baseOnly.greedy(prompt, 12), expected, 'the adapter changes the reply');
  } finally {
    await withAdapter.dispose();
    await baseOnly.dispose();
    await ours.dispose();
  }
  assert.throws(() => exportGgufLora(base.dir, base.dir, join(tmp, 'none.gguf'), 'x'), /no LoRA adapter/);
});
