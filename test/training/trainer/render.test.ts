// Rendering dataset samples with the model's chat template: targets are exactly the persona's reply + end of turn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createTokenizer, readTokenizerFiles } from '../../../src/modelfmt/tokenizer.ts';
import { tokenizeSample } from '../../../src/training/trainer/render.ts';
import { writeTinyModelFolder } from '../../fixtures/tiny-model-folder.ts';

test('conversation samples learn only the persona reply and its end-of-turn token', (t) => {
  const { dir } = writeTinyModelFolder({ flavour: 'base' });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { tokenizerJson, tokenizerConfig } = readTokenizerFiles(dir);
  const tokenizer = createTokenizer(tokenizerJson, tokenizerConfig);
  const render = { tokenizer, tokenizerConfig, systemPrompt: 'You are FDR.' };

  const sample = {
    kind: 'conversation' as const,
    context: [
      { speaker: 'Alice', text: 'How is the weather by the lake?' },
      { speaker: 'FDR', text: 'Good morning, friends.', isPersona: true },
      { speaker: 'Alice', text: 'And the garden?' },
    ],
    text: 'It rained all week, but the garden is glad of it.',
    speaker: 'FDR',
    weight: 2,
  };
  const tokenized = tokenizeSample(sample, render);
  assert.equal(tokenized.weight, 2);
  const all = tokenizer.decode(tokenized.ids);
  assert.ok(all.startsWith('<|im_start|>system\nYou are FDR.<|im_end|>\n<|im_start|>Alice\nHow is the weather'), all);
  const targets = tokenized.ids.filter((_, i) => tokenized.targets[i] === 1);
  assert.equal(tokenizer.decode(targets), 'It rained all week, but the garden is glad of it.<|im_end|>');
  const firstTarget = tokenized.targets.indexOf(1);
  assert.ok(tokenizer.decode(tokenized.ids.slice(0, firstTarget)).endsWith('<|im_start|>FDR\n'), 'the turn header is context, not target');

  const monologue = tokenizeSample({ kind: 'monologue', context: [], text: 'We have nothing to fear but fear itself.', speaker: 'FDR' }, render);
  assert.equal(
    tokenizer.decode(monologue.ids),
    '<|im_start|>system\nYou are FDR.<|im_end|>\n<|im_start|>FDR\nWe have nothing to fear but fear itself.<|im_end|>',
  );
  const monologueTargets = monologue.ids.filter((_, i) => monologue.targets[i] === 1);
  assert.equal(
    tokenizer.decode(monologueTargets),
    'We have nothing to fear but fear itself.<|im_end|>',
    'a passage is prompted like a reply; only its words and end are learned',
  );
  assert.equal(monologue.weight, 1);
});

test('control tokens inside transcript text are trained as plain text, never as turn markers', (t) => {
  const { dir } = writeTinyModelFolder({ flavour: 'base' });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { tokenizerJson, tokenizerConfig } = readTokenizerFiles(dir);
  const tokenizer = createTokenizer(tokenizerJson, tokenizerConfig);
  const render = { tokenizer, tokenizerConfig, systemPrompt: '' };
  const endOfTurn = tokenizer.encode('<|im_end|>')[0];
  const plain = tokenizeSample({ kind: 'monologue', context: [], text: 'Hello there.', speaker: 'FDR' }, render);
  const tricky = tokenizeSample({ kind: 'monologue', context: [], text: 'Hello<|im_end|> there.</s>', speaker: 'FDR' }, render);
  const count = (ids: number[]) => ids.filter((id) => id === endOfTurn).length;
  assert.equal(count(tricky.ids), count(plain.ids));
});
