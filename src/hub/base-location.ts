/**
 * The one answer to "which folder is this persona's base": no `base:` means the bundled
 * BASE_MODEL_DIR; a path (absolute, `./…`, `~/…`, or any folder that exists relative to the
 * project) is that folder; otherwise a Hub id `org/name[@revision]` is the cached snapshot
 * that `persona base pull` wrote. Nothing here touches the network: a base missing from
 * the cache is an error quoting the exact pull command. Training, serving, evaluation and
 * export all ask this module.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Config } from '../config/config.js';
import { isPersonaError, PersonaError } from '../errors.js';
import { missingBaseFiles } from './base-files.js';
import { readRef, repoFolder, snapshotDir } from './cache.js';
import { formatHubId, parseHubId, pullCommand, type HubId } from './hub-id.js';

/** Start of the bundled base's model card (src/pretrain/model-card.ts writes it); it identifies the demo base. */
export const DEMO_BASE_CARD_TITLE = '# persona-builder base';

export function resolveBaseDir(config: Config, base: string | undefined): string {
  if (!base) return config.BASE_MODEL_DIR;
  const id = baseHubId(config, base);
  if (!id) return baseFolderPath(config, base);
  try {
    return cachedSnapshotDir(config, id);
  } catch (error) {
    if (!isPersonaError(error, 'model_not_found')) throw error;
    // `base: models/mine` with a typo reads as a Hub id too: say both readings.
    throw new PersonaError(error.code, `base "${base}": no folder ${baseFolderPath(config, base)} exists, and ${error.message}`, error.details);
  }
}

/** The Hub id a `base:` value names, or undefined when it names a folder. */
export function baseHubId(config: Config, base: string): HubId | undefined {
  return looksLikePath(base) || existsSync(baseFolderPath(config, base)) ? undefined : parseHubId(base);
}

function baseFolderPath(config: Config, base: string): string {
  return resolve(config.root, base.replace(/^~(?=$|[\\/])/, homedir()));
}

function looksLikePath(base: string): boolean {
  return isAbsolute(base) || /^(\.{1,2}|~)([\\/]|$)/.test(base) || base.includes('\\');
}

/** The complete snapshot folder of a pulled base, or an error saying how to pull it. */
export function cachedSnapshotDir(config: Config, id: HubId, offline = false): string {
  const dir = snapshotDirOf(config, id, offline);
  const missing = missingBaseFiles(dir);
  if (missing.length > 0) {
    throw new PersonaError(
      'model_not_found',
      `${formatHubId(id)} is only partly in the cache (${dir} lacks ${missing.join(', ')}): run ${pullAdvice(id, offline)} to finish it.`,
      {
        repo: id.repo,
        revision: id.revision,
      },
    );
  }
  return dir;
}

/** The snapshot folder `id` points at in the cache, complete or not, or an error saying how to pull it. */
export function snapshotDirOf(config: Config, id: HubId, offline = false): string {
  const commit = readRef(config, id);
  const dir = commit ? snapshotDir(config, id.repo, commit) : undefined;
  if (!dir || !existsSync(dir)) {
    throw new PersonaError(
      'model_not_found',
      `${formatHubId(id)} is not in the Hugging Face cache (${repoFolder(config, id.repo)}): run ${pullAdvice(id, offline)} first.`,
      {
        repo: id.repo,
        revision: id.revision,
      },
    );
  }
  return dir;
}

function pullAdvice(id: HubId, offline: boolean): string {
  return `\`${pullCommand(id)}\`${offline ? ' with HF_HUB_OFFLINE unset' : ''}`;
}

/** Whether a model folder is the small offline demo base bundled with the project (its model card says so). */
export function isBundledDemoBase(dir: string): boolean {
  const card = join(dir, 'README.md');
  return existsSync(card) && readFileSync(card, 'utf8').startsWith(DEMO_BASE_CARD_TITLE);
}

/** Whether a persona's base: is the demo base (so its replies, trained or not, are demo quality). A base that cannot be resolved is not. */
export function usesBundledDemoBase(config: Config, base: string | undefined): boolean {
  try {
    return isBundledDemoBase(resolveBaseDir(config, base));
  } catch {
    return false;
  }
}

/** The base the notices suggest: small enough to train on a laptop CPU, and an instruct model. */
export const SUGGESTED_BASE = 'HuggingFaceTB/SmolLM2-360M-Instruct';

/** One line telling a user that a persona speaks through the demo base, and what to do about it. */
export function demoBaseNotice(personaName: string): string {
  return `${personaName} is built on the bundled demo base, a tiny offline model: expect rough replies. For a real one: \`${pullCommand({ repo: SUGGESTED_BASE, revision: 'main' })}\`, then \`base: ${SUGGESTED_BASE}\` in the persona file, and train (README: "Use a real base").`;
}
