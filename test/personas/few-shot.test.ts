/** A card persona's example dialogues are few-shot context when serving: before the conversation, and the first to go when room is short. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPrompt } from '../../src/inference/prompt-context.ts';
import { useTinyPromptModel } from '../fixtures/tiny-prompt-model.ts';

const tiny = useTinyPromptModel();
const persona = {
  name: 'Mara',
  system_prompt: 'You are {{char}}.',
  example_dialogues: '<START>\n{{user}}: Is the lamp lit?\n{{char}}: Since dusk, as always.',
};
const turns = [{ speaker: 'Sam', text: 'Evening! Busy night?' }];

test('example dialogues come before the conversation, as the persona and a user', () => {
  const prompt = buildPrompt(tiny.model(4096), persona, turns, 50);
  const text = tiny.tokenizer.decode(prompt.ids);
  const example = text.indexOf('Since dusk, as always.');
  assert.ok(example > 0 && text.indexOf('Is the lamp lit?') < example, text);
  assert.ok(example < text.indexOf('Evening! Busy night?'), 'the conversation follows the examples');
  assert.ok(text.includes('You are Mara.'), 'card macros in the system prompt are filled in');
  assert.equal(prompt.turnsKept, 1);
  assert.deepEqual(prompt.otherSpeakers, ['Sam']);
});

test('with little room the examples are dropped and the conversation stays', () => {
  const bare = buildPrompt(tiny.model(4096), { ...persona, example_dialogues: '' }, turns, 50).ids.length;
  const prompt = buildPrompt(tiny.model(bare + 50), persona, turns, 50);
  const text = tiny.tokenizer.decode(prompt.ids);
  assert.ok(!text.includes('Since dusk'));
  assert.ok(text.includes('Evening! Busy night?'));
  assert.equal(prompt.ids.length, bare);
});
