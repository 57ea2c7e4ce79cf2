/**
 * `persona serve` with STUDIO_HOST on an address other computers can reach and no
 * STUDIO_TOKEN: the command says why in one sentence and exits, leaving nothing running.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadPersona } from '../../../src/personas/load.ts';
import { makeProject, PERSONA } from '../../scheduler/job-fixture.ts';

test('persona serve refuses an unprotected studio on a non-local address and exits', () => {
  const root = makeProject(4);
  const file = join(root, 'personas', `${PERSONA}.yaml`);
  writeFileSync(file, `${readFileSync(file, 'utf8')}schedule:\n  cron: "0 3 * * *"\n`); // like the examples: a cron timer
  try {
    const env = {
      ...process.env,
      PERSONAS_DIR: join(root, 'personas'),
      DATA_DIR: join(root, 'data'),
      TRANSCRIPTS_DIR: join(root, 'transcripts'),
      STUDIO_HOST: '0.0.0.0',
      STUDIO_PORT: '0',
      STUDIO_TOKEN: '',
      LOG_LEVEL: 'silent',
    };
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], { env, encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.signal, null, 'the command exited by itself (nothing kept it alive)');
    assert.equal(run.status, 1);
    assert.match(run.stderr, /STUDIO_HOST is 0\.0\.0\.0, which other computers can reach: set STUDIO_TOKEN too, or keep STUDIO_HOST=127\.0\.0\.1\./);
  } finally {
    rmSync(loadPersona(join(root, 'personas'), PERSONA).base!, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
});
