/**
 * Replies that don't loop: a model wired to cycle through one phrase forever ("… the united
 * states and the united states and …") loops under the old greedy settings (a plain
 * repetition penalty of 1.1 does not break a confident cycle), but not under the persona
 * file's default sampling settings, greedy or sampled: DRY penalizes extending a repeat.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { generate } from '../../src/inference/generate.ts';
import { mergeGenerationParams, type GenerationParams } from '../../src/inference/generation-params.ts';
import { loadInferenceModel, type LoadedModel } from '../../src/inference/loaded-model.ts';
import { StopStrings } from '../../src/inference/stop-strings.ts';
import { personaSchema } from '../../src/personas/schema.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';

const CUE = 'Tell us:';
const PHRASE = ' the united states and';
let model: LoadedModel;
let dir: string;

before(async () => {
  dir = writeTinyModelFolder({
    config: { tie_word_embeddings: false, rms_norm_eps: 1e-6 },
    texts: ['Tell us: the united states and the people of the united states'],
    customize: (config, weights, tokenizer) => {
      // Zeroed layers: the logits are lm_head · norm(embedding of the last token). Each token of
      // the cycle points to the next one with a margin of 3 logits over every other token.
      for (const [name, data] of weights) if (name.startsWith('model.layers.') && !name.endsWith('norm.weight')) data.fill(0);
      for (const name of ['model.norm.weight', ...[...weights.keys()].filter((n) => n.endsWith('layernorm.weight'))]) weights.get(name)?.fill(1);
      const cycle = tokenizer.encode(PHRASE);
      const chain = [tokenizer.encode(CUE).at(-1) ?? 0, ...cycle, cycle[0]];
      const d = config.hidden_size;
      const embed = weights.get('model.embed_tokens.weight') as Float32Array;
      const head = (weights.get('lm_head.weight') as Float32Array).fill(0);
      for (let i = 0; i + 1 < chain.length; i++) {
        const e = embed.subarray(chain[i] * d, chain[i] * d + d);
        const rms = Math.sqrt(e.reduce((sum, v) => sum + v * v, 0) / d);
        for (let j = 0; j < d; j++) head[chain[i + 1] * d + j] = (3 / d) * (e[j] / rms);
      }
    },
  }).dir;
  model = await loadInferenceModel(dir, { threads: 1 });
});
after(async () => {
  await model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** The most times any run of n tokens occurs in the reply (a loop repeats long runs; DRY allows short common phrases). */
function maxRepeats(tokens: readonly number[], n = 8): number {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(',');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Math.max(0, ...counts.values());
}

const reply = (params: GenerationParams) =>
  generate(model.session, model.tokenizer.encode(CUE), {
    params,
    tokenizer: model.tokenizer,
    eosTokenIds: model.eosTokenIds,
    stopStrings: new StopStrings([]),
  });
const { bad_words: _bad, stop: _stop, ...personaDefaults } = personaSchema.parse({ id: 'p', name: 'P' }).sampling;

test('the old greedy settings loop on a confident cycle', async () => {
  const looped = await reply(mergeGenerationParams({ temperature: 0, repetition_penalty: 1.1, max_new_tokens: 60 }));
  assert.ok(maxRepeats(looped.tokens) >= 5, looped.text);
  assert.equal(maxRepeats(looped.tokens, 12) > 1, true);
  assert.match(looped.text, /the united states and the united states and the united states/);
});

test("the persona file's default settings do not loop, greedy or sampled", async () => {
  for (const overrides of [{ temperature: 0 }, {}, { seed: 7 }, { seed: 8 }]) {
    const result = await reply(mergeGenerationParams(personaDefaults, { max_new_tokens: 60, seed: 1, ...overrides }));
    assert.ok(maxRepeats(result.tokens) <= 1, `${JSON.stringify(overrides)}: ${result.text}`);
  }
});
