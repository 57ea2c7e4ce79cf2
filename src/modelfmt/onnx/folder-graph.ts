/**
 * The ONNX graph a model folder (config.json + safetensors weights, single or sharded) is
 * served with. A folder's own onnx/model.onnx is used when another tool wrote it or when our
 * current exporter did (version folders get theirs when the trainer writes them). A folder
 * without one, or with one an older version of our exporter wrote (its producer_version says
 * which; int8 stays int8), is exported into a cache under the data directory, never into the
 * folder itself: bases live in the shared Hugging Face cache or in the install, which serving
 * must leave as it found them. Cache entries are keyed by the folder's path, config.json and
 * weight files (name, size, modification time) and the graph format, so a changed folder or a
 * newer exporter gets a fresh export; onnx-cache.ts prunes entries no longer used. Adapter-only PEFT folders are not exported here: the
 * trainer writes merged weights.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ErrorCode, PersonaError } from '../../errors.js';
import { readLlamaConfig, type LlamaConfig } from '../hf-config.js';
import { readLlamaWeights } from '../folder-weights.js';
import { PRODUCER_NAME } from './onnx-builder.js';
import { exportInferenceModel } from './onnx-export.js';
import { externalDataPath, writeOnnxModel, type OnnxWriteOptions } from './onnx-model-file.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { INFERENCE_GRAPH_FORMAT, inferenceGraphFormat, parseGraphFormat, type InferenceGraphOptions } from './graph-format.js';
import { readProducer } from './producer.js';
import { markOnnxCacheUse } from './onnx-cache.js';

export { readProducer };

export const INFERENCE_ONNX_PATH = join('onnx', 'model.onnx');

/** Where serving caches the exports of folders that have no current graph of their own. */
export function onnxCacheDir(dataDir: string): string {
  return join(dataDir, 'onnx-cache');
}

/**
 * Path of the graph to serve `modelDir` with: the folder's own, or an export in `cacheDir`
 * (written on first use, atomically, then reused).
 */
export function ensureInferenceOnnx(modelDir: string, cacheDir: string): string {
  const own = join(modelDir, INFERENCE_ONNX_PATH);
  let options: InferenceGraphOptions = {};
  if (existsSync(own)) {
    const header = readProducer(own);
    if (header?.name !== PRODUCER_NAME) return own;
    // Before format tags, int8 exports were recognisable by their MatMulInteger nodes.
    const parsed = parseGraphFormat(header.version);
    const quantize = header.version ? parsed?.options.quantize : readFileSync(own).includes('MatMulInteger') ? 'int8' : undefined;
    options = quantize ? { quantize } : {};
    if (parsed?.format === INFERENCE_GRAPH_FORMAT || !hasWeights(modelDir)) return own;
  }
  readLlamaConfig(modelDir); // a clear error for a folder that is not a model, before the key reads it
  const cached = join(cacheDir, cacheKey(modelDir, options), 'model.onnx');
  if (existsSync(cached)) return markOnnxCacheUse(cached, modelDir);
  if (!existsSync(own)) return markOnnxCacheUse(exportForServing(modelDir, options, cached), modelDir);
  if (refreshFailed.has(cached)) return own;
  try {
    return markOnnxCacheUse(exportForServing(modelDir, options, cached), modelDir);
  } catch {
    // Unreadable weights, a full disk: the folder's older graph still serves, and this process
    // does not try again (re-exporting is seconds of synchronous work).
    refreshFailed.add(cached);
    return own;
  }
}

/** Refreshed exports this process could not write. */
const refreshFailed = new Set<string>();

/** Weight files above this many bytes are exported in a child process (graph-export-process.ts says why). */
export const EXPORT_IN_CHILD_MIN_BYTES = 2 ** 30;

/**
 * Writes the graph serving needs: in this process for small folders (milliseconds to seconds),
 * in a child for large ones, whose memory then goes back to the system before the graph is
 * loaded. Synchronous either way, as the export always was.
 */
