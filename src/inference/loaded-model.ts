/**
 * Everything needed to answer with one model folder: its config, tokenizer, chat template,
 * generation defaults and an ONNX Runtime session (on the folder's own onnx/model.onnx, or an
 * export in the ONNX cache written on first use: see src/modelfmt/onnx/folder-graph.ts).
 * Any missing, corrupt or mismatched piece fails here with a PersonaError naming the file,
 * before the model replaces anything in the cache.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LlamaConfig } from '../modelfmt/hf-config.js';
import type { TokenizerConfig } from '../modelfmt/chat-render.js';
import { loadModelFolderMetadata } from '../modelfmt/model-folder.js';
import { ensureInferenceOnnx } from '../modelfmt/onnx/folder-graph.js';
import { onnxModelBytes } from '../modelfmt/onnx/onnx-model-file.js';
import type { Tokenizer } from '../modelfmt/tokenizer.js';
import { fromGenerationConfig, type GenerationParams } from './generation-params.js';
import { DecoderSession, type SessionSettings } from './ort.js';

export interface LoadedModel {
  dir: string;
  config: LlamaConfig;
  tokenizer: Tokenizer;
  tokenizerConfig: TokenizerConfig;
  generationDefaults: Partial<GenerationParams>;
  /**
   * Ids that end a reply: eos from generation_config.json and config.json, the tokenizer's
   * end-of-turn tokens, and every other special token (a model that opens a new turn or
   * emits padding has finished its reply; special tokens are never shown to users).
   */
  eosTokenIds: number[];
  contextWindow: number;
  session: DecoderSession;
  bytes: number;
  dispose(): Promise<void>;
}

function idList(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  return Array.isArray(value) ? value.filter((v): v is number => typeof v === 'number') : [];
}

/**
 * `onnxCache` is where folders without a current graph get theirs (the engine passes
 * DATA_DIR/onnx-cache); callers without a data directory share one under the OS temp dir.
 */
export async function loadInferenceModel(dir: string, settings: SessionSettings, onnxCache = join(tmpdir(), 'persona-onnx-cache')): Promise<LoadedModel> {
  const { config, tokenizer, tokenizerConfig, generationConfig } = loadModelFolderMetadata(dir);
  const onnxPath = ensureInferenceOnnx(dir, onnxCache);
  const session = await DecoderSession.load(
    onnxPath,
    { layers: config.num_hidden_layers, kvHeads: config.num_key_value_heads, headDim: config.head_dim, vocabSize: config.vocab_size },
    settings,
  );
  const eosTokenIds = [
    ...new Set([...idList(generationConfig.eos_token_id), ...idList(config.eos_token_id), ...tokenizer.stopTokenIds, ...tokenizer.specialTokenIds]),
  ];
  const modelMax = typeof tokenizerConfig.model_max_length === 'number' ? tokenizerConfig.model_max_length : Infinity;
  return {
    dir,
    config,
    tokenizer,
    tokenizerConfig,
    generationDefaults: fromGenerationConfig(generationConfig),
    eosTokenIds,
    contextWindow: Math.min(config.max_position_embeddings, modelMax),
    session,
    // Weights dominate: ONNX Runtime keeps the initializers plus prepacked MatMul copies
    // (resident growth measured at 2.1× the file for fp32, 1.25× for int8), per session.
    // (model.onnx_data included: large models keep their weights there.)
    bytes: Math.round(onnxModelBytes(onnxPath) * 2 * session.sessionCount),
    dispose: () => session.release(),
  };
}
