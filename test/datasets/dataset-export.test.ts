/** Export formats a user feeds to other tools: OpenAI JSONL, ShareGPT JSON and plain text. */
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/index.ts';
import { addDrafts } from '../../src/curation/index.ts';
import { exportDataset } from '../../src/datasets/index.ts';
import { isPersonaError } from '../../src/errors.ts';
import { personaSchema } from '../../src/personas/schema.ts';
import { draft } from '../curation/helpers.ts';

let dir: string;
let store: Store;
const persona = personaSchema.parse({ id: 'exp', name: 'Ex Port', system_prompt: 'You are Ex Port.', dataset: { validation_fraction: 0 } });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'persona-export-'));
  store = await openStore(`sqlite://${join(dir, 'persona.sqlite')}`);
  await addDrafts(
    store,
    [
      draft('exp', '1', 'A passage of my own.', { speaker: 'Ex Port' }),
      draft('exp', '2', 'Fine, thank you.', {
        speaker: 'Ex Port',
        context: [
          { speaker: 'Mary Ann', text: 'How are you?' },
          { speaker: 'Ex Port', text: 'Hello there.', isPersona: true },
        ],
      }),
    ],
    { trusted: true },
  );
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

it('openai: one messages object per line, system prompt, context roles, the reply last', async () => {
  const out = join(dir, 'out', 'data.jsonl');
  const result = await exportDataset(store, persona, { format: 'openai', out, split: 'all' });
  assert.equal(result.samples, 2);
  const lines = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const convo = lines.find((l) => l.messages.length === 4);
  assert.deepEqual(convo.messages, [
    { role: 'system', content: 'You are Ex Port.' },
    { role: 'user', name: 'Mary_Ann', content: 'How are you?' },
    { role: 'assistant', name: 'Ex_Port', content: 'Hello there.' },
    { role: 'assistant', name: 'Ex_Port', content: 'Fine, thank you.' },
  ]);
  const monologue = lines.find((l) => l.messages.length === 2);
  assert.deepEqual(monologue.messages[1], { role: 'assistant', name: 'Ex_Port', content: 'A passage of my own.' });
  assert.ok(!existsSync(`${out}.partial`));
});

it('sharegpt: a JSON array of conversations with system/human/gpt turns', async () => {
  const out = join(dir, 'data.json');
  await exportDataset(store, persona, { format: 'sharegpt', out, split: 'train' });
  const data = JSON.parse(readFileSync(out, 'utf8'));
  const convo = data.find((d: { conversations: unknown[] }) => d.conversations.length === 4);
  assert.deepEqual(convo.conversations, [
    { from: 'system', value: 'You are Ex Port.' },
    { from: 'human', value: 'Mary Ann: How are you?' },
    { from: 'gpt', value: 'Hello there.' },
    { from: 'gpt', value: 'Fine, thank you.' },
  ]);
});

it('text: speaker-labelled blocks separated by blank lines', async () => {
  const out = join(dir, 'data.txt');
  await exportDataset(store, persona, { format: 'text', out, split: 'all' });
  const blocks = readFileSync(out, 'utf8').trim().split('\n\n').sort();
  assert.deepEqual(blocks, ['Ex Port: A passage of my own.', 'Mary Ann: How are you?\nEx Port: Hello there.\nEx Port: Fine, thank you.'].sort());
});

it('an empty split fails with a sentence that says what to do', async () => {
  await assert.rejects(
    exportDataset(store, persona, { format: 'text', out: join(dir, 'v.txt'), split: 'validation' }),
    (e) => isPersonaError(e, 'dataset_empty') && /review list exp/.test(e.message),
  );
});

it('--out naming a folder writes a file inside it and leaves no .partial', async () => {
  const folder = join(dir, 'exports');
  mkdirSync(folder);
  const result = await exportDataset(store, persona, { format: 'openai', out: folder, split: 'all' });
  assert.equal(result.file, join(folder, 'exp-all.jsonl'));
  assert.equal(readFileSync(result.file, 'utf8').trim().split('\n').length, 2);
  assert.deepEqual(readdirSync(folder), ['exp-all.jsonl']);
});
