// Chat templates rendered with @huggingface/jinja: the bundled ChatML-with-names template
// and hand-written ChatML, SmolLM2 and Llama 3 templates, plus the training segments that
// mark only the persona's turns for learning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderChat, renderTrainingSegments, type ChatMessage, type TokenizerConfig } from '../../src/modelfmt/chat-render.ts';
import { isPersonaError } from '../../src/errors.ts';

const fixture = (name: string): TokenizerConfig => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', `${name}.tokenizer_config.json`), 'utf8'));
const base: TokenizerConfig = JSON.parse(readFileSync('models/base/tokenizer_config.json', 'utf8'));

const conversation: ChatMessage[] = [
  { role: 'user', name: 'Ann', content: 'How is the Union?' },
  { role: 'system', content: 'You are Abraham Lincoln.' },
  { role: 'assistant', name: 'Lincoln', content: 'The Union is strong.' },
  { role: 'user', name: 'Ann', content: 'And the Congress?' },
  { role: 'assistant', name: 'Lincoln', content: 'It is in session. 🏛️' },
];

test('the bundled template renders speaker names, system prompt first, and opens a turn for the persona', () => {
  const text = renderChat(base, conversation.slice(0, 2), { addGenerationPrompt: true, generationName: 'Lincoln' });
  assert.equal(text, '<|im_start|>system\nYou are Abraham Lincoln.<|im_end|>\n<|im_start|>Ann\nHow is the Union?<|im_end|>\n<|im_start|>Lincoln\n');
  const unnamed = renderChat(base, [{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true });
  assert.equal(unnamed, '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
  assert.equal(renderChat(base, [{ role: 'user', content: 'Hi' }], { addGenerationPrompt: false }), '<|im_start|>user\nHi<|im_end|>\n');
});

test('ChatML, SmolLM2 and Llama 3 templates render', () => {
  const messages = conversation.slice(2, 4);
  assert.equal(
    renderChat(fixture('chatml'), messages, { addGenerationPrompt: true }),
    '<|im_start|>assistant\nThe Union is strong.<|im_end|>\n<|im_start|>user\nAnd the Congress?<|im_end|>\n<|im_start|>assistant\n',
  );
  assert.ok(
    renderChat(fixture('smollm2'), messages, { addGenerationPrompt: false }).startsWith('<|im_start|>system\nYou are a helpful AI assistant named SmolLM'),
  );
  assert.equal(
    renderChat(fixture('llama3'), messages, { addGenerationPrompt: true }),
    '<|begin_of_text|><|start_header_id|>assistant<|end_header_id|>\n\nThe Union is strong.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnd the Congress?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
  );
});

for (const name of ['base', 'chatml', 'smollm2', 'llama3']) {
  test(`training segments (${name}): only assistant content plus end-of-turn is trained, and segments rebuild the rendering`, () => {
    const config = name === 'base' ? base : fixture(name);
    const segments = renderTrainingSegments(config, conversation);
    assert.equal(segments.map((s) => s.text).join(''), renderChat(config, conversation, { addGenerationPrompt: false }));
    const eot = name === 'llama3' ? '<|eot_id|>' : '<|im_end|>';
    assert.deepEqual(
      segments.filter((s) => s.train).map((s) => s.text),
      [`The Union is strong.${eot}`, `It is in session. 🏛️${eot}`],
    );
    assert.ok(!segments.filter((s) => s.train).some((s) => s.text.includes('Lincoln') || s.text.includes('assistant')));
  });
}

test('a chosen turn can be trained alone (by identity), e.g. the persona reply of one sample', () => {
  const reply = conversation[4];
  const segments = renderTrainingSegments(base, conversation, (m) => m === reply);
  assert.deepEqual(
    segments.filter((s) => s.train).map((s) => s.text),
    ['It is in session. 🏛️<|im_end|>'],
  );
});

test('a broken or missing template is a template_error naming the file', () => {
  assert.throws(
    () => renderChat({ chat_template: '{% for m in messages %}{{ m.content ' }, conversation, { addGenerationPrompt: false }, 'models/x/tokenizer_config.json'),
    (e: unknown) => isPersonaError(e, 'template_error') && e.message.includes('models/x/tokenizer_config.json'),
  );
  assert.throws(
    () => renderChat({}, conversation, { addGenerationPrompt: false }),
    (e: unknown) => isPersonaError(e, 'template_error') && /no "chat_template"/.test(e.message),
  );
});
