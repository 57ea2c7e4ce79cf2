/** Held out by text: long passages are cut into sentence windows before the split, so validation gets a share of the words. */
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/index.ts';
import { addDrafts } from '../../src/curation/index.ts';
import { datasetStats, loadDatasetSnapshot } from '../../src/datasets/index.ts';
import { textWindows, WINDOW_WORDS } from '../../src/datasets/windows.ts';
import { personaSchema } from '../../src/personas/schema.ts';
import { draft } from '../curation/helpers.ts';

let dir: string;
let store: Store;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'persona-windows-'));
  store = await openStore(`sqlite://${join(dir, 'persona.sqlite')}`);
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const speech = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `In the year ${i} of the ${tag} we resolved, together and without fear, to build roads and schools for all.`).join(' ');

it('windows are whole sentences of at most WINDOW_WORDS words and keep every word in order', () => {
  const text = `${speech(40, 'republic')}\n\n${speech(5, 'union')}`;
  const windows = textWindows(text);
  assert.ok(windows.length >= 6, String(windows.length));
  for (const w of windows) {
    assert.ok(w.split(/\s+/).length <= WINDOW_WORDS, `${w.split(/\s+/).length} words`);
    assert.match(w, /[.!?]$/, 'ends at a sentence end');
  }
  assert.deepEqual(windows.join(' ').split(/\s+/), text.split(/\s+/));
});

it('a few long passages give validation a share of the words, stable as the dataset grows, with token counts', async () => {
  const persona = personaSchema.parse({ id: 'orator', name: 'Orator', dataset: { validation_fraction: 0.2 } });
  await addDrafts(
    store,
    [1, 2, 3].map((i) => draft('orator', `speech${i}`, speech(60, `speech ${i}`))),
    { trusted: true },
  );
  const small = await loadDatasetSnapshot(store, persona);
  assert.equal(small.approvedSamples, 3);
  const words = (samples: { text: string }[]) => samples.reduce((n, s) => n + s.text.split(/\s+/).length, 0);
  const share = words(small.validation) / (words(small.validation) + words(small.train));
  assert.ok(share > 0.05 && share < 0.4, `validation holds ${share} of the words from only 3 passages`);
  assert.ok(
    small.validation.every((s) => /#\d+$/.test(s.id)),
    'validation windows carry their passage id and index',
  );

  await addDrafts(
    store,
    [4, 5].map((i) => draft('orator', `speech${i}`, speech(60, `speech ${i}`))),
    { trusted: true },
  );
  const large = await loadDatasetSnapshot(store, persona);
  const before = new Set(small.validation.map((s) => s.id));
  assert.ok(
    [...before].every((id) => large.validation.some((s) => s.id === id)),
    'held-out windows stay held out',
  );
  assert.ok(!large.train.some((s) => before.has(s.id)));

  const stats = await datasetStats(store, persona, { tokenizer: { encode: (text) => text.split(/\s+/).map(() => 0) } });
  assert.equal(stats.words.validation, words(large.validation));
  assert.deepEqual(stats.tokens, { train: words(large.train), validation: words(large.validation) });
});
