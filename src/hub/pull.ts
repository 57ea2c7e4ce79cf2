/**
 * `pullBase`: put a Hub model into the cache as a base the product can use. Resolve the
 * revision to a commit, list the repo, read config.json first and refuse an architecture we
 * cannot run (the model format's own config validation) before a single weight byte is
 * requested, then fetch only the files the product reads (see base-files.ts), each resumed,
 * verified and linked (download.ts).
 * With HF_HUB_OFFLINE=1 it only reports what the cache already holds.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Config } from '../config/config.js';
import { isPersonaError, PersonaError } from '../errors.js';
import { parseLlamaConfig } from '../modelfmt/hf-config.js';
import { SAFETENSORS_INDEX_FILE } from '../modelfmt/safetensors.js';
import { CONFIG_FILE, SIDE_FILES, SINGLE_WEIGHTS_FILE, weightFilesIn } from './base-files.js';
import { snapshotDir, writeRef } from './cache.js';
import { cachedSnapshotDir } from './base-location.js';
import { fetchIntoCache, storeIntoCache, type FileTarget, type PullContext } from './download.js';
import { hubAccess, listTopLevelFiles, openFileStream, resolveCommit, type HubAccess, type RepoFile } from './hub-api.js';
import type { HubId } from './hub-id.js';

export interface PullProgress {
  /** The file being fetched. */
  file: string;
  /** Bytes fetched so far in this pull, and the bytes this pull has to fetch in all. */
  done: number;
  total: number;
}

export interface PullResult {
  id: HubId;
  commit: string;
  dir: string;
  modelType: string;
  files: string[];
  /** Bytes fetched over the network by this pull (0 when everything was cached). */
  downloadedBytes: number;
  offline: boolean;
}

export interface PullOptions {
  onProgress?: (progress: PullProgress) => void;
}

export async function pullBase(config: Config, id: HubId, options: PullOptions = {}): Promise<PullResult> {
  if (config.HF_HUB_OFFLINE) return fromCacheOffline(config, id);
  const access = hubAccess(config);
  const commit = await resolveCommit(access, id);
  const listing = await listTopLevelFiles(access, id, commit);
  const context: PullContext = { config, access, id, commit };
  const target = (file: RepoFile): FileTarget => ({ ...context, file });

  const configFile = requireFile(listing, CONFIG_FILE, access, id);
  const configBytes = await readWhole(access, id, commit, configFile);
  const modelType = checkArchitecture(configBytes, `${access.hubUrl}/${id.repo}/${CONFIG_FILE}`);
  await storeIntoCache(target(configFile), configBytes);

  const sideFiles = SIDE_FILES.filter((name) => listing.has(name)).map((name) => listing.get(name)!);
  let downloadedBytes = 0;
  for (const file of sideFiles) downloadedBytes += await fetchIntoCache(target(file));
  const weights = await weightFiles(context, listing);
  const total = weights.reduce((sum, file) => sum + file.size, 0);
  let done = 0;
  for (const file of weights) {
    downloadedBytes += await fetchIntoCache(target(file), (bytes) => {
      done += bytes;
      options.onProgress?.({ file: file.path, done, total });
    });
  }
  // The ref moves last: personas naming this revision keep the previous snapshot until the new one is complete.
  writeRef(config, id, commit);
  const files = [configFile, ...sideFiles, ...weights].map((file) => file.path);
  return { id, commit, dir: snapshotDir(config, id.repo, commit), modelType, files, downloadedBytes, offline: false };
}

/** The weight files to fetch: model.safetensors, or the index (fetched here first, to learn the shards) and its shards. */
async function weightFiles(context: PullContext, listing: Map<string, RepoFile>): Promise<RepoFile[]> {
  const { config, id, commit, access } = context;
  const indexFile = listing.get(SAFETENSORS_INDEX_FILE);
  if (indexFile && !listing.has(SINGLE_WEIGHTS_FILE)) await fetchIntoCache({ ...context, file: indexFile });
  const indexPath = join(snapshotDir(config, id.repo, commit), SAFETENSORS_INDEX_FILE);
  const names = weightFilesIn(
    (name) => listing.has(name),
    () => readFileSync(indexPath, 'utf8'),
    indexPath,
  );
  if (!names) {
    const present = [...listing.keys()].filter((name) => /\.(bin|pt|pth|gguf|onnx)$/.test(name));
    throw new PersonaError(
      'model_unsupported',
      `${access.hubUrl}/${id.repo} has no safetensors weights (model.safetensors or ${SAFETENSORS_INDEX_FILE})${present.length ? `, only ${present.join(', ')}` : ''}; choose a repo that ships safetensors.`,
      { repo: id.repo, field: 'model.safetensors' },
    );
  }
  return names.map((name) => requireFile(listing, name, access, id));
}

/** The same validation the trainer and serving apply (model_type and the fields each family needs), before any weight is fetched. */
function checkArchitecture(bytes: Uint8Array, file: string): string {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new PersonaError('model_corrupt', `${file}: not valid JSON (${(error as Error).message}).`, { file });
  }
  try {
    return parseLlamaConfig(json, file).model_type;
  } catch (error) {
    if (!isPersonaError(error)) throw error;
    throw new PersonaError(error.code, `${error.message} Nothing was downloaded.`, error.details, { cause: error });
  }
}

function requireFile(listing: Map<string, RepoFile>, name: string, access: HubAccess, id: HubId): RepoFile {
  const file = listing.get(name);
  if (!file)
    throw new PersonaError('model_not_found', `${access.hubUrl}/${id.repo} has no ${name}: not a model repo this product can use.`, {
      repo: id.repo,
      file: name,
    });
  return file;
}

async function readWhole(access: HubAccess, id: HubId, commit: string, file: RepoFile): Promise<Uint8Array> {
  const stream = await openFileStream(access, id, commit, file, 0);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function fromCacheOffline(config: Config, id: HubId): PullResult {
  const dir = cachedSnapshotDir(config, id, true);
  const json = JSON.parse(readFileSync(join(dir, CONFIG_FILE), 'utf8')) as { model_type?: string };
  const commit = basename(dir);
  return { id, commit, dir, modelType: String(json.model_type ?? ''), files: [], downloadedBytes: 0, offline: true };
}
