/**
 * Files into and out of Persona Studio, in headless Chromium: an unzipped Slack export
 * chosen with the folder picker is rebuilt under uploads/ and ingested like the zip; a file
 * dropped on the form is uploaded; a folder dropped on it (Chromium's own drag and drop of
 * real files, driven through the DevTools protocol, as from a file manager) is walked,
 * rebuilt and ingested the same way; a character card imported from the page
 * becomes a persona, and the card it downloads imports back to the same persona. At HTTP
 * level: folder paths that would leave the folder are refused and nothing is written.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { folderPathParts } from '../../../src/adapters/studio/routes/uploads.ts';
import { countSamples } from '../../../src/curation/index.ts';
import { loadPersona } from '../../../src/personas/load.ts';
import { openChromium } from './chromium.ts';
import { startStudioProject } from './studio-project.ts';
import { LIGHTHOUSE_KEEPER } from '../../fixtures/character-card-data.ts';

const SLACK_EXPORT = join(import.meta.dirname, '..', '..', 'fixtures', 'ingest', 'slack-export');
// One example exchange, so the import says "1 example line waits in review".
const CARD = {
  spec: 'chara_card_v2',
  spec_version: '2.0',
  data: { ...LIGHTHOUSE_KEEPER, mes_example: '<START>\n{{user}}: Is the lamp lit?\n{{char}}: Since dusk. It always is.' },
};

test('folder paths that would leave the uploaded folder are refused', () => {
  assert.deepEqual(folderPathParts('export/general/2024-01-01.json'), ['export', 'general', '2024-01-01.json']);
  assert.equal(folderPathParts('export/.DS_Store'), undefined, 'hidden entries are skipped');
  for (const bad of [
    'export/../../evil.json',
    '/etc/passwd',
    'C:/x/y.json',
    'export//a.json',
    'export/a\\..\\b.json',
    'lonely.json',
    `e/${'d/'.repeat(9)}x.json`,
  ])
    assert.throws(() => folderPathParts(bad), { code: 'invalid_argument' }, bad);
});

test('Persona Studio files: a Slack export folder, a character card in and out', { timeout: 120_000 }, async (t) => {
  const project = await startStudioProject();
  t.after(() => project.close());
  const api = (path: string, init?: RequestInit) => fetch(`${project.url}api/${path}`, init);
  const created = await api('personas', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'ada', name: 'Ada Lovelace', voices: 'Ada' }),
  });
  assert.equal(created.status, 201);
  const uploads = join(project.root, 'transcripts', 'ada', 'uploads');

  await t.test('HTTP: a traversal path in a folder upload is a 400 and writes nothing', async () => {
    const form = new FormData();
    form.append('path', 'export/users.json');
    form.append('file', new Blob(['[]']), 'users.json');
    form.append('path', 'export/../../../personas/evil.yaml');
    form.append('file', new Blob(['id: evil\n']), 'evil.yaml');
    const answer = await api('personas/ada/uploads/folder?filename=export', { method: 'POST', body: form });
    assert.equal(answer.status, 400);
    assert.match((await answer.json()).error, /contains "\." or "\.\." parts/);
    assert.equal(existsSync(join(project.root, 'personas', 'evil.yaml')), false);
    assert.equal(existsSync(join(uploads, 'export')), false);
  });

  const browser = await openChromium(t);
  if (!browser) return;
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));

  await t.test('upload a Slack export folder with the folder picker', async () => {
    await page.goto(`${project.url}#/personas/ada`);
    const form = page.getByRole('form', { name: 'Upload transcripts or chat exports' });
    await form.getByLabel('Folder', { exact: true }).setInputFiles(SLACK_EXPORT);
    await form.getByRole('button', { name: 'Upload' }).click();
    const summary = form.getByRole('status').getByText(/^slack-export \(slack\): \d+ samples? added to the review queue/);
    await summary.waitFor();
    const added = Number(/: (\d+) samples? added/.exec((await summary.textContent()) ?? '')![1]);
    assert.ok(added > 0);
    assert.equal((await countSamples(project.server.core.store, 'ada')).pending, added);
    assert.deepEqual(readdirSync(join(uploads, 'slack-export', 'general')).sort(), ['2024-01-01.json', '2024-01-02.json'], 'the folder is rebuilt');
  });

  await t.test('a file dropped on the upload form is uploaded', async () => {
    const form = page.getByRole('form', { name: 'Upload transcripts or chat exports' });
    const dataTransfer = await page.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['Charles: What is the engine for?\nAda: It weaves algebraic patterns, as a loom weaves flowers.\n'], 'dropped.txt'));
      return transfer;
    });
    await form.dispatchEvent('drop', { dataTransfer });
    await form
      .getByRole('status')
      .getByText(/^dropped\.txt \(\w+\): 1 sample added to the review queue/)
      .waitFor();
    assert.ok(existsSync(join(uploads, 'dropped.txt')));
  });

  await t.test('a folder dropped on the upload form is walked, rebuilt and ingested', async () => {
    // Nested folders: the page walks every level of the dropped entry (readEntries answers in batches).
    const letters = join(project.root, 'letters');
    mkdirSync(join(letters, '1843'), { recursive: true });
    mkdirSync(join(letters, '1844', 'march'), { recursive: true });
    writeFileSync(join(letters, '1843', 'notes.txt'), 'Charles: And the numbers of Bernoulli?\nAda: A diagram of the engine computes them, step by step.\n');
    writeFileSync(join(letters, '1844', 'march', 'reply.txt'), 'Charles: Will you come to London?\nAda: When the notes are finished, and not a day before.\n');
    const form = page.getByRole('form', { name: 'Upload transcripts or chat exports' });
    // Dropped on the heading, not on a file input (whose own drop would set its files).
    const heading = form.getByRole('heading', { name: 'Upload transcripts or chat exports' });
    await heading.scrollIntoViewIfNeeded();
    const box = (await heading.boundingBox())!;
    const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    const cdp = await browser.context.newCDPSession(page);
    const data = { items: [], files: [letters], dragOperationsMask: 1 };
    for (const type of ['dragEnter', 'dragOver', 'drop'] as const) await cdp.send('Input.dispatchDragEvent', { type, ...at, data });
    await cdp.detach();
    await form
      .getByRole('status')
      .getByText(/^letters \(\w+\): 2 samples added to the review queue/)
      .waitFor();
    assert.equal(readdirSync(join(uploads, 'letters', '1844', 'march')).join(), 'reply.txt', 'the folder is rebuilt with its nesting');
    assert.ok(existsSync(join(uploads, 'letters', '1843', 'notes.txt')));
  });

  await t.test('import a card, download it as PNG, and it imports back to the same persona', async () => {
    const cardFile = join(project.root, 'mara.json');
    writeFileSync(cardFile, JSON.stringify(CARD));
    await page.goto(`${project.url}#/personas`);
    const form = page.getByRole('form', { name: 'Import a character card' });
    await form.getByLabel('Card', { exact: true }).setInputFiles(cardFile);
    await form.getByRole('button', { name: 'Import card' }).click();
    await form.getByRole('status').getByText('Imported Mara Quill as mara-quill (Character Card V2). 1 example line waits in review.').waitFor();
    await page.waitForURL(/#\/personas\/mara-quill$/);
    const first = loadPersona(join(project.root, 'personas'), 'mara-quill');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download PNG' }).click()]);
    assert.equal(download.suggestedFilename(), 'mara-quill-card.png');
    const saved = join(project.root, 'downloaded', download.suggestedFilename());
    mkdirSync(join(project.root, 'downloaded'));
    await download.saveAs(saved);
    assert.equal((await api('personas/mara-quill', { method: 'DELETE' })).status, 200);

    await page.goto(`${project.url}#/personas`);
    await form.getByLabel('Card', { exact: true }).setInputFiles(saved);
    await form.getByRole('button', { name: 'Import card' }).click();
    await form
      .getByRole('status')
      .getByText(/^Imported Mara Quill as mara-quill \(Character Card V3\)/)
      .waitFor();
    const again = loadPersona(join(project.root, 'personas'), 'mara-quill');
    assert.ok(again.avatar, 'the PNG became the avatar');
    assert.deepEqual({ ...again, avatar: undefined }, { ...first, avatar: undefined });
  });

  assert.deepEqual(problems, []);
});
