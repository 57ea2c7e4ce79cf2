/**
 * `persona export`: a persona's model version (or base) as a portable Hugging Face folder or
 * as a GGUF file with an Ollama Modelfile.
 *
 * A folder export is self-contained and loads the same in transformers with or without peft:
 * the merged weights at the top level, a LoRA adapter (when the version has one) in
 * `adapter/`, whose `base_model_name_or_path` names the base on the Hub when it was pulled
 * from there, else the base folder relative to the adapter folder. No absolute path of this
 * machine is left in any file (checked before the folder is moved into place). Both exports
 * are built beside the target and renamed into place, so a failure leaves nothing half-written.
 */
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Config } from '../config/config.js';
import { PersonaError } from '../errors.js';
import { hubCacheDir } from '../hub/cache.js';
import { parseHubId } from '../hub/hub-id.js';
import { exportGguf, type GgufQuant } from '../modelfmt/gguf/gguf-export.js';
import { exportGgufLora } from '../modelfmt/gguf/gguf-lora.js';
import { ggufChatTemplate, ollamaModelfile } from '../modelfmt/gguf/modelfile.js';
import { INFERENCE_ONNX_PATH, recordExternalData, writeInferenceOnnx } from '../modelfmt/onnx/folder-graph.js';
import { externalDataPath, type OnnxWriteOptions } from '../modelfmt/onnx/onnx-model-file.js';
import type { GraphQuantization } from '../modelfmt/onnx/graph-format.js';
import { loadModelFolderMetadata } from '../modelfmt/model-folder.js';
import type { Persona } from '../personas/schema.js';
import { systemPromptOf } from '../personas/greeting.js';
import { replaceAtomically, temporaryFolderFor } from '../util/atomic-write.js';

export interface ExportSource {
  persona: Persona;
  /** A version id or "base". */
  version: string;
  dir: string;
}

const ADAPTER_FILES = ['adapter_config.json', 'adapter_model.safetensors'];

/** Where a pulled base lives in the Hub cache names its repo and commit: models--org--name/snapshots/<commit>. */
function hubIdOfCachedDir(config: Config, dir: string): { repo: string; revision: string } | undefined {
  const inCache = relative(hubCacheDir(config), dir).split(sep);
  if (inCache.length !== 3 || !inCache[0].startsWith('models--') || inCache[1] !== 'snapshots') return undefined;
  return { repo: inCache[0].slice('models--'.length).split('--').join('/'), revision: inCache[2] };
}

/** The base a version was trained from, as a portable pointer for adapter_config.json. */
function basePointer(config: Config, source: ExportSource, baseDir: string | undefined, adapterDir: string): { path: string; revision: string | null } {
  const fromCache = baseDir && hubIdOfCachedDir(config, baseDir);
  if (fromCache) return { path: fromCache.repo, revision: fromCache.revision };
  const declared = source.persona.base;
  const hubId = declared && !existsSync(resolve(config.root, declared)) ? parseHubId(declared) : undefined;
  if (hubId) return { path: hubId.repo, revision: hubId.revision === 'main' ? null : hubId.revision };
  const local = baseDir ?? (declared ? resolve(config.root, declared) : config.BASE_MODEL_DIR);
  return { path: relative(adapterDir, local) || '.', revision: null };
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Replaces absolute paths under this machine's folders inside JSON values with paths relative to the export. */
function relativizeJson(value: unknown, roots: string[], exportDir: string): unknown {
  if (typeof value === 'string') return isAbsolute(value) && roots.some((r) => value === r || value.startsWith(r + sep)) ? relative(exportDir, value) : value;
  if (Array.isArray(value)) return value.map((v) => relativizeJson(v, roots, exportDir));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, relativizeJson(v, roots, exportDir)]));
  return value;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

const SCAN_CHUNK_BYTES = 64 * 2 ** 20;

/**
 * The first of `needles` that `file` contains, read in chunks (weights and model.onnx_data run to
 * gigabytes: one buffer, or one string of them, would not fit), each chunk overlapping the
 * previous by the longest needle so a match across the boundary is found.
 */
function firstContained(file: string, needles: string[]): string | undefined {
  const overlap = Math.max(0, ...needles.map((n) => Buffer.byteLength(n, 'latin1'))) - 1;
  const buffer = Buffer.alloc(SCAN_CHUNK_BYTES + overlap);
  const fd = openSync(file, 'r');
  try {
    let kept = 0;
    for (;;) {
      const read = readSync(fd, buffer, kept, SCAN_CHUNK_BYTES, null);
      const length = kept + read;
      const text = buffer.toString('latin1', 0, length);
      const found = needles.find((needle) => text.includes(needle));
      if (found || read === 0) return found;
      kept = Math.min(overlap, length);
      buffer.copy(buffer, 0, length - kept, length);
    }
  } finally {
    closeSync(fd);
  }
}

/** Fails if any file still holds one of this machine's folder paths (the export would not be portable). */
function assertNoMachinePaths(dir: string, roots: string[], shownAs: string): void {
  for (const file of listFiles(dir)) {
    const found = firstContained(file, roots);
    if (found)
      throw new PersonaError('model_corrupt', `${join(shownAs, relative(dir, file))} contains the local path ${found}; the export would not be portable.`, {
        file,
      });
  }
}

