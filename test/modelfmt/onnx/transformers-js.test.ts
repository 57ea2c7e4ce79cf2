/**
 * A model folder written by us (config.json, generation_config.json, tokenizer files,
 * onnx/model.onnx) loads in transformers.js from local files only, and its greedy
 * continuation is token-for-token the one our own generator produces — with fp32 and with
 * block-quantized weights, whose contrib operators transformers.js's ONNX Runtime also runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env, type Tensor } from '@huggingface/transformers';
import { generate } from '../../../src/inference/generate.ts';
import { mergeGenerationParams } from '../../../src/inference/generation-params.ts';
import { loadInferenceModel } from '../../../src/inference/loaded-model.ts';
import { StopStrings } from '../../../src/inference/stop-strings.ts';
import type { GraphQuantization } from '../../../src/modelfmt/onnx/graph-format.ts';
import { exportInferenceOnnx } from '../../../src/modelfmt/onnx/onnx-export.ts';
import { TINY_ARCHITECTURES, writeTinyModelFolder, type TinyArchitecture } from '../../fixtures/tiny-model-folder.ts';

// transformers.js 4 registers every family we export (llama, mistral, qwen2, qwen3, gemma3_text).
// It feeds Gemma 3 position ids from 1, not 0: RoPE only sees position differences, so the tokens agree.
// q8 and q4: block-quantized weights (com.microsoft MatMulNBits) load there too.
const CASES: { architecture?: TinyArchitecture; quantize?: GraphQuantization }[] = [
  {},
  { quantize: 'q8' },
  { quantize: 'q4' },
  ...(Object.keys(TINY_ARCHITECTURES) as TinyArchitecture[]).map((architecture) => ({ architecture })),
];
for (const { architecture, quantize } of CASES) {
  test(`transformers.js loads our ${architecture ?? 'llama'}${quantize ? ` ${quantize}` : ''} folder and continues greedily with the same tokens`, async () => {
    const { dir, config, weights } = writeTinyModelFolder({ seed: 11, architecture, config: { tie_word_embeddings: false } });
    try {
      if (quantize) writeFileSync(join(dir, 'onnx', 'model.onnx'), exportInferenceOnnx(config, weights, { quantize }));
      env.allowRemoteModels = false;
      env.localModelPath = `${dirname(dir)}/`;
      const prompt = 'Alice: shall we go to the market?';
      const tokenizer = await AutoTokenizer.from_pretrained(basename(dir));
      const model = await AutoModelForCausalLM.from_pretrained(basename(dir), { dtype: 'fp32' });
      const inputs = tokenizer(prompt, { add_special_tokens: false });
      const output = (await model.generate({ ...inputs, max_new_tokens: 24, do_sample: false, repetition_penalty: 1 })) as Tensor;
      const theirs = (output.tolist() as bigint[][])[0].slice(inputs.input_ids.dims[1]).map(Number);
      await model.dispose();

      const ours = await loadInferenceModel(dir, { threads: 1 });
      const promptIds = ours.tokenizer.encode(prompt);
      assert.deepEqual(promptIds, (inputs.input_ids.tolist() as bigint[][])[0].map(Number), 'same prompt tokens');
      const params = mergeGenerationParams({ temperature: 0, repetition_penalty: 1, max_new_tokens: 24 });
      // transformers.js stops only at generation_config.json's eos; give ours the same rule.
      const eos = [ours.config.eos_token_id as number];
      const reply = await generate(ours.session, promptIds, { params, tokenizer: ours.tokenizer, eosTokenIds: eos, stopStrings: new StopStrings([]) });
      await ours.dispose();
      assert.ok(theirs.length > 0);
      assert.deepEqual(
        reply.tokens,
        theirs.filter((id) => !eos.includes(id)),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
