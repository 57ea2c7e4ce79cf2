/**
 * The decode loop on a tiny random model folder: the KV cache changes nothing, seeds make
 * sampling reproducible, streamed deltas add up to the reply in order, stop strings end and
 * trim the reply without ever streaming the stop text, UTF-8 characters are never split,
 * and an AbortSignal stops generation.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rmSync } from 'node:fs';
import { generate, type GenerationDelta } from '../../src/inference/generate.ts';
import { mergeGenerationParams } from '../../src/inference/generation-params.ts';
import { loadInferenceModel, type LoadedModel } from '../../src/inference/loaded-model.ts';
import { StopStrings } from '../../src/inference/stop-strings.ts';
import { TextStream } from '../../src/inference/text-stream.ts';
import { isPersonaError } from '../../src/errors.ts';
import { writeScriptedModelFolder, writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';

let model: LoadedModel;
let dir: string;
let prompt: number[];

before(async () => {
  dir = writeTinyModelFolder().dir;
  model = await loadInferenceModel(dir, { threads: 1 });
  prompt = model.tokenizer.encode('Hello there, how are you today?');
});
after(async () => {
  await model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const greedy = (max = 24) => mergeGenerationParams({ temperature: 0, repetition_penalty: 1, max_new_tokens: max });
const run = (params = greedy(), extra: Partial<Parameters<typeof generate>[2]> = {}) =>
  generate(model.session, prompt, { params, tokenizer: model.tokenizer, eosTokenIds: [], stopStrings: new StopStrings([]), ...extra });

test('greedy output is identical with and without the KV cache', async () => {
  const cached = await run(greedy(20));
  const recomputed = await run(greedy(20), { useKvCache: false });
  assert.equal(cached.tokens.length, 20);
  assert.deepEqual(cached.tokens, recomputed.tokens);
  assert.equal(cached.stoppedBy, 'max_new_tokens');
});

test('seeded sampling repeats exactly; another seed differs', async () => {
  const sampled = (seed: number) => run(mergeGenerationParams({ temperature: 1.5, top_k: 0, top_p: 1, max_new_tokens: 16, seed }));
  assert.deepEqual((await sampled(1)).tokens, (await sampled(1)).tokens);
  assert.notDeepEqual((await sampled(1)).tokens, (await sampled(2)).tokens);
});

test('streamed deltas arrive in order and add up to the reply', async () => {
  const deltas: GenerationDelta[] = [];
  const result = await run(greedy(30), { onDelta: (d) => deltas.push(d) });
  assert.equal(deltas.map((d) => d.text).join(''), result.text);
  assert.deepEqual(
    deltas.flatMap((d) => d.tokens),
    result.tokens,
  );
  assert.equal(result.text, model.tokenizer.decode(result.tokens).trim());
});

test('eos ends the reply without being part of it', async () => {
  const first = (await run(greedy(5))).tokens;
  const result = await run(greedy(5), { eosTokenIds: [first[2]] });
  assert.equal(result.stoppedBy, 'eos');
  assert.deepEqual(result.tokens, first.slice(0, 2));
});

test('min_new_tokens: the end of turn is banned until the reply has begun (no empty replies)', async () => {
  const first = (await run(greedy(5))).tokens;
  const empty = await run(mergeGenerationParams({ temperature: 0, repetition_penalty: 1, max_new_tokens: 5, min_new_tokens: 0 }), { eosTokenIds: [first[0]] });
  assert.deepEqual(empty.tokens, [], 'with min_new_tokens 0 the greedy first token ends the reply at once');
  const begun = await run(greedy(5), { eosTokenIds: [first[0]] });
  assert.ok(begun.tokens.length > 0, 'the default (1) forces a first token');
  assert.ok(!begun.tokens.slice(0, 1).includes(first[0]));
});

test('a stop string ends the reply, is trimmed, and is never streamed', async () => {
  const free = await run(greedy(40));
  const text = free.text;
  const stop = text.slice(Math.floor(text.length / 2), Math.floor(text.length / 2) + 3);
  assert.ok(stop.trim().length > 0, `need a usable stop string in ${JSON.stringify(text)}`);
  const streamed: string[] = [];
  const result = await run(greedy(40), { stopStrings: new StopStrings([stop]), onDelta: (d) => streamed.push(d.text) });
  assert.equal(result.stoppedBy, 'stop_string');
  assert.equal(result.text, text.slice(0, text.indexOf(stop)).trimEnd());
  assert.equal(streamed.join(''), result.text);
});

test('the other-speaker rule: a line starting with another speaker name ends the reply', () => {
  const stops = new StopStrings([], ['Alice', 'Bob']);
  assert.deepEqual(stops.find('Sure thing.\nAlice: and me?'), { index: 'Sure thing.'.length, stop: '\nAlice:' });
  assert.equal(stops.find('Bob: hi')?.index, 0, 'a reply that opens as another speaker is empty');
  assert.equal(stops.find('Alice said hi\nto Bob: yes'), undefined, 'names mid-line are fine');
  assert.equal(stops.safeLength('Sure.\nAli'), 'Sure.'.length, 'a possible speaker prefix is held back');
  assert.equal(stops.safeLength('Sure. Ali'), 'Sure. Ali'.length);
});

test('text deltas never split a UTF-8 character (emoji across byte-level tokens)', () => {
  const text = 'ok 😀 fine 👍🏽 yes';
  const ids = model.tokenizer.encode(text);
  const emojiTokens = model.tokenizer.encode('😀');
  assert.ok(emojiTokens.length > 1, 'the emoji must span several tokens for this test to mean anything');
  const stream = new TextStream(model.tokenizer);
  const deltas = ids.map((id) => stream.push(id));
  assert.ok(
    deltas.some((d) => d === ''),
    'some tokens were held back mid-character',
  );
  assert.ok(deltas.every((d) => !d.includes('\uFFFD')));
  assert.equal(deltas.join('') + stream.flush(), text);
});

test('an AbortSignal stops generation with generation_aborted and no further deltas', async () => {
  const controller = new AbortController();
  let deltas = 0;
  let afterAbort = 0;
  await assert.rejects(
    run(greedy(200), {
      signal: controller.signal,
      onDelta: () => {
        if (controller.signal.aborted) afterAbort++;
        if (++deltas === 3) controller.abort();
      },
    }),
    (e) => isPersonaError(e, 'generation_aborted'),
  );
  assert.equal(deltas, 3);
  assert.equal(afterAbort, 0);
});

test("a scripted model: the emoji streams whole, and the other speaker's line is cut and never shown", async () => {
  const cue = 'Hello there, how are you today?';
  const scripted = writeScriptedModelFolder(cue, 'Sure 😀\nAlice: no');
  const speaker = await loadInferenceModel(scripted.dir, { threads: 1 });
  try {
    const deltas: string[] = [];
    const result = await generate(speaker.session, speaker.tokenizer.encode(cue), {
      params: greedy(40),
      tokenizer: speaker.tokenizer,
      eosTokenIds: speaker.eosTokenIds,
      stopStrings: new StopStrings([], ['Alice', 'Bob']),
      onDelta: (d) => deltas.push(d.text),
    });
    assert.equal(result.text, 'Sure 😀');
    assert.equal(result.stoppedBy, 'stop_string');
    assert.equal(deltas.join(''), 'Sure 😀');
    assert.ok(deltas.includes(' 😀'), 'the emoji arrives in one delta');
    assert.ok(deltas.every((d) => !d.includes('\uFFFD') && !d.includes('Ali')));
    const unstopped = await generate(speaker.session, speaker.tokenizer.encode(cue), {
      params: greedy(40),
      tokenizer: speaker.tokenizer,
      eosTokenIds: speaker.eosTokenIds,
      stopStrings: new StopStrings([]),
    });
    assert.equal(unstopped.text, 'Sure 😀\nAlice: no');
    assert.equal(unstopped.stoppedBy, 'eos');
  } finally {
    await speaker.dispose();
    rmSync(scripted.dir, { recursive: true, force: true });
  }
});