export function exportForServing(modelDir: string, options: InferenceGraphOptions, target: string, childMinBytes = EXPORT_IN_CHILD_MIN_BYTES): string {
  if (weightBytes(modelDir) < childMinBytes) return writeInferenceOnnx(modelDir, options, target);
  const script = fileURLToPath(new URL(`./graph-export-process${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
  // Run from the TypeScript sources (tests, bin/persona.js without a build), the child needs tsx's loader too.
  const loader = script.endsWith('.ts') && !process.execArgv.some((arg) => arg.includes('tsx')) ? ['--import', import.meta.resolve('tsx')] : [];
  const execArgv = process.execArgv.filter((arg) => !arg.startsWith('--test'));
  const child = spawnSync(process.execPath, [...execArgv, ...loader, script, JSON.stringify({ modelDir, options, target })], {
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  if (child.status === 0) return target;
  const last = child.stderr.trim().split('\n').at(-1) ?? '';
  let report: { code?: ErrorCode; message?: string; details?: Record<string, unknown> } = {};
  try {
    report = JSON.parse(last);
  } catch {
    report = { message: `${modelDir}: the graph export stopped (${child.error?.message ?? child.signal ?? `exit code ${child.status}`}): ${last}` };
  }
  throw report.code ? new PersonaError(report.code, report.message ?? '', report.details) : new Error(report.message);
}

/** The folder's weight files (safetensors and their shard index), sorted: what an export reads. */
function weightFiles(modelDir: string): string[] {
  return readdirSync(modelDir)
    .filter((name) => name.endsWith('.safetensors') || name === 'model.safetensors.index.json')
    .sort();
}

function weightBytes(modelDir: string): number {
  return weightFiles(modelDir)
    .filter((name) => name.endsWith('.safetensors'))
    .reduce((sum, name) => sum + statSync(join(modelDir, name)).size, 0);
}

function hasWeights(modelDir: string): boolean {
  return existsSync(join(modelDir, 'model.safetensors')) || existsSync(join(modelDir, 'model.safetensors.index.json'));
}

/** A hex digest of what the export depends on; reading sizes and times keeps it instant for multi-GB weights. */
function cacheKey(modelDir: string, options: InferenceGraphOptions): string {
  const hash = createHash('sha256');
  hash.update(`${realpathSync(modelDir)}\0${inferenceGraphFormat(options)}\0`);
  hash.update(readFileSync(join(modelDir, 'config.json')));
  for (const name of weightFiles(modelDir)) {
    // statSync follows the Hugging Face cache's snapshot symlinks to their blobs.
    const { size, mtimeMs } = statSync(join(modelDir, name));
    hash.update(`\0${name}\0${size}\0${mtimeMs}`);
  }
  return hash.digest('hex').slice(0, 32);
}

/**
 * Exports the folder's weights to `target` (by default the folder's own onnx/model.onnx); large
 * models get their weights in `target`_data beside it (onnx-model-file.ts).
 */
export function writeInferenceOnnx(
  modelDir: string,
  options: InferenceGraphOptions = {},
  target = join(modelDir, INFERENCE_ONNX_PATH),
  write: OnnxWriteOptions = {},
): string {
  const config = readLlamaConfig(modelDir);
  return writeInferenceOnnxFrom(config, readLlamaWeights(modelDir, config), target, options, write);
}

/** Exports weights already in memory (the trainer, as it writes a version folder) to `target`. */
export function writeInferenceOnnxFrom(
  config: LlamaConfig,
  weights: Map<string, Float32Array>,
  target: string,
  options: InferenceGraphOptions = {},
  write: OnnxWriteOptions = {},
): string {
  return writeOnnxModel(exportInferenceModel(config, weights, options), target, write);
}

/**
 * Keeps config.json's hint for transformers.js true: `transformers.js_config.use_external_data_format`
 * names onnx/model.onnx (1 data file) when it has model.onnx_data beside it, which
 * transformers.js needs where it fetches files itself (a browser); in Node it hands ONNX Runtime
 * the path, which finds the file anyway. Other keys of config.json are left as they are.
 */
export function recordExternalData(modelDir: string): void {
  const file = join(modelDir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const hints = { ...(config[TRANSFORMERS_JS_CONFIG] as Record<string, unknown> | undefined) };
  const formats = { ...(hints.use_external_data_format as Record<string, unknown> | undefined) };
  const external = existsSync(externalDataPath(join(modelDir, INFERENCE_ONNX_PATH)));
  if (external === (formats[ONNX_FILE] !== undefined)) return;
  if (external) formats[ONNX_FILE] = 1;
  else delete formats[ONNX_FILE];
  if (Object.keys(formats).length) hints.use_external_data_format = formats;
  else delete hints.use_external_data_format;
  if (Object.keys(hints).length) config[TRANSFORMERS_JS_CONFIG] = hints;
  else delete config[TRANSFORMERS_JS_CONFIG];
  writeFileAtomic(file, `${JSON.stringify(config, null, 2)}\n`);
}

const TRANSFORMERS_JS_CONFIG = 'transformers.js_config';
const ONNX_FILE = 'model.onnx';
