// Bundled tokenizer: exact round-trip of random Unicode, agreement of ids with
// @huggingface/tokenizers, transformers.js and a reference BPE over our merges, and
// properties of the BPE trainer itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { loadTokenizer } from '../../src/modelfmt/tokenizer.ts';
import { BYTE_TO_CHAR, preTokenize } from '../../src/modelfmt/tokenizer/byte-level.ts';
import { countWords, trainBpe } from '../../src/modelfmt/tokenizer/train-bpe.ts';
import { trainAndWriteTokenizer } from '../../src/modelfmt/tokenizer/write.ts';
import { SPECIAL_TOKEN_LIST } from '../../src/modelfmt/chat-template.ts';
import { mulberry32 } from '../../src/util/random.ts';

const BASE = resolve('models/base');
const tokenizer = loadTokenizer(BASE);
const tokenizerJson = JSON.parse(readFileSync(join(BASE, 'tokenizer.json'), 'utf8'));
const tokenizerConfig = JSON.parse(readFileSync(join(BASE, 'tokenizer_config.json'), 'utf8'));

/** Deterministic, so a failing case can be reproduced. */
const rng = mulberry32;

/** Random text mixing ASCII words, whitespace, Latin-1, CJK, emoji (with modifiers and ZWJ) and combining marks. */
function randomText(random: () => number): string {
  const pools: (() => string)[] = [
    () => ['the', ' The', ' president', "'s", " don't", ' 1932', '  ', '\n', '\t', ' ', '.', ',', '!?'][Math.floor(random() * 13)],
    () => String.fromCodePoint(Math.floor(random() * 0x80)), // all of ASCII, control characters and NUL included
    () => String.fromCodePoint(0xa0 + Math.floor(random() * 0x160)),
    () => String.fromCodePoint(0x4e00 + Math.floor(random() * 0x5000)),
    () => ['👍🏽', '👨‍👩‍👧', '🇺🇸', '😀', '🦄', '❤️'][Math.floor(random() * 6)],
    () => 'e' + String.fromCodePoint(0x300 + Math.floor(random() * 0x70)),
    () => String.fromCodePoint(0x10000 + Math.floor(random() * 0x10000)),
  ];
  let text = '';
  const length = 1 + Math.floor(random() * 30);
  for (let i = 0; i < length; i++) text += pools[Math.floor(random() * pools.length)]();
  return text; // every generator above yields whole code points, so the string is well-formed UTF-16
}

test('the bundled tokenizer has 8192 tokens and the special tokens at fixed ids', () => {
  assert.equal(tokenizer.vocabSize, 8192);
  assert.deepEqual(
    SPECIAL_TOKEN_LIST.map((t) => tokenizer.tokenToId(t)),
    [0, 1, 2, 3],
  );
  assert.equal(tokenizer.eosTokenId, tokenizer.tokenToId('<|im_end|>'));
  assert.deepEqual(tokenizer.specialTokenIds, [0, 1, 2, 3]);
  assert.ok(tokenizer.stopTokenIds.includes(0) && tokenizer.stopTokenIds.includes(2));
});

test('random Unicode round-trips exactly (500 strings, emoji and combining marks included)', () => {
  const random = rng(42);
  for (let i = 0; i < 500; i++) {
    const text = randomText(random);
    const ids = tokenizer.encode(text);
    assert.equal(tokenizer.decode(ids), text, `round-trip failed for ${JSON.stringify(text)}`);
  }
});

test('English compresses well: fewer than 1.5 tokens per word', () => {
  const text = 'The Congress has been informed of the state of the Union, and the President said that the nation is at peace.';
  assert.ok(tokenizer.encode(text).length < 1.5 * text.split(' ').length);
});

test('special tokens encode to single ids and can be skipped when decoding', () => {
  const ids = tokenizer.encode('<|im_start|>Ann\nHello!<|im_end|>\n');
  assert.equal(ids[0], 1);
  assert.ok(ids.includes(2));
  assert.equal(tokenizer.decode(ids, { skipSpecialTokens: true }), 'Ann\nHello!\n');
});

/** Reference byte-level BPE over the merges in tokenizer.json (lowest rank first). */
const ranks = new Map<string, number>(tokenizerJson.model.merges.map((m: [string, string], i: number) => [`${m[0]} ${m[1]}`, i]));
function referenceEncode(text: string): number[] {
  const vocab = tokenizerJson.model.vocab as Record<string, number>;
  const ids: number[] = [];
  for (const piece of preTokenize(text)) {
    let symbols = [...new TextEncoder().encode(piece)].map((b) => BYTE_TO_CHAR[b]);
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = ranks.get(`${symbols[i]} ${symbols[i + 1]}`) ?? Infinity;
        if (rank < bestRank) [best, bestRank] = [i, rank];
      }
      if (best < 0) break;
      symbols = [...symbols.slice(0, best), symbols[best] + symbols[best + 1], ...symbols.slice(best + 2)];
    }
    ids.push(...symbols.map((s) => vocab[s]));
  }
  return ids;
}

test('ids agree with @huggingface/tokenizers, transformers.js and a reference BPE on the same tokenizer.json', async () => {
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = resolve('models');
  const transformersTokenizer = await AutoTokenizer.from_pretrained('base');
  const hf = new HfTokenizer(tokenizerJson, tokenizerConfig);
  const random = rng(7);
  const texts = [
    'Fellow-Citizens of the Senate and House of Representatives: ',
    "I don't know, Clay. It's 1932!",
    ...Array.from({ length: 100 }, () => randomText(random)),
  ];
  for (const text of texts) {
    const ours = tokenizer.encode(text);
    assert.deepEqual(hf.encode(text, { add_special_tokens: false }).ids, ours, JSON.stringify(text));
    assert.deepEqual(transformersTokenizer.encode(text, { add_special_tokens: false }), ours, JSON.stringify(text));
    assert.deepEqual(referenceEncode(text), ours, JSON.stringify(text));
  }
});

test('the trainer reaches the requested vocabulary, never merges across special tokens, and round-trips', () => {
  const texts = ['low lower lowest newer newest wider <|im_end|> widest', 'the cat sat on the mat; the cat sat.', 'naïve café 🐱🐱 🐱'];
  const counts = countWords(texts, SPECIAL_TOKEN_LIST);
  assert.ok(![...counts.keys()].some((w) => w.includes('|')), 'special tokens are cut out before counting');
  const bpe = trainBpe(counts, { vocabSize: 300, specialTokens: SPECIAL_TOKEN_LIST, minFrequency: 1 });
  assert.equal(bpe.vocab.size, 300);
  assert.ok(bpe.merges.some(([a, b]) => a + b === 'Ġcat'));
  const dir = mkdtempSync(join(tmpdir(), 'tokenizer-test-'));
  try {
    const report = trainAndWriteTokenizer(texts, dir, 290);
    assert.ok(report.vocabSize <= 290 && report.vocabSize > 270, 'stops at 290 or when no pair occurs twice');
    const small = loadTokenizer(dir);
    for (const text of [...texts, 'unseen words 🙂 ü']) assert.equal(small.decode(small.encode(text)), text);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
