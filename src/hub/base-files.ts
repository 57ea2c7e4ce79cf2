/**
 * Which files of a Hub model repo make a base the product can use, and whether a snapshot
 * folder holds all of them. Weights follow the model reader's precedence
 * (src/modelfmt/safetensors.ts): `model.safetensors` when present, else the index and the
 * shards its weight_map names, so a repo that ships both is not downloaded twice.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PersonaError } from '../errors.js';
import { SAFETENSORS_INDEX_FILE } from '../modelfmt/safetensors.js';

export const CONFIG_FILE = 'config.json';
export const SINGLE_WEIGHTS_FILE = 'model.safetensors';
/** Read by the tokenizer, the chat template and generation; each is optional except tokenizer.json. */
export const SIDE_FILES = [
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'chat_template.json',
];
const REQUIRED_SIDE_FILES = ['tokenizer.json'];

/** Shard file names of an index file's weight_map, in first-use order. */
export function shardsOfIndex(indexJson: string, file: string): string[] {
  let index: { weight_map?: Record<string, string> };
  try {
    index = JSON.parse(indexJson);
  } catch (error) {
    throw new PersonaError('model_corrupt', `${file}: not valid JSON (${(error as Error).message}).`, { file });
  }
  if (!index.weight_map || typeof index.weight_map !== 'object') {
    throw new PersonaError('model_corrupt', `${file}: missing "weight_map".`, { file, field: 'weight_map' });
  }
  return [...new Set(Object.values(index.weight_map))];
}

/** The weight files a folder (or a repo listing) uses, or undefined when it has no safetensors weights. */
export function weightFilesIn(has: (name: string) => boolean, readIndex: () => string, indexFile: string): string[] | undefined {
  if (has(SINGLE_WEIGHTS_FILE)) return [SINGLE_WEIGHTS_FILE];
  if (has(SAFETENSORS_INDEX_FILE)) return [SAFETENSORS_INDEX_FILE, ...shardsOfIndex(readIndex(), indexFile)];
  return undefined;
}

/** Files a snapshot folder still lacks to be usable as a base (empty when complete). */
export function missingBaseFiles(dir: string): string[] {
  const has = (name: string) => existsSync(join(dir, name));
  const missing = [CONFIG_FILE, ...REQUIRED_SIDE_FILES].filter((name) => !has(name));
  const indexFile = join(dir, SAFETENSORS_INDEX_FILE);
  const weights = weightFilesIn(has, () => readFileSync(indexFile, 'utf8'), indexFile);
  if (!weights) missing.push(SINGLE_WEIGHTS_FILE);
  else missing.push(...weights.filter((name) => !has(name)));
  return missing;
}