/** Moves a LoRA version's adapter into adapter/ with a portable base pointer; relativizes paths in training.json. */
function makePortable(config: Config, source: ExportSource, temp: string, out: string): void {
  const trainingFile = join(temp, 'training.json');
  const training = existsSync(trainingFile) ? readJson(trainingFile) : {};
  const baseDir = typeof training.base === 'string' ? training.base : undefined;
  if (existsSync(join(temp, 'adapter_config.json'))) {
    const adapterDir = join(temp, 'adapter');
    mkdirSync(adapterDir);
    for (const name of ADAPTER_FILES) if (existsSync(join(temp, name))) renameSync(join(temp, name), join(adapterDir, name));
    const pointer = basePointer(config, source, baseDir, join(out, 'adapter'));
    const adapterConfig = { ...readJson(join(adapterDir, 'adapter_config.json')), base_model_name_or_path: pointer.path, revision: pointer.revision };
    writeFileSync(join(adapterDir, 'adapter_config.json'), `${JSON.stringify(adapterConfig, null, 2)}\n`);
  }
  if (existsSync(trainingFile)) {
    const hub = baseDir && hubIdOfCachedDir(config, baseDir);
    const portable = relativizeJson({ ...training, base: hub ? hub.repo : training.base }, machineRoots(config, source), out);
    writeFileSync(trainingFile, `${JSON.stringify(portable, null, 2)}\n`);
  }
}

/** Folders whose absolute paths must not appear in an export. */
function machineRoots(config: Config, source: ExportSource): string[] {
  return [...new Set([config.DATA_DIR, config.root, resolve(source.dir), hubCacheDir(config)].map((p) => resolve(p)))];
}

/** Builds into a temp folder beside `out` and renames it into place. */
function buildBeside(out: string, build: (temp: string) => void): void {
  const temp = temporaryFolderFor(out);
  try {
    build(temp);
    rmSync(out, { recursive: true, force: true });
    renameSync(temp, out);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

function requireEmpty(out: string): void {
  if (existsSync(out) && readdirSync(out).length > 0)
    throw new PersonaError('invalid_argument', `${out} already exists and is not empty; choose a new folder.`, { out });
}

export function exportHfFolder(config: Config, source: ExportSource, out: string, options: { quantize?: GraphQuantization } & OnnxWriteOptions): void {
  requireEmpty(out);
  // The graph is exported afresh below: copying the source's (gigabytes at 1B) would be wasted.
  const ownGraph = join(source.dir, INFERENCE_ONNX_PATH);
  const skipped = new Set([ownGraph, externalDataPath(ownGraph)]);
  buildBeside(out, (temp) => {
    // dereference: a base pulled from the Hub is a snapshot of symlinks into the cache's blobs/.
    cpSync(source.dir, temp, { recursive: true, dereference: true, filter: (path) => !path.endsWith('metrics.jsonl') && !skipped.has(path) });
    makePortable(config, source, temp, out);
    // Large models: onnx/model.onnx plus onnx/model.onnx_data, found by its relative name.
    writeInferenceOnnx(temp, options.quantize ? { quantize: options.quantize } : {}, join(temp, INFERENCE_ONNX_PATH), {
      externalDataMinBytes: options.externalDataMinBytes,
    });
    recordExternalData(temp);
    assertNoMachinePaths(temp, machineRoots(config, source), out);
  });
}

/**
 * `--out` ending in .gguf: that file, with `Modelfile` beside it; otherwise a new folder holding
 * `<persona>.gguf` and `Modelfile`. Returns the GGUF's path.
 */
export function exportGgufModel(_config: Config, source: ExportSource, out: string, options: { quant: GgufQuant }): string {
  const single = out.endsWith('.gguf');
  const folder = single ? dirname(out) : out;
  const ggufName = single ? basename(out) : `${source.persona.id}.gguf`;
  if (single) {
    for (const file of [out, join(folder, 'Modelfile')])
      if (existsSync(file)) throw new PersonaError('invalid_argument', `${file} already exists; choose another --out.`, { out: file });
    mkdirSync(folder, { recursive: true });
  } else requireEmpty(out);
  const { tokenizer, tokenizerConfig } = loadModelFolderMetadata(source.dir);
  const modelfile = ollamaModelfile({
    ggufFile: ggufName,
    personaName: source.persona.name,
    systemPrompt: systemPromptOf(source.persona),
    tokenizerConfig,
    stopTokens: tokenizer.stopTokenIds.map((id) => tokenizer.idToToken(id)).filter((t): t is string => t !== undefined),
    sampling: source.persona.sampling,
  });
  const name = `${source.persona.name} (${source.version})`;
  const chatTemplate = ggufChatTemplate(tokenizerConfig, source.persona.name);
  if (single) {
    replaceAtomically(out, (temp) => exportGguf(source.dir, temp, { quant: options.quant, name, chatTemplate }));
    writeFileSync(join(folder, 'Modelfile'), modelfile);
    return out;
  }
  buildBeside(out, (temp) => {
    mkdirSync(temp);
    exportGguf(source.dir, join(temp, ggufName), { quant: options.quant, name, chatTemplate });
    writeFileSync(join(temp, 'Modelfile'), modelfile);
  });
  return join(out, ggufName);
}

/** `--adapter-only`: the version's LoRA adapter alone as a GGUF LoRA (FILE.gguf, or DIR/<persona>-lora.gguf). */
export function exportGgufAdapter(source: ExportSource, out: string): string {
  const file = out.endsWith('.gguf') ? out : join(out, `${source.persona.id}-lora.gguf`);
  if (existsSync(file)) throw new PersonaError('invalid_argument', `${file} already exists; choose another --out.`, { out: file });
  replaceAtomically(file, (temp) => exportGgufLora(source.dir, source.dir, temp, `${source.persona.name} (${source.version}) LoRA`));
  return file;
}
