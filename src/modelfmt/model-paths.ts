/**
 * Where a persona's models live under the data directory: its version folders in
 * DATA_DIR/models/<persona>/<version>/ and its training run's checkpoint and metrics log in
 * DATA_DIR/checkpoints/<persona>/. The trainer writes there, serving and the registry read
 * there, and renaming or removing a persona moves or deletes both; all take the paths from here.
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

/** DATA_DIR/checkpoints/<persona>: the running or interrupted training run's checkpoint and metrics. */
export function personaCheckpointsDir(dataDir: string, personaId: string): string {
  return join(dataDir, 'checkpoints', personaId);
}
