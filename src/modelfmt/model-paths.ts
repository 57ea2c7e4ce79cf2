/**
 * Where model version folders live under the data directory: DATA_DIR/models/<persona>/<version>/.
 * The trainer writes there, serving and the registry read there, and renaming or removing a
 * persona moves or deletes that folder; all of them take the path from here.
 */
import { join } from 'node:path';

/** DATA_DIR/models: the version folders of every persona (the registry's root). */
export function modelsRoot(dataDir: string): string {
  return join(dataDir, 'models');
}

/** DATA_DIR/models/<persona>: one persona's version folders. */
export function personaModelsDir(dataDir: string, personaId: string): string {
  return join(modelsRoot(dataDir), personaId);
}
