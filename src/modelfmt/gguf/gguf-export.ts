/**
 * A Hugging Face model folder (config.json, tokenizer files, safetensors) → one GGUF v3 file
 * that llama.cpp, Ollama and LM Studio load, as `convert_hf_to_gguf.py --outtype f32|f16|q8_0`
 * would write it; `q4_0` stores every matrix in 4-bit blocks except the output projection
 * (the tied embedding when there is no lm_head), which stays 8-bit as llama-quantize keeps
 * it at higher precision too. Norms and other 1-D tensors stay float32.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { PersonaError } from '../../errors.js';
import { readLlamaConfig, type LlamaConfig } from '../hf-config.js';
import { readSafetensors } from '../safetensors.js';
import { readTokenizerFiles } from '../tokenizer.js';
import { readOptionalJson } from '../model-folder.js';
import { weightsFile } from '../folder-weights.js';
import { architectureMetadata, ggufArchitecture, ggufTensorName, permuteRows, ropeFrequencyFactors, type GgufArchitecture } from './arch.js';
import { blockSize, ggufTensor, GGML_QUANT_VERSION, type GgmlTypeName } from './quantize.js';
import { tokenizerMetadata } from './tokenizer-metadata.js';
import { str, u32, writeGguf, type GgufTensor, type GgufValue } from './writer.js';

export const GGUF_QUANTS = ['f32', 'f16', 'q8_0', 'q4_0'] as const;
export type GgufQuant = (typeof GGUF_QUANTS)[number];

/** llama_ftype written as general.file_type, and the ggml type of the quantized matrices. */
const QUANTS: Record<GgufQuant, { fileType: number; matrix: GgmlTypeName }> = {
  f32: { fileType: 0, matrix: 'F32' },
  f16: { fileType: 1, matrix: 'F16' },
  q8_0: { fileType: 7, matrix: 'Q8_0' },
  q4_0: { fileType: 2, matrix: 'Q4_0' },
};

export interface GgufExportOptions {
  quant: GgufQuant;
  /** general.name */
  name: string;
  /** tokenizer.chat_template instead of the folder's own. */
  chatTemplate?: string;
}

export interface GgufExportSummary {
  file: string;
  bytes: number;
  architecture: string;
  tensors: number;
}

interface SourceTensor {
  hfName: string;
  shape: number[];
  data: Float32Array;
}

/** Tensors in the converter's order: embedding, blocks in order, final norm, output. */
function orderedTensors(dir: string, config: LlamaConfig): SourceTensor[] {
  const layerOf = (name: string) => Number(/^model\.layers\.(\d+)\./.exec(name)?.[1] ?? (name.startsWith('model.embed') ? -1 : Number.MAX_SAFE_INTEGER));
  const tensors = [...readSafetensors(weightsFile(dir))]
    .filter(([name]) => !(config.tie_word_embeddings && name === 'lm_head.weight'))
    .map(([hfName, t]) => ({ hfName, shape: t.shape, data: t.data }));
  return tensors.sort((a, b) => layerOf(a.hfName) - layerOf(b.hfName) || a.hfName.localeCompare(b.hfName));
}

/** HF-layout data → what llama.cpp expects (Q/K row permutation, Gemma norm shift). */
function convertedData(arch: GgufArchitecture, config: LlamaConfig, tensor: SourceTensor, ggufName: string): Float32Array {
  const rows = tensor.shape[0];
  const cols = tensor.shape.length > 1 ? tensor.shape[1] : 1;
  if (arch.permuteQK && /attn_q\.(weight|bias)$/.test(ggufName)) return permuteRows(tensor.data, rows, cols, config.num_attention_heads);
  if (arch.permuteQK && /attn_k\.(weight|bias)$/.test(ggufName)) return permuteRows(tensor.data, rows, cols, config.num_key_value_heads);
  if (arch.normShift && ggufName.endsWith('norm.weight')) return tensor.data.map((w) => w + arch.normShift!);
  return tensor.data;
}

function tensorType(quant: GgufQuant, ggufName: string, shape: number[], outputName: string): GgmlTypeName {
  if (shape.length < 2 || ggufName.endsWith('_norm.weight')) return 'F32';
  let type = QUANTS[quant].matrix;
  if (quant === 'q4_0' && ggufName === outputName) type = 'Q8_0';
  // The converter falls back to F16 when a row is not a whole number of blocks.
  if (shape[shape.length - 1] % blockSize(type) !== 0) type = 'F16';
  return type;
}

export function exportGguf(dir: string, file: string, options: GgufExportOptions): GgufExportSummary {
  const config = readLlamaConfig(dir);
  const arch = ggufArchitecture(config, join(dir, 'config.json'));
  const { tokenizerJson, tokenizerConfig } = readTokenizerFiles(dir);
  const source = orderedTensors(dir, config);
  const outputName = source.some((t) => t.hfName === 'lm_head.weight') ? 'output.weight' : 'token_embd.weight';

  const tensors: GgufTensor[] = [];
  for (const tensor of source) {
    const name = ggufTensorName(arch, tensor.hfName);
    if (!name) continue;
    tensors.push(ggufTensor(name, tensor.shape, tensorType(options.quant, name, tensor.shape, outputName), () => convertedData(arch, config, tensor, name)));
  }
  const ropeFactors = ropeFrequencyFactors(config);
  if (ropeFactors) tensors.unshift(ggufTensor('rope_freqs.weight', [ropeFactors.length], 'F32', () => ropeFactors));

  const metadata = new Map<string, GgufValue>([
    ['general.architecture', str(arch.name)],
    ['general.type', str('model')],
    ['general.name', str(options.name)],
    ...architectureMetadata(arch, config),
    ['general.file_type', u32(QUANTS[options.quant].fileType)],
    ['general.quantization_version', u32(GGML_QUANT_VERSION)],
    ...tokenizerMetadata(
      tokenizerJson,
      options.chatTemplate === undefined ? tokenizerConfig : { ...tokenizerConfig, chat_template: options.chatTemplate },
      readOptionalJson(join(dir, 'config.json')),
      config.vocab_size,
      join(dir, 'tokenizer.json'),
    ),
  ]);
  if (!metadata.has('tokenizer.ggml.eos_token_id')) {
    throw new PersonaError('tokenizer_mismatch', `${join(dir, 'tokenizer_config.json')}: no eos_token (or config.json eos_token_id) to stop generation with.`, {
      field: 'eos_token',
    });
  }
  writeGguf(file, metadata, tensors);
  return { file, bytes: statSync(file).size, architecture: arch.name, tensors: tensors.length };
}
