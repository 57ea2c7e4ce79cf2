/**
 * The studio's persona list carries the demo-base notice the chat page shows: set when the
 * persona's base is the bundled demo base (recognised by its model card), null otherwise.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.ts';
import { DEMO_BASE_CARD_TITLE } from '../../src/hub/base-location.ts';
import { loadPersona } from '../../src/personas/load.ts';
import { PERSONA, startStudioProject } from '../adapters/studio/studio-project.ts';

test('GET /api/personas says which personas answer with the demo base', async () => {
  const project = await startStudioProject();
  try {
    const list = async () =>
      ((await (await fetch(`${project.url}api/personas`)).json()) as { id: string; demoBaseNotice: string | null }[]).find((p) => p.id === PERSONA)!;
    assert.equal((await list()).demoBaseNotice, null, 'a random tiny base is not the demo base');
    const baseDir = loadPersona(loadConfig({ root: project.root }).PERSONAS_DIR, PERSONA).base!;
    const card = join(baseDir, 'README.md');
    writeFileSync(card, `${DEMO_BASE_CARD_TITLE} (0.0M parameters)\n`);
    try {
      assert.match((await list()).demoBaseNotice ?? '', /is built on the bundled demo base.*npx persona base pull/);
    } finally {
      rmSync(card);
    }
  } finally {
    await project.close();
  }
});
