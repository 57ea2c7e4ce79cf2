/** Snapshots: approved samples only, edits win, exemplary weighs more, a stable split and a content version. */
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/index.ts';
import { addDrafts, decide } from '../../src/curation/index.ts';
import { EXEMPLARY_WEIGHT, loadDatasetSnapshot, splitOf } from '../../src/datasets/index.ts';
import { personaSchema, type Persona } from '../../src/personas/schema.ts';
import { draft } from '../curation/helpers.ts';

let dir: string;
let store: Store;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'persona-snapshot-'));
  store = await openStore(`sqlite://${join(dir, 'persona.sqlite')}`);
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const persona = (id: string, fraction = 0.2): Persona => personaSchema.parse({ id, name: 'Snap Shot', dataset: { validation_fraction: fraction } });
const texts = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => draft('grow', `p${from + i}`, `Distinct sentence number ${from + i} about the republic.`));

it('a sample never changes split as the dataset grows, and the split follows the fraction', async () => {
  const p = persona('grow');
  await addDrafts(store, texts(200), { trusted: true });
  const small = await loadDatasetSnapshot(store, p);
  const placed = new Map<string, string>([...small.train.map((s) => [s.id, 'train'] as const), ...small.validation.map((s) => [s.id, 'validation'] as const)]);
  assert.equal(placed.size, 200);

  await addDrafts(store, texts(800, 200), { trusted: true });
  const large = await loadDatasetSnapshot(store, p);
  for (const s of large.train) if (placed.has(s.id)) assert.equal(placed.get(s.id), 'train');
  for (const s of large.validation) if (placed.has(s.id)) assert.equal(placed.get(s.id), 'validation');
  assert.equal(large.train.length + large.validation.length, 1000);
  assert.ok(Math.abs(large.validation.length / 1000 - 0.2) < 0.04, `validation share ${large.validation.length / 1000}`);
  assert.notEqual(large.version, small.version);
  for (const s of large.validation) assert.equal(splitOf(s.id, 0.2), 'validation');
});

it('the version is a content hash: same data same version, any edit a new one', async () => {
  const p = persona('ver');
  const drafts = [draft('ver', '1', 'One nation, indivisible.'), draft('ver', '2', 'Government of the people.')];
  await addDrafts(store, drafts, { trusted: true });
  const first = await loadDatasetSnapshot(store, p);
  assert.equal((await loadDatasetSnapshot(store, p)).version, first.version);
  await decide(store, { sampleId: drafts[0].id, action: 'edit', text: 'One nation, under the sky, indivisible.', by: 'ed', via: 'cli' });
  const edited = await loadDatasetSnapshot(store, p);
  assert.notEqual(edited.version, first.version);
  const all = [...edited.train, ...edited.validation];
  assert.ok(
    all.some((s) => s.text === 'One nation, under the sky, indivisible.'),
    'edited text wins',
  );
  assert.ok(!all.some((s) => s.text === 'One nation, indivisible.'));
});

it('holds approved samples only, with exemplary ones weighted higher', async () => {
  const p = persona('mix', 0);
  const [a, b, c] = [draft('mix', 'a', 'Approved words.'), draft('mix', 'b', 'Rejected words.'), draft('mix', 'c', 'Pending words.')];
  await addDrafts(store, [a, b, c]);
  await decide(store, { sampleId: a.id, action: 'exemplary', by: 'x', via: 'slack' });
  await decide(store, { sampleId: b.id, action: 'reject', by: 'x', via: 'slack' });
  const snapshot = await loadDatasetSnapshot(store, p);
  assert.deepEqual(snapshot.validation, []);
  assert.deepEqual(
    snapshot.train.map((s) => [s.text, s.weight]),
    [['Approved words.', EXEMPLARY_WEIGHT]],
  );
});
