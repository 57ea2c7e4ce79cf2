// Pretraining corpus: State of the Union addresses from 1933 on (persona evaluation data)
// never enter it, by year and by content; Brown text is detagged; chat-shaped documents use
// the bundled template; the held-out split is disjoint and stable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCorpus, isHeldOut } from '../../src/pretrain/corpus.ts';
import { LAST_PRETRAINING_SOTU_YEAR, readPretrainingSotu, readSotu } from '../../src/pretrain/sotu.ts';
import { detokenize } from '../../src/pretrain/detokenize.ts';
import { parseBrownFile, extractDialogues } from '../../src/pretrain/brown.ts';

const corpus = buildCorpus();
const documents = [...corpus.train, ...corpus.heldOut];

test('only addresses up to 1932 are read for pretraining', () => {
  const addresses = readPretrainingSotu();
  assert.equal(LAST_PRETRAINING_SOTU_YEAR, 1932);
  assert.ok(addresses.length > 100);
  assert.ok(addresses.every((a) => a.year <= 1932));
  assert.ok(addresses.some((a) => a.year === 1932));
  const sotuIds = documents.filter((d) => d.source === 'sotu').map((d) => d.id);
  assert.equal(sotuIds.length, addresses.length);
  assert.ok(sotuIds.every((id) => Number(/sotu\/(\d{4})_/.exec(id)![1]) <= 1932));
});

test('no distinctive sentence of any 1933+ address appears anywhere in the corpus', () => {
  const early = new Set(readPretrainingSotu().flatMap((a) => a.text.split(/(?<=[.!?])\s+/)));
  const late = readSotu({ fromYear: 1933, toYear: 9999 });
  assert.ok(late.length > 80, 'the evaluation addresses exist');
  const corpusSentences = new Set<string>();
  for (const d of documents) for (const s of d.text.split(/(?<=[.!?])\s+|\n+/)) corpusSentences.add(s.trim());
  let checked = 0;
  for (const address of late) {
    const sentences = address.text.split(/(?<=[.!?])\s+/).filter((s) => s.split(' ').length >= 12 && !early.has(s));
    for (const sentence of [sentences[0], sentences[Math.floor(sentences.length / 2)], sentences.at(-1)]) {
      if (!sentence) continue;
      checked++;
      assert.ok(!corpusSentences.has(sentence.trim()), `${address.file} leaked: ${sentence}`);
    }
  }
  assert.ok(checked > 200);
  // Brown sample cg35 reprints Eisenhower's 1960 address: it must have been dropped.
  assert.deepEqual(corpus.decontaminated, ['brown/cg35']);
  assert.ok(!corpusSentences.has("Fifth, we have just completed a year's experience with our new space law."));
  // The check itself can see a leak: a 1932 sentence is found.
  const hoover = readPretrainingSotu()
    .find((a) => a.year === 1932)!
    .text.split(/(?<=[.!?])\s+/)[3];
  assert.ok(corpusSentences.has(hoover.trim()));
});

test('Brown text loses its part-of-speech tags and reads as sentences', () => {
  const paragraphs = parseBrownFile("\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ./.\nHe/pps didn't/dod* ;/. ;/.\n");
  assert.equal(paragraphs.length, 1);
  assert.equal(detokenize(paragraphs[0].map((t) => t.word)), 'The jury said "no evidence". He didn\'t;');
  const brown = documents.find((d) => d.id === 'brown/ca01')!;
  assert.ok(brown.text.startsWith('The Fulton County Grand Jury said Friday'));
  assert.ok(!/\/(at|nn|vbd|np)\b/.test(brown.text));
});

test('fiction dialogue becomes named speaker turns in the chat template format', () => {
  const [dialogue] = extractDialogues({
    id: 'x',
    category: 'fiction',
    paragraphs: parseBrownFile("\t``/`` Go/vb home/nr ''/'' ,/, Clay/np said/vbd ./.\n\t``/`` No/rb ''/'' ?/. ?/.\n"),
  });
  assert.deepEqual(dialogue, [
    { speaker: 'Clay', text: 'Go home' },
    { speaker: null, text: 'No?' },
  ]);
  const chat = documents.filter((d) => d.source === 'brown-dialogue');
  assert.ok(chat.length > 300);
  assert.ok(chat.every((d) => d.text.startsWith('<|im_start|>') && d.text.endsWith('<|im_end|>\n')));
  assert.ok(documents.some((d) => d.source === 'wordnet-qa' && d.text.includes('<|im_start|>user\nWhat does "')));
});

test('the held-out split is about 2%, disjoint from training and stable', () => {
  const share = corpus.heldOut.length / documents.length;
  assert.ok(share > 0.01 && share < 0.04, `held-out share ${share}`);
  const trainIds = new Set(corpus.train.map((d) => d.id));
  assert.ok(corpus.heldOut.every((d) => !trainIds.has(d.id) && isHeldOut(d.id)));
  assert.ok(new Set(corpus.heldOut.map((d) => d.source)).size >= 3);
});
