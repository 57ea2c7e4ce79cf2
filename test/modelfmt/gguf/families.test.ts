/**
 * Every supported family's tiny random folder (test/fixtures TINY_ARCHITECTURES) exported as
 * f32 GGUF gives llama.cpp's greedy tokens equal to ours: Llama 3 (llama3 rope as rope_freqs,
 * biases, head_dim ≠ hidden/heads), linear rope scaling, Mistral, Qwen2 (q/k/v biases), Qwen3
 * (q/k norms), Gemma 3 (norm shift, sliding window, local rotary base, final soft-cap). The
 * fixtures' features llama.cpp does not compute are set to the values real checkpoints of
 * those families ship (noted per case); those it cannot compute at all are refused by name.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../../../src/inference/generate.ts';
import { mergeGenerationParams } from '../../../src/inference/generation-params.ts';
import { loadInferenceModel } from '../../../src/inference/loaded-model.ts';
import { StopStrings } from '../../../src/inference/stop-strings.ts';
import { exportGguf } from '../../../src/modelfmt/gguf/gguf-export.ts';
import { loadLlamaCpp } from '../../fixtures/llama-cpp.ts';
import { writeTinyModelFolder, type TinyArchitecture } from '../../fixtures/tiny-model-folder.ts';

const tmp = mkdtempSync(join(tmpdir(), 'gguf-families-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const CASES: { architecture: TinyArchitecture; config?: Record<string, unknown>; ggufArch: string; seed?: number }[] = [
  { architecture: 'llama3', ggufArch: 'llama' },
  { architecture: 'llama-linear', ggufArch: 'llama' },
  // llama.cpp runs Mistral as llama with full attention: real Mistral windows (4096) only matter past 4k positions.
  { architecture: 'mistral', config: { sliding_window: null }, ggufArch: 'llama' },
  // Qwen2.5 checkpoints ship use_sliding_window false; llama.cpp has no Qwen2 window.
  { architecture: 'qwen2', config: { use_sliding_window: false }, ggufArch: 'qwen2', seed: 11 },
  { architecture: 'qwen3', ggufArch: 'qwen3' },
  // llama.cpp's Gemma 3 uses 1/√head_dim as the attention scale, the 5-local-1-global layer pattern and no attention soft-cap (as the real 270M/1B/4B configs have).
  { architecture: 'gemma3_text', config: { query_pre_attn_scalar: 16, sliding_window_pattern: 6, attn_logit_softcapping: null }, ggufArch: 'gemma3' },
];

for (const c of CASES) {
  test(`${c.architecture}: llama.cpp's greedy tokens from the f32 GGUF equal ours`, async () => {
    const dir = writeTinyModelFolder({ architecture: c.architecture, config: c.config, dir: join(tmp, c.architecture), std: 0.35, seed: c.seed }).dir;
    const file = join(tmp, `${c.architecture}.gguf`);
    exportGguf(dir, file, { quant: 'f32', name: c.architecture });
    const ours = await loadInferenceModel(dir, { threads: 1 });
    const cpp = await loadLlamaCpp(file);
    try {
      assert.equal(cpp.model.fileInfo.metadata.general.architecture, c.ggufArch);
      const prompt = ours.tokenizer.encode('Hello there, how are you today? The weather is nice.');
      const params = mergeGenerationParams({ temperature: 0, repetition_penalty: 1, max_new_tokens: 12, min_new_tokens: 0 });
      const expected = (
        await generate(ours.session, prompt, { params, tokenizer: ours.tokenizer, eosTokenIds: ours.tokenizer.stopTokenIds, stopStrings: new StopStrings([]) })
      ).tokens;
      assert.ok(expected.length >= 6, `a reply long enough to compare (${expected.length})`);
      assert.deepEqual(await cpp.greedy(prompt, 12), expected);
    } finally {
      await cpp.dispose();
      await ours.dispose();
    }
  });
}

test('features llama.cpp cannot compute are refused by name (dynamic rope, Gemma attention soft-cap)', () => {
  const dynamic = writeTinyModelFolder({ architecture: 'llama-dynamic', dir: join(tmp, 'dynamic') }).dir;
  assert.throws(() => exportGguf(dynamic, join(tmp, 'dynamic.gguf'), { quant: 'f32', name: 'x' }), /rope_scaling "dynamic"/);
  const gemma = writeTinyModelFolder({ architecture: 'gemma3_text', dir: join(tmp, 'gemma-capped') }).dir;
  assert.throws(() => exportGguf(gemma, join(tmp, 'gemma.gguf'), { quant: 'f32', name: 'x' }), /attention soft-capping/);
});
