/**
 * What the Hugging Face cache holds, as bases: one entry per snapshot of a model repo, with
 * its architecture (config.json's model_type), parameter count (from the safetensors
 * headers, no weights read), size on disk, and whether it is complete and supported. Also
 * removal of a cached repo. Read-only apart from `removeCachedRepo`; never touches the network.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Config } from '../config/config.js';
import { PersonaError } from '../errors.js';
import { SUPPORTED_MODEL_TYPES } from '../modelfmt/hf-config.js';
import { readSafetensorsShapes } from '../modelfmt/safetensors.js';
import { CONFIG_FILE, missingBaseFiles, weightFilesIn } from './base-files.js';
import { snapshotDirOf } from './base-location.js';
import { cachedCommits, cachedRepos, readRefs, repoFolder, snapshotDir } from './cache.js';
import { DEFAULT_REVISION, formatHubId, type HubId } from './hub-id.js';

export interface CachedBase {
  /** How a persona's `base:` names it: `org/name` for main, else `org/name@ref` or `@commit`. */
  id: string;
  repo: string;
  refs: string[];
  commit: string;
  dir: string;
  modelType: string | null;
  supported: boolean;
  /** Stored parameters (tied embeddings once), from the safetensors headers. */
  parameters: number | null;
  /** dtypes of the stored weights, e.g. ["BF16"]. */
  dtypes: string[];
  /** Bytes of the files this snapshot links (its share of the blobs). */
  sizeBytes: number;
  /** Files still missing for the base to be usable; empty when complete. */
  missing: string[];
  config: Record<string, unknown> | null;
}

/** Buffers some checkpoints store beside the weights; not parameters. */
const NON_PARAMETER = /rotary_emb\.inv_freq$/;

export function listCachedBases(config: Config): CachedBase[] {
  return cachedRepos(config).flatMap((repo) => {
    const refs = readRefs(config, repo);
    return cachedCommits(config, repo).map((commit) => describeSnapshot(config, repo, commit, refs.get(commit) ?? []));
  });
}

/** The cached base `id` names (its ref, or the commit itself), complete or not, or a not-found error quoting the pull command. */
export function findCachedBase(config: Config, id: HubId): CachedBase {
  const dir = snapshotDirOf(config, id);
  const commit = basename(dir);
  return describeSnapshot(config, id.repo, commit, readRefs(config, id.repo).get(commit) ?? []);
}

/** Deletes every revision of a cached repo; returns the bytes freed. */
export function removeCachedRepo(config: Config, repo: string): number {
  const dir = repoFolder(config, repo);
  if (!existsSync(dir)) throw new PersonaError('model_not_found', `${repo} is not in the Hugging Face cache (${dir}).`, { repo });
  const blobs = join(dir, 'blobs');
  const freed = existsSync(blobs) ? readdirSync(blobs).reduce((sum, name) => sum + statSync(join(blobs, name)).size, 0) : 0;
  rmSync(dir, { recursive: true, force: true });
  return freed;
}

function describeSnapshot(config: Config, repo: string, commit: string, refs: string[]): CachedBase {
  const dir = snapshotDir(config, repo, commit);
  const modelConfig = readJson(join(dir, CONFIG_FILE));
  const modelType = typeof modelConfig?.model_type === 'string' ? modelConfig.model_type : null;
  const name = refs.includes(DEFAULT_REVISION) ? DEFAULT_REVISION : (refs[0] ?? commit);
  const missing = missingBaseFiles(dir);
  const weights = missing.length === 0 ? weightTensors(dir) : undefined;
  return {
    id: formatHubId({ repo, revision: name }),
    repo,
    refs,
    commit,
    dir,
    modelType,
    supported: modelType !== null && (SUPPORTED_MODEL_TYPES as readonly string[]).includes(modelType),
    parameters: weights ? weights.parameters : null,
    dtypes: weights ? [...weights.dtypes] : [],
    sizeBytes: linkedBytes(dir),
    missing,
    config: modelConfig,
  };
}

function weightTensors(dir: string): { parameters: number; dtypes: Set<string> } {
  const index = join(dir, 'model.safetensors.index.json');
  const files =
    weightFilesIn(
      (name) => existsSync(join(dir, name)),
      () => readFileSync(index, 'utf8'),
      index,
    ) ?? [];
  let parameters = 0;
  const dtypes = new Set<string>();
  for (const file of files.filter((name) => name.endsWith('.safetensors'))) {
    for (const [name, { dtype, shape }] of readSafetensorsShapes(join(dir, file))) {
      if (NON_PARAMETER.test(name)) continue;
      parameters += shape.reduce((a, b) => a * b, 1);
      dtypes.add(dtype);
    }
  }
  return { parameters, dtypes };
}

function linkedBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath ?? dir, entry.name);
    if (!entry.isDirectory() && existsSync(path)) total += statSync(path).size;
  }
  return total;
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
