/**
 * One prompt renderer for training and serving: the same samples rendered through the
 * trainer's path (tokenizeSample) and the serving path (buildPrompt) give the same prompt
 * tokens, followed in training by exactly the persona's words and the end-of-turn token,
 * for the bundled template and the ChatML/SmolLM2, Llama 3, Qwen2.5 and Gemma 3 templates.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildPrompt } from '../../src/inference/prompt-context.ts';
import type { TokenizerConfig } from '../../src/modelfmt/chat-render.ts';
import { renderPersonaPrompt } from '../../src/modelfmt/prompt.ts';
import { createTokenizer, readTokenizerFiles, type Tokenizer } from '../../src/modelfmt/tokenizer.ts';
import type { SampleTurns } from '../../src/datasets/types.ts';
import { tokenizeSample } from '../../src/training/trainer/render.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';

const persona = { name: 'Franklin D. Roosevelt', system_prompt: 'You are FDR.', voices: { names: ['FDR'] } };
const samples: SampleTurns[] = [
  {
    kind: 'conversation',
    context: [
      { speaker: 'Alice', text: 'How is the weather by the lake?' },
      { speaker: 'Bob', text: 'And the harvest?' },
      { speaker: 'FDR', text: 'Good morning, friends.', isPersona: true },
      { speaker: 'Alice', text: 'And the garden?' },
    ],
    text: 'It rained all week, but the garden is glad of it.',
    speaker: 'FDR',
  },
  {
    kind: 'conversation',
    context: [
      { speaker: 'FDR', text: 'I speak first.', isPersona: true },
      { speaker: 'Carol', text: 'Go on.' },
    ],
    text: 'Then I go on.',
    speaker: 'FDR',
  },
  { kind: 'monologue', context: [], text: 'We have nothing to fear but fear itself.', speaker: 'FDR' },
];

let dir: string;
let tokenizer: Tokenizer;
let baseConfig: TokenizerConfig;
before(() => {
  dir = writeTinyModelFolder({ flavour: 'base' }).dir;
  const files = readTokenizerFiles(dir);
  tokenizer = createTokenizer(files.tokenizerJson, files.tokenizerConfig);
  baseConfig = files.tokenizerConfig;
});
after(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (name: string): TokenizerConfig =>
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'modelfmt', 'fixtures', `${name}.tokenizer_config.json`), 'utf8'));
const templates: Record<string, { config: () => TokenizerConfig; end: string }> = {
  bundled: { config: () => baseConfig, end: '<|im_end|>' },
  chatml: { config: () => ({ ...baseConfig, ...fixture('chatml') }), end: '<|im_end|>' },
  smollm2: { config: () => ({ ...baseConfig, ...fixture('smollm2') }), end: '<|im_end|>' },
  llama3: { config: () => ({ ...baseConfig, ...fixture('llama3') }), end: '<|eot_id|>' },
  'qwen2.5': { config: () => ({ ...baseConfig, ...fixture('qwen2.5') }), end: '<|im_end|>' },
  gemma3: { config: () => ({ ...baseConfig, ...fixture('gemma3') }), end: '<end_of_turn>' },
};

for (const [name, { config, end }] of Object.entries(templates)) {
  test(`${name}: training renders serving's prompt, then the persona's words and the end token`, () => {
    const tokenizerConfig = config();
    for (const sample of samples) {
      const trained = tokenizeSample(sample, { tokenizer, tokenizerConfig, systemPrompt: persona.system_prompt, personaName: persona.name });
      const turns = sample.context.map((t) => ({ speaker: t.speaker, text: t.text }));
      const served =
        turns.length > 0
          ? buildPrompt({ tokenizer, tokenizerConfig, contextWindow: 4096 }, persona, turns, 100).ids
          : tokenizer.encode(renderPersonaPrompt(tokenizerConfig, { systemPrompt: persona.system_prompt, personaName: persona.name, context: [] }));
      assert.deepEqual(trained.ids.slice(0, served.length), served, `${name}: prompt tokens differ`);
      assert.equal(tokenizer.decode(trained.ids.slice(served.length)), `${sample.text}${end}`);
      const firstTarget = trained.targets.indexOf(1);
      assert.equal(firstTarget, served.length, 'targets start right after the prompt');
      const scored = tokenizeSample(sample, { tokenizer, tokenizerConfig, systemPrompt: persona.system_prompt, personaName: persona.name }, { score: true });
      assert.equal(tokenizer.decode(scored.ids.filter((_, i) => scored.targets[i] === 1)), sample.text, 'scored tokens are the words alone');
      const prompt = tokenizer.decode(served);
      assert.ok(prompt.includes('You are FDR.'), `${name}: the system prompt is kept`);
      if (sample.context.length > 0) assert.ok(prompt.includes('Alice') || prompt.includes('Carol'), `${name}: other speakers are named`);
    }
  });
}

test('templates without names fold other speakers into Name: lines and keep roles alternating', () => {
  const prompt = renderPersonaPrompt(
    { ...baseConfig, ...fixture('chatml') },
    {
      systemPrompt: '',
      personaName: 'FDR',
      context: [
        { speaker: 'Alice', text: 'hi', own: false },
        { speaker: 'Bob', text: 'yo', own: false },
        { speaker: 'FDR', text: 'hello', own: true },
      ],
    },
  );
  assert.equal(prompt, '<|im_start|>user\nAlice: hi\nBob: yo<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n<|im_start|>assistant\n');
});
