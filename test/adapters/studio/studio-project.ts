/**
 * A temp project for the studio tests, served in-process by the real `persona serve` on
 * 127.0.0.1:0: the job tests' "tiny" persona (display name FDR) whose base is a tiny random
 * Llama, with approved samples to train on and nothing trained yet, like the example
 * personas on a first run.
 */
import { rmSync } from 'node:fs';
import { loadConfig } from '../../../src/config/config.ts';
import { serve, type Server } from '../../../src/app/serve-process.ts';
import { loadPersona } from '../../../src/personas/load.ts';
import { approveSamples, makeProject, openProject, PERSONA } from '../../scheduler/job-fixture.ts';

export { PERSONA };

export interface StudioProject {
  root: string;
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startStudioProject(env: Record<string, string> = {}): Promise<StudioProject> {
  const root = makeProject(4);
  const seeded = await openProject(root);
  await approveSamples(seeded.store, 12);
  await seeded.engine.dispose();
  await seeded.store.close();
  const config = loadConfig({ root, env: { ORT_THREADS: '1', LOG_LEVEL: 'silent', STUDIO_PORT: '0', ...env } });
  const baseDir = loadPersona(config.PERSONAS_DIR, PERSONA).base!; // the tiny model, in its own temp folder
  const server = await serve(config);
  const url = server.adapters.find((adapter) => adapter.name === 'studio')?.url;
  if (!url) throw new Error('persona serve started no studio');
  return {
    root,
    server,
    url,
    async close() {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
      rmSync(baseDir, { recursive: true, force: true });
    },
  };
}
