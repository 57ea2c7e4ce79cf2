/**
 * End to end on a Qwen2 and a Gemma 3 base folder: the trainer fine-tunes a LoRA version
 * (validation loss goes down, PEFT adapter names of the family), and the version folder
 * serves: loaded, exported to ONNX on first use, a reply generated from the persona prompt.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config/config.ts';
import { generate } from '../../../src/inference/generate.ts';
import { mergeGenerationParams } from '../../../src/inference/generation-params.ts';
import { loadInferenceModel } from '../../../src/inference/loaded-model.ts';
import { StopStrings } from '../../../src/inference/stop-strings.ts';
import { renderPersonaPrompt } from '../../../src/modelfmt/prompt.ts';
import { readSafetensors } from '../../../src/modelfmt/safetensors.ts';
import { personaSchema } from '../../../src/personas/schema.ts';
import { trainPersona } from '../../../src/training/trainer/train-persona.ts';
import type { TrainingData } from '../../../src/datasets/types.ts';
import { TINY_TEXTS, writeTinyModelFolder } from '../../fixtures/tiny-model-folder.ts';

const dataset: TrainingData = {
  version: 'ds-arch-1',
  train: TINY_TEXTS.map((text) => ({ kind: 'monologue' as const, context: [], text, speaker: 'FDR' })),
  validation: [{ kind: 'monologue', context: [], text: TINY_TEXTS[0], speaker: 'FDR' }],
};

for (const architecture of ['qwen2', 'gemma3_text'] as const) {
  test(`${architecture}: a LoRA version trains on the family's base and answers`, async (t) => {
    const base = writeTinyModelFolder({ flavour: 'base', architecture, config: { max_position_embeddings: 256 } });
    const root = mkdtempSync(join(tmpdir(), 'arch-train-'));
    t.after(() => [base.dir, root].forEach((dir) => rmSync(dir, { recursive: true, force: true })));
    const config = loadConfig({ root, env: { DATA_DIR: 'data', BASE_MODEL_DIR: base.dir, ORT_THREADS: '1' } });
    const persona = personaSchema.parse({
      id: 'fdr',
      name: 'FDR',
      system_prompt: 'You are FDR.',
      training: { method: 'lora', learning_rate: 1e-2, batch_size: 2, seq_len: 48, eval_every: 4, epochs: 3, seed: 5, lora: { r: 4, alpha: 8 } },
    });
    const report = await trainPersona({ config, persona, dataset, version: 'v1' });
    const { initialValidationLoss, bestValidationLoss } = report.metrics;
    assert.ok(bestValidationLoss! < initialValidationLoss! - 0.05, `validation loss ${initialValidationLoss} → ${bestValidationLoss}`);
    const adapterKeys = [...readSafetensors(join(report.dir, 'adapter_model.safetensors')).keys()];
    assert.ok(adapterKeys.includes('base_model.model.model.layers.1.self_attn.k_proj.lora_A.weight'), adapterKeys.join(', '));
    assert.ok(!adapterKeys.some((k) => k.includes('bias') || k.includes('norm')));

    const model = await loadInferenceModel(report.dir, { threads: 1 });
    try {
      const prompt = renderPersonaPrompt(model.tokenizerConfig, { systemPrompt: 'You are FDR.', personaName: 'FDR', context: [] });
      const params = mergeGenerationParams({ temperature: 0, max_new_tokens: 8 });
      const reply = await generate(model.session, model.tokenizer.encode(prompt), {
        params,
        tokenizer: model.tokenizer,
        eosTokenIds: model.eosTokenIds,
        stopStrings: new StopStrings([]),
      });
      assert.ok(reply.tokens.length > 0);
    } finally {
      await model.dispose();
    }
  });
}
