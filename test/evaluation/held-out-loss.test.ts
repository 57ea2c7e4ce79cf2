/** Perplexity of the persona's words: only the words are scored, a plain --data file counts as the persona's words. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSamples } from '../../src/evaluation/held-out.ts';
import { evaluateLoss } from '../../src/evaluation/loss.ts';
import { createTokenizer, readTokenizerFiles } from '../../src/modelfmt/tokenizer.ts';
import { personaSchema } from '../../src/personas/schema.ts';
import { TINY_TEXTS, writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';

test("a plain text file is scored as the persona's words: every word token, no headers or end-of-turn", async (t) => {
  const { dir } = writeTinyModelFolder({ flavour: 'base' });
  const root = mkdtempSync(join(tmpdir(), 'persona-eval-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });
  const persona = personaSchema.parse({ id: 'tess', name: 'Tess', system_prompt: 'You are Tess.' });
  const text = TINY_TEXTS.slice(0, 4).join(' ');
  writeFileSync(join(root, 'speech.txt'), `${text}\n`);
  const samples = await fileSamples(persona, 'speech.txt', root);
  assert.ok(samples.every((s) => s.kind === 'monologue' && s.speaker === 'Tess'));

  const { tokenizerJson, tokenizerConfig } = readTokenizerFiles(dir);
  const tokenizer = createTokenizer(tokenizerJson, tokenizerConfig);
  const report = await evaluateLoss({ modelDir: dir, samples, systemPrompt: persona.system_prompt, personaName: persona.name, seqLen: 64, threads: 1 });
  // The first word token of each window is predicted from the prompt, so every word token counts.
  const wordTokens = samples.reduce((n, s) => n + tokenizer.encode(s.text.trim()).length, 0);
  assert.equal(report.tokens, wordTokens);
  assert.equal(report.windows.length, samples.length);
  assert.ok(Number.isFinite(report.loss) && report.loss > 0);
  assert.ok(Math.abs(report.perplexity - Math.exp(report.loss)) < 1e-9);
});
