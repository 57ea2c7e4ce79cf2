/** A card persona's example dialogues are few-shot context when serving: before the conversation, and the first to go when room is short. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { buildPrompt, type PromptModel } from '../../src/inference/prompt-context.ts';
import { createTokenizer, readTokenizerFiles, type Tokenizer } from '../../src/modelfmt/tokenizer.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';

let dir: string;
let tokenizer: Tokenizer;
let model: (contextWindow: number) => PromptModel;
const persona = {
  name: 'Mara',
  system_prompt: 'You are {{char}}.',
  example_dialogues: '<START>\n{{user}}: Is the lamp lit?\n{{char}}: Since dusk, as always.',
};
const turns = [{ speaker: 'Sam', text: 'Evening! Busy night?' }];

before(() => {
  dir = writeTinyModelFolder().dir;
  const files = readTokenizerFiles(dir);
  tokenizer = createTokenizer(files.tokenizerJson, files.tokenizerConfig);
  model = (contextWindow) => ({ tokenizer, tokenizerConfig: files.tokenizerConfig, contextWindow });
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('example dialogues come before the conversation, as the persona and a user', () => {
  const prompt = buildPrompt(model(4096), persona, turns, 50);
  const text = tokenizer.decode(prompt.ids);
  const example = text.indexOf('Since dusk, as always.');
  assert.ok(example > 0 && text.indexOf('Is the lamp lit?') < example, text);
  assert.ok(example < text.indexOf('Evening! Busy night?'), 'the conversation follows the examples');
  assert.ok(text.includes('You are Mara.'), 'card macros in the system prompt are filled in');
  assert.equal(prompt.turnsKept, 1);
  assert.deepEqual(prompt.otherSpeakers, ['Sam']);
});

test('with little room the examples are dropped and the conversation stays', () => {
  const bare = buildPrompt(model(4096), { ...persona, example_dialogues: '' }, turns, 50).ids.length;
  const prompt = buildPrompt(model(bare + 50), persona, turns, 50);
  const text = tokenizer.decode(prompt.ids);
  assert.ok(!text.includes('Since dusk'));
  assert.ok(text.includes('Evening! Busy night?'));
  assert.equal(prompt.ids.length, bare);
});
