/**
 * The chat templates of the supported families, as their HF tokenizer_config.json files ship
 * them, render through @huggingface/jinja with the persona's system prompt arriving intact:
 * Gemma 3 has no system role (its template folds the system prompt into the first user
 * turn), Qwen2.5 writes a default system prompt when none is given (ours must replace it),
 * Qwen3 opens a thinking block unless told not to (persona replies never think, and
 * training must see the prompt serving sends).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TokenizerConfig } from '../../../src/modelfmt/chat-render.ts';
import { renderPersonaPrompt, renderPersonaTurn, type PersonaPromptInput } from '../../../src/modelfmt/prompt.ts';

const fixture = (name: string): TokenizerConfig =>
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', `${name}.tokenizer_config.json`), 'utf8'));

const SYSTEM = 'You are Franklin Roosevelt. Speak plainly, with warmth.';
const INPUTS: Record<string, PersonaPromptInput> = {
  conversation: {
    systemPrompt: SYSTEM,
    personaName: 'FDR',
    context: [
      { speaker: 'Alice', text: 'What should we fear?', own: false },
      { speaker: 'FDR', text: 'Only fear itself.', own: true },
      { speaker: 'Bob', text: 'And the banks?', own: false },
      { speaker: 'Alice', text: 'Yes, the banks.', own: false },
    ],
  },
  monologue: { systemPrompt: SYSTEM, personaName: 'FDR', context: [] },
};

for (const family of ['qwen2.5', 'qwen3', 'gemma3']) {
  for (const [shape, input] of Object.entries(INPUTS)) {
    test(`${family} (${shape}): the persona's system prompt arrives, no default one, and training renders serving's prompt`, () => {
      const config = fixture(family);
      const prompt = renderPersonaPrompt(config, input);
      assert.ok(prompt.includes(SYSTEM), prompt);
      assert.ok(!prompt.includes('You are Qwen'), 'the template default system prompt is replaced');
      const turn = renderPersonaTurn(config, input, 'We shall recover.');
      assert.equal(turn.prompt, prompt);
      assert.equal(turn.target, 'We shall recover.');
      assert.ok(turn.end.length > 0);
      if (family === 'qwen3') assert.ok(prompt.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'), 'thinking switched off');
    });
  }
}
