/**
 * Which model folder answers for a persona: `base` is the persona's `base:` (a folder or a
 * cached Hub id, resolved by src/hub/base-location.ts) or the bundled BASE_MODEL_DIR; a
 * version is DATA_DIR/models/<persona>/<version>/ as the trainer writes it; with no choice, the newest version folder (version ids sort by creation time)
 * or the base when the persona has never been trained.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { PersonaError } from '../errors.js';
import { resolveBaseDir } from '../hub/base-location.js';
import { personaModelsDir as modelsDirOf } from '../modelfmt/model-paths.js';
import type { Persona } from '../personas/schema.js';

export interface ModelChoice {
  /** 'base' or a version id. */
  version: string;
  dir: string;
}

export function personaModelsDir(config: Config, personaId: string): string {
  return modelsDirOf(config.DATA_DIR, personaId);
}

/** Complete version folders (hidden temp folders of an unfinished write are skipped), oldest first. */
export function listVersions(config: Config, personaId: string): string[] {
  const dir = personaModelsDir(config, personaId);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && existsSync(join(dir, entry.name, 'config.json')))
    .map((entry) => entry.name)
    .sort();
}

export function baseModelChoice(config: Config, persona: Pick<Persona, 'base'>): ModelChoice {
  return { version: 'base', dir: resolveBaseDir(config, persona.base) };
}

export function resolveModelChoice(config: Config, persona: Pick<Persona, 'id' | 'base'>, requested?: string): ModelChoice {
  if (requested === 'base') return baseModelChoice(config, persona);
  const versions = listVersions(config, persona.id);
  if (requested === undefined) {
    const newest = versions.at(-1);
    return newest ? { version: newest, dir: join(personaModelsDir(config, persona.id), newest) } : baseModelChoice(config, persona);
  }
  if (!versions.includes(requested)) {
    throw new PersonaError(
      'model_not_found',
      `Persona "${persona.id}" has no model version "${requested}" in ${personaModelsDir(config, persona.id)} (choose base${versions.length ? ` or one of ${versions.join(', ')}` : ''}).`,
      { persona: persona.id, version: requested },
    );
  }
  return { version: requested, dir: join(personaModelsDir(config, persona.id), requested) };
}
