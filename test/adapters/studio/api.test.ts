/**
 * The studio API where the browser tests cannot reach: the server's own refusal of oversized
 * and unreadable uploads (the page refuses big files before sending them), an earlier upload
 * surviving a refused one of the same name, two tabs deciding one candidate at the same
 * instant — whatever each chose, one decision counts and the other tab hears who won — and a
 * training run the machine cannot hold refused before it is queued, as `persona train` does.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { listSamples } from '../../../src/curation/index.ts';
import { PERSONA, startStudioProject, type StudioProject } from './studio-project.ts';

let project: StudioProject;
before(async () => {
  project = await startStudioProject();
});
after(() => project.close());

const upload = (name: string, body: Buffer | string) =>
  fetch(`${project.url}api/personas/${PERSONA}/uploads?filename=${encodeURIComponent(name)}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
const uploaded = (name: string) => join(project.root, 'transcripts', PERSONA, 'uploads', name);

test('uploads over the size limit are refused by the server with the limit', async () => {
  const answer = await upload('huge.txt', Buffer.alloc(50 * 2 ** 20 + 1, 0x61));
  assert.equal(answer.status, 413);
  assert.match((await answer.json()).error, /^That upload is larger than 50 MB; split it or use `persona ingest`\.$/);
  assert.equal(existsSync(uploaded('huge.txt')), false);
});

test('an unreadable upload is refused with the reason and leaves an earlier file of that name in place', async () => {
  const good = await upload('notes.txt', 'Alice: How are you?\nFDR: We are well, and the nation is strong.\n');
  assert.equal(good.status, 200);
  assert.equal((await good.json()).added, 1);
  const binary = await upload('notes.txt', Buffer.from([0x00, 0xff, 0x00, 0xfe, 0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]));
  assert.equal(binary.status, 415);
  assert.match((await binary.json()).error, /^notes\.txt was not imported: .+\.$/);
  assert.match(readFileSync(uploaded('notes.txt'), 'utf8'), /the nation is strong/, 'the first upload is still there');
});

test('two tabs deciding the same candidate at once: one decision counts, the other tab is told who decided', async () => {
  await upload('meeting.txt', 'Alice: Shall we begin?\nFDR: Let us begin with the work at hand, and do it well.\n');
  const [candidate] = await listSamples(project.server.core.store, PERSONA, 'pending');
  assert.ok(candidate, 'the upload left a candidate to review');
  const decide = (action: string) =>
    fetch(`${project.url}api/review/${PERSONA}/samples/${encodeURIComponent(candidate.id)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action, expectedState: 'pending' }),
    });
  const answers = await Promise.all([decide('approve'), decide('reject')]);
  const statuses = answers.map((a) => a.status).sort();
  assert.deepEqual(statuses, [200, 409]);
  const loser = await answers.find((a) => a.status === 409)!.json();
  assert.match(loser.error, /^This candidate was already (approved|rejected) in the studio \(another tab or window\)\.$/);
  const [approved, rejected] = await Promise.all([
    listSamples(project.server.core.store, PERSONA, 'approved'),
    listSamples(project.server.core.store, PERSONA, 'rejected'),
  ]);
  const decided = [...approved, ...rejected].filter((s) => s.id === candidate.id);
  assert.equal(decided.length, 1, 'the candidate is in exactly one state');
  assert.equal(decided[0].history.length, 1, 'one decision in its history');
});

test('editing a persona file: a bad cron is refused naming the field, a good schedule applies at once', async () => {
  const file = join(project.root, 'personas', `${PERSONA}.yaml`);
  const original = readFileSync(file, 'utf8');
  const put = (yaml: string) =>
    fetch(`${project.url}api/personas/${PERSONA}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ yaml }) });
  const bad = await put(`${original}schedule:\n  cron: "every day at 3"\n`);
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /tiny\.yaml: field "schedule\.cron" is invalid: "every day at 3" is not a valid cron expression/);
  assert.equal(readFileSync(file, 'utf8'), original, 'the file was left as it was');
  assert.deepEqual(project.server.scheduler.status.scheduled, []);

  const good = await put(`${original}schedule:\n  cron: "0 3 * * *"\n`);
  assert.equal(good.status, 200);
  assert.deepEqual(project.server.scheduler.status.scheduled, [PERSONA]);
});

test('starting a run whose memory plan cannot fit: a 409 with the sentence the form shows, and no job', async () => {
  const tiny = parse(readFileSync(join(project.root, 'personas', `${PERSONA}.yaml`), 'utf8'));
  const huge = { ...tiny, id: 'huge', name: 'Huge', training: { ...tiny.training, batch_size: 100_000_000 } };
  writeFileSync(join(project.root, 'personas', 'huge.yaml'), stringify(huge));
  const start = (id: string, body: object) =>
    fetch(`${project.url}api/training/${id}/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  for (const [id, body] of [
    ['huge', {}], // the persona file's own settings
    [PERSONA, { batchSize: 100_000_000 }], // the form's
  ] as const) {
    const answer = await start(id, body);
    assert.equal(answer.status, 409, id);
    const { error, code } = await answer.json();
    assert.equal(code, 'training_memory');
    assert.match(error, /^This training run needs about .* of memory but .* is available: .*a smaller --batch-size/);
    const jobs = await (await fetch(`${project.url}api/training/${id}/jobs`)).json();
    assert.deepEqual(jobs, [], `no job recorded for ${id}`);
  }
  const { waiting, running } = project.server.scheduler.status;
  assert.deepEqual([waiting, running], [[], []], 'nothing queued');
});
