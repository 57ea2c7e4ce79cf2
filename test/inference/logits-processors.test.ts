/** Each logits processor's effect on a crafted logits vector, with Hugging Face semantics. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  badWords,
  buildLogitsProcessors,
  dry,
  minP,
  noRepeatNgram,
  repetitionPenalty,
  temperature,
  topK,
  topP,
} from '../../src/inference/logits-processors.ts';
import { DEFAULT_GENERATION_PARAMS, checkGenerationParams, mergeGenerationParams } from '../../src/inference/generation-params.ts';
import { argmax, sampleToken } from '../../src/inference/sampler.ts';
import { mulberry32 } from '../../src/util/random.ts';
import { isPersonaError } from '../../src/errors.ts';

const logits = () => Float32Array.from([2, 1, 0.5, -1, 3]);
const banned = (l: Float32Array) => [...l].flatMap((v, i) => (v === -Infinity ? [i] : []));

test('repetition_penalty divides positive and multiplies negative logits of seen tokens', () => {
  const l = logits();
  repetitionPenalty(2)(l, [0, 3, 0]);
  assert.deepEqual([...l], [1, 1, 0.5, -2, 3]);
});

test('repetition_penalty_window only penalizes the last tokens', () => {
  const l = logits();
  repetitionPenalty(2, 2)(l, [0, 3, 4]); // token 0 is outside the window of 2
  assert.deepEqual([...l], [2, 1, 0.5, -2, 1.5]);
});

test('DRY penalizes the token that extends a repeat, more the longer the repeat', () => {
  const options = { multiplier: 1, base: 2, allowedLength: 2, range: 100 };
  const short = logits();
  dry(options)(short, [1, 2, 3, 0, 2, 3]); // "2 3" repeats (n = 2): the 0 that followed costs 1 · 2^0
  assert.deepEqual([...short], [1, 1, 0.5, -1, 3]);
  const long = logits();
  dry(options)(long, [1, 2, 3, 0, 1, 2, 3]); // "1 2 3" repeats (n = 3): 0 costs 2^1
  assert.deepEqual([...long], [0, 1, 0.5, -1, 3]);
  const free = logits();
  dry(options)(free, [1, 3, 0, 2, 3]); // only "3" repeats: below allowed_length
  assert.deepEqual([...free], [...logits()]);
});

test('no_repeat_ngram_size bans the token that would repeat a seen n-gram', () => {
  const l = logits();
  noRepeatNgram(2)(l, [4, 1, 2, 4]); // "4 1" was seen, and the sequence ends in 4
  assert.deepEqual(banned(l), [1]);
  const l3 = logits();
  noRepeatNgram(3)(l3, [4, 1, 2, 4, 1]); // "4 1 2" seen, ends in "4 1"
  assert.deepEqual(banned(l3), [2]);
});

test('bad words: single tokens always, sequences only after their prefix', () => {
  const l = logits();
  badWords([[4], [0, 2]])(l, [1, 3]);
  assert.deepEqual(banned(l), [4]);
  const l2 = logits();
  badWords([[4], [0, 2]])(l2, [1, 0]);
  assert.deepEqual(banned(l2), [2, 4]);
});

test('temperature scales logits', () => {
  const l = logits();
  temperature(0.5)(l, []);
  assert.deepEqual([...l], [4, 2, 1, -2, 6]);
});

test('top_k keeps the k best (and ties with the k-th)', () => {
  const l = logits();
  topK(2)(l, []);
  assert.deepEqual(banned(l), [1, 2, 3]);
  const ties = Float32Array.from([1, 1, 1, 0]);
  topK(2)(ties, []);
  assert.deepEqual(banned(ties), [3]);
});

test('top_p keeps the smallest most-likely set reaching p', () => {
  const l = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]);
  topP(0.7)(l, []);
  assert.deepEqual(banned(l), [2, 3]);
  const one = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
  topP(0.1)(one, []);
  assert.deepEqual(banned(one), [1, 2], 'at least one token survives');
});

test('min_p removes tokens below min_p × the best probability', () => {
  const l = Float32Array.from([Math.log(0.6), Math.log(0.25), Math.log(0.1), Math.log(0.05)]);
  minP(0.2)(l, []); // threshold 0.12
  assert.deepEqual(banned(l), [2, 3]);
});

test('greedy decoding skips the warpers; sampling is reproducible with a seed', () => {
  const greedy = buildLogitsProcessors({ ...DEFAULT_GENERATION_PARAMS, temperature: 0, repetition_penalty: 1 });
  assert.equal(greedy.length, 0);
  assert.equal(argmax(logits()), 4);
  const draws = (seed: number) => {
    const random = mulberry32(seed);
    return Array.from({ length: 20 }, () => sampleToken(logits(), random));
  };
  assert.deepEqual(draws(42), draws(42));
  assert.notDeepEqual(draws(42), draws(43));
  const l = logits();
  topK(1)(l, []);
  assert.equal(sampleToken(l, mulberry32(1)), 4, 'a banned token is never drawn');
});

test('invalid sampling values are rejected with the field and its valid range', () => {
  const bad = [
    [{ temperature: -0.1 }, /temperature = -0.1 .*at least 0 and at most 5/],
    [{ top_p: 1.5 }, /top_p = 1.5 .*greater than 0 and at most 1/],
    [{ top_k: 2.5 }, /top_k = 2.5 .*integer/],
    [{ max_new_tokens: 0 }, /max_new_tokens = 0/],
    [{ repetition_penalty: 0 }, /repetition_penalty = 0/],
  ] as const;
  for (const [override, message] of bad) {
    assert.throws(
      () => checkGenerationParams(mergeGenerationParams(override)),
      (e) => isPersonaError(e, 'invalid_argument') && message.test(e.message),
    );
  }
  assert.doesNotThrow(() => checkGenerationParams(mergeGenerationParams({ temperature: 0, top_p: 1, min_p: 1 })));
});
