/**
 * Character cards in and out: a V2 and a V3 card, each as JSON and as PNG, import into a
 * persona (PNG → avatar beside the file, example dialogues → pending samples) and export
 * back to the same card fields; bad cards name the field and write nothing.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cardContents, exportCard, importCard } from '../../src/app/persona-card.ts';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { countSamples, listSamples } from '../../src/curation/index.ts';
import { isPersonaError } from '../../src/errors.ts';
import { readCardFile } from '../../src/personas/character-card.ts';
import { placeholderPng, readCardChunks, writeCardChunk } from '../../src/personas/card-png.ts';
import { parseExampleDialogues, pickGreeting } from '../../src/personas/greeting.ts';
import { loadPersona } from '../../src/personas/load.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { Rng } from '../../src/util/random.ts';
import { LIGHTHOUSE_KEEPER } from '../fixtures/character-card-data.ts';
import { runCli } from './cli-helper.ts';

const DATA = LIGHTHOUSE_KEEPER;
const V2 = { spec: 'chara_card_v2', spec_version: '2.0', data: DATA };
const V3 = { spec: 'chara_card_v3', spec_version: '3.0', data: { ...DATA, group_only_greetings: [], creation_date: 1700000000 } };

let root: string;
let config: Config;
let store: Store;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'cards-'));
  mkdirSync(join(root, 'personas'));
  writeFileSync(join(root, 'personas', 'ada.yaml'), 'id: ada\nname: Ada\n');
  config = loadConfig({ root, env: { LOG_LEVEL: 'silent' } });
  store = await openStore(config.storeUrl);
});
after(async () => {
  await store.close();
  rmSync(root, { recursive: true, force: true });
});

function cardFile(name: string, card: unknown, as: 'json' | 'png', chunk: 'chara' | 'ccv3' = 'chara'): string {
  const file = join(root, name);
  writeFileSync(file, as === 'json' ? JSON.stringify(card) : writeCardChunk(placeholderPng(8), chunk, JSON.stringify(card)));
  return file;
}

const cases = [
  { spec: 'v2', card: V2, as: 'json', chunk: 'chara' },
  { spec: 'v2', card: V2, as: 'png', chunk: 'chara' },
  { spec: 'v3', card: V3, as: 'json', chunk: 'ccv3' },
  { spec: 'v3', card: V3, as: 'png', chunk: 'ccv3' },
] as const;

for (const [i, { spec, card, as, chunk }] of cases.entries()) {
  test(`a ${spec.toUpperCase()} card round-trips through import and export as ${as.toUpperCase()}`, async () => {
    const id = `mara-${spec}-${as}`;
    const file = cardFile(`card-${i}.${as}`, card, as, chunk);
    const imported = await importCard({ config, store }, file, { id, name: `Mara ${i}` });
    assert.equal(imported.spec, spec);
    assert.equal(imported.pendingSamples, 2, 'each {{char}} line of the example dialogues waits in review');
    const persona = loadPersona(config.PERSONAS_DIR, id);
    assert.equal(persona.greeting, DATA.first_mes);
    assert.deepEqual(persona.alternate_greetings, DATA.alternate_greetings);
    assert.equal(persona.example_dialogues, DATA.mes_example);
    const pending = await listSamples(store, id, 'pending');
    assert.deepEqual(pending.map((s) => s.text).sort(), ['Cold enough to keep\nthe gulls honest.', 'Since dusk. It always is.']);
    assert.deepEqual(pending.find((s) => s.text.startsWith('Since'))?.context, [{ speaker: 'User', text: 'Is the lamp lit?' }]);
    if (as === 'png') assert.deepEqual(readFileSync(join(config.PERSONAS_DIR, persona.avatar!)), readFileSync(file), 'the PNG itself is the avatar');
    else assert.equal(persona.avatar, undefined);

    const out = join(root, `out-${i}.${as}`);
    exportCard(config, id, out, spec);
    const back = readCardFile(out);
    assert.equal(back.spec, spec);
    const { extensions, character_book: _book, nickname: _nick, ...fields } = back.data;
    const { extensions: _none, ...expected } = DATA;
    assert.deepEqual(fields, { ...expected, name: `Mara ${i}` }, 'every mapped card field comes back');
    assert.deepEqual(extensions, { persona_builder: { id } });
    if (as === 'png') {
      assert.ok(readCardChunks(readFileSync(out), out)[chunk], `the ${chunk} chunk is written`);
      assert.deepEqual(Object.keys(readCardChunks(readFileSync(out), out)), [chunk]);
    } else assert.equal(JSON.parse(readFileSync(out, 'utf8')).spec, card.spec);
  });
}

test('bad cards name the field and write nothing', async () => {
  const before = readdirSync(config.PERSONAS_DIR).sort();
  const pendingBefore = (await countSamples(store, 'bad')).pending;
  const { name: _name, ...noName } = DATA;
  const bad: Array<[string, unknown, 'json' | 'png', RegExp, string]> = [
    ['missing name', { ...V2, data: noName }, 'json', /card field "data\.name" is invalid: missing/, 'input_malformed'],
    ['wrong-typed tags', { ...V2, data: { ...DATA, tags: 'maritime' } }, 'json', /card field "data\.tags" is invalid/, 'input_malformed'],
    ['V3 without group_only_greetings', { ...V3, data: DATA }, 'png', /card field "data\.group_only_greetings" is invalid: /, 'input_malformed'],
    ['wrong-typed V3 name', { ...V3, data: { ...V3.data, name: 42 } }, 'json', /card field "data\.name" is invalid/, 'input_malformed'],
    ['unknown spec', { ...V2, spec: 'chara_card_v9' }, 'json', /card field "spec" is invalid: "chara_card_v9"/, 'input_malformed'],
  ];
  for (const [label, card, as, message, code] of bad) {
    const file = cardFile(`bad.${as}`, card, as, 'ccv3');
    await assert.rejects(
      importCard({ config, store }, file, { id: 'bad' }),
      (e) => isPersonaError(e) && e.code === code && message.test(e.message) && e.message.includes(file),
      label,
    );
  }
  const plain = join(root, 'plain.png');
  writeFileSync(plain, placeholderPng(8));
  await assert.rejects(
    importCard({ config, store }, plain),
    (e) => isPersonaError(e, 'input_unsupported') && /no "chara" \(V2\) or "ccv3" \(V3\) tEXt chunk/.test(e.message),
  );
  writeFileSync(join(root, 'fake.png'), '{"not": "a png"}');
  await assert.rejects(importCard({ config, store }, join(root, 'fake.png')), (e) => isPersonaError(e, 'input_malformed') && /not a PNG/.test(e.message));
  const ada = cardFile('ada.json', { ...V2, data: { ...DATA, name: 'ada' } }, 'json');
  await assert.rejects(
    importCard({ config, store }, ada),
    (e) => isPersonaError(e, 'invalid_argument') && /"data\.name" \("ada"\) collides with the existing persona "ada"/.test(e.message),
  );
  assert.deepEqual(readdirSync(config.PERSONAS_DIR).sort(), before, 'no persona file or avatar written');
  assert.equal((await countSamples(store, 'bad')).pending, pendingBefore);
});

test('an uploaded card (bytes and a file name, as the studio gets it) imports and exports without files', async () => {
  const bytes = writeCardChunk(placeholderPng(8), 'chara', JSON.stringify(V2));
  const { persona } = await importCard({ config, store }, { bytes, name: '../../etc/upload.png' }, { id: 'uploaded', name: 'Uploaded Mara' });
  assert.equal(persona.avatar, 'uploaded.png');
  const json = JSON.parse(String(cardContents(config, 'uploaded', 'json', 'v2')));
  assert.equal(json.data.mes_example, DATA.mes_example);
  const png = cardContents(config, 'uploaded', 'png', 'v3') as Uint8Array;
  assert.equal(JSON.parse(readCardChunks(png, 'x.png').ccv3 ?? '{}').data.name, 'Uploaded Mara');
});

test('greetings and example dialogues fill in the card macros', () => {
  const persona = { name: 'Mara', greeting: 'Evening, {{user}}.', alternate_greetings: ['<BOT> here. Hello <user>.'] };
  assert.equal(pickGreeting(persona, { user: 'Sam' }), 'Evening, Sam.');
  const picks = new Set(Array.from({ length: 20 }, (_, i) => pickGreeting(persona, { user: 'Sam', rng: new Rng(i) })));
  assert.deepEqual([...picks].sort(), ['Evening, Sam.', 'Mara here. Hello Sam.']);
  assert.equal(pickGreeting({ name: 'X', alternate_greetings: [] }), undefined);
  assert.deepEqual(parseExampleDialogues('<START>\nMara: hi {{user}}\n{{user}}: hello\n', { char: 'Mara', user: 'Sam' }), [
    [
      { speaker: 'Mara', text: 'hi Sam', isPersona: true },
      { speaker: 'Sam', text: 'hello', isPersona: false },
    ],
  ]);
});

test('persona import and persona export --card from the command line', async () => {
  const project = mkdtempSync(join(tmpdir(), 'cards-cli-'));
  try {
    mkdirSync(join(project, 'personas'));
    writeFileSync(join(project, 'card.png'), writeCardChunk(placeholderPng(8), 'ccv3', JSON.stringify(V3)));
    const imported = await runCli(project, ['import', 'card.png']);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /Imported Mara Quill as mara-quill \(Character Card V3\) with avatar mara-quill\.png/);
    const exported = await runCli(project, ['export', 'mara-quill', '--card', 'out.json', '--spec', 'v2']);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(JSON.parse(readFileSync(join(project, 'out.json'), 'utf8')).data.first_mes, DATA.first_mes);
    const again = await runCli(project, ['import', 'card.png']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /collides with the existing persona "mara-quill"/);
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
});
