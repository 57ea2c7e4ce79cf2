/**
 * Ingest builds the samples a curator would (issue #21): a double post is one message and
 * a counted duplicate, a partly labelled subtitle file is the chosen speaker's talk, and
 * `--trusted` over pending material approves it (never what a curator rejected). Every
 * ingest run twice stays idempotent.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decide, listSamples, runIngest } from '../../src/curation/index.ts';
import { onEveryBackend } from '../store/backends.ts';
import { adaPersona } from '../ingest/helpers.ts';

const root = mkdtempSync(join(tmpdir(), 'persona-curator-'));
const at = (s: number) => `2024-01-01T10:00:${String(s).padStart(2, '0')}Z`;
const author = { id: '111', name: 'Ada Lovelace' };
writeFileSync(
  join(root, 'double.json'),
  JSON.stringify({
    guild: { id: '1' },
    channel: { id: '2', name: 'garden' },
    messages: [
      { id: '20', type: 'Default', timestamp: at(0), content: 'What do you do with fallen leaves?', author: { id: '5', name: 'Bob' } },
      { id: '21', type: 'Default', timestamp: at(5), content: 'Leaves are free gold! Compost them all.', author },
      { id: '22', type: 'Default', timestamp: at(6), content: 'Leaves are free gold! Compost them all.', author },
      { id: '23', type: 'Default', timestamp: at(9), content: 'Then spread it in spring.', author },
    ],
  }),
);
writeFileSync(
  join(root, 'talk.vtt'),
  'WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nWelcome to this talk about compost heaps.\n\n' +
    '00:00:04.500 --> 00:00:08.000\n<v Mara Quill>Leaves are free gold for a garden.\n\n' +
    '00:00:08.500 --> 00:00:12.000\nTurn the heap every week and keep it damp.\n',
);
writeFileSync(
  join(root, 'panel.vtt'),
  'WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nGood evening and welcome.\n\n' +
    '00:00:04.500 --> 00:00:08.000\n<v Host>What is your secret, Mara?\n\n' +
    '00:00:08.500 --> 00:00:12.000\n<v Mara Quill>Patience and worms, mostly.\n\n' +
    '00:00:12.500 --> 00:00:15.000\nAnd a lot of leaves.\n',
);
writeFileSync(
  join(root, 'own.txt'),
  'First paragraph of my own notes on gardens.\n\nSecond paragraph, about worms and leaves.\n\nThird paragraph, about winter.',
);

onEveryBackend('curator-grade ingest', (store) => {
  const persona = adaPersona();

  it('a double post is one message, counted as a duplicate, its text never repeated; a re-run adds nothing', async () => {
    const first = await runIngest(store(), { ...persona, id: 'dbl' }, ['double.json'], { root });
    assert.equal(first.duplicates, 1);
    const [sample] = await listSamples(store(), 'dbl', 'pending');
    assert.equal(sample.text, 'Leaves are free gold! Compost them all.\nThen spread it in spring.');
    const again = await runIngest(store(), { ...persona, id: 'dbl' }, ['double.json'], { root });
    assert.deepEqual({ added: again.added, existing: again.existing }, { added: 0, existing: 1 });
  });

  it('unlabelled cues take the chosen speaker when the labelled cues are that speaker; several speakers keep labels', async () => {
    const talk = await runIngest(store(), { ...persona, id: 'vtt' }, ['talk.vtt'], { root, speaker: 'Mara Quill' });
    assert.deepEqual(talk.attribution, { labelled: 1, chosen_speaker: 2 });
    const samples = await listSamples(store(), 'vtt', 'pending');
    assert.equal(
      samples.map((s) => s.text).join(' '),
      'Welcome to this talk about compost heaps. Leaves are free gold for a garden. Turn the heap every week and keep it damp.',
    );
    assert.ok(samples.every((s) => s.speaker === 'Mara Quill' && s.context.length === 0));

    const panel = await runIngest(store(), { ...persona, id: 'panel' }, ['panel.vtt'], { root, speaker: 'Mara Quill' });
    assert.deepEqual(panel.attribution, { labelled: 2, previous_label: 1, unknown: 1 });
    const [answer] = await listSamples(store(), 'panel', 'pending');
    assert.equal(answer.text, 'Patience and worms, mostly.\nAnd a lot of leaves.');
    assert.deepEqual(
      answer.context.map((t) => t.speaker),
      ['unknown', 'Host'],
    );
    const again = await runIngest(store(), { ...persona, id: 'vtt' }, ['talk.vtt'], { root, speaker: 'Mara Quill' });
    assert.equal(again.added, 0);
  });

  it('--trusted approves matching pending samples as the ingest, with who and when, and leaves rejected ones', async () => {
    const own = { ...persona, id: 'trust' };
    await runIngest(store(), own, ['own.txt'], { root });
    const pending = await listSamples(store(), 'trust', 'pending');
    assert.equal(pending.length, 3);
    await decide(store(), { sampleId: pending[2].id, action: 'reject', by: 'curator', via: 'cli' });

    const trusted = await runIngest(store(), own, ['own.txt'], { root, trusted: true, by: 'ada' });
    assert.deepEqual({ added: trusted.added, approved: trusted.approvedPending, rejected: trusted.keptRejected }, { added: 0, approved: 2, rejected: 1 });
    const approved = await listSamples(store(), 'trust', 'approved');
    assert.equal(approved.length, 2);
    for (const sample of approved) {
      assert.deepEqual({ by: sample.decidedBy, via: sample.decidedVia }, { by: 'ada', via: 'ingest' });
      assert.equal(sample.history.at(-1)?.where, 'own.txt');
      assert.ok(Math.abs((sample.decidedAt ?? 0) - Date.now()) < 60_000);
    }
    assert.equal((await listSamples(store(), 'trust', 'rejected')).length, 1);
    const again = await runIngest(store(), own, ['own.txt'], { root, trusted: true, by: 'ada' });
    assert.deepEqual({ added: again.added, approved: again.approvedPending, rejected: again.keptRejected }, { added: 0, approved: 0, rejected: 1 });
  });
});
