/**
 * End to end on a Qwen2 and a Gemma 3 base folder: the trainer fine-tunes a LoRA version
 * (validation loss goes down, PEFT adapter names of the family), and the version folder
 * serves: loaded, exported to ONNX on first use, a reply generated from the persona prompt.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { generate } from '../../../src/inference/generate.ts';
import { mergeGenerationParams } from '../../../src/inference/generation-params.ts';
import { loadInferenceModel } from '../../../src/inference/loaded-model.ts';
import { StopStrings } from '../../../src/inference/stop-strings.ts';
import { renderPersonaPrompt } from '../../../src/modelfmt/prompt.ts';
import { readSafetensors } from '../../../src/modelfmt/safetensors.ts';
import { trainPersona } from '../../../src/training/trainer/train-persona.ts';
import type { TrainingData } from '../../../src/datasets/types.ts';
import { TINY_TEXTS } from '../../fixtures/tiny-model-folder.ts';
import { trainingProject } from '../../fixtures/training-project.ts';

const dataset: TrainingData = {
  version: 'ds-arch-1',
  train: TINY_TEXTS.map((text) => ({ kind: 'monologue' as const, context: [], text, speaker: 'FDR' })),
  validation: [{ kind: 'monologue', context: [], text: TINY_TEXTS[0], speaker: 'FDR' }],
};

for (const architecture of ['qwen2', 'gemma3_text'] as const) {
  test(`${architecture}: a LoRA version trains on the family's base and answers`, async (t) => {
    const { config, persona } = trainingProject(t, {
      base: { architecture, config: { max_position_embeddings: 256 } },
      training: { method: 'lora', learning_rate: 1e-2 },
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
