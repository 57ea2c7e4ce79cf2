/**
 * What an inference graph is asked for (quantization, attention style) and how the file
 * records it: ModelProto.producer_version, read back by folder-graph.ts to decide whether an
 * export is current. Also the name of the extra output our generator fetches.
 */

export type GraphQuantization = 'int8' | 'q8' | 'q4';

/** `persona export --quant` choices for the ONNX graph (fp32 = no quantization). */
export const ONNX_QUANTS = ['fp32', 'int8', 'q8', 'q4'] as const;

export interface InferenceGraphOptions {
  /**
   * Quantized weights for every Linear layer and lm_head: `int8` a scale per output column
   * (DynamicQuantizeLinear + MatMulInteger), o_proj and down_proj in q8 blocks (layerQuantization
   * in linear-weights.ts); `q8` and `q4` a scale per 32 weights, as llama.cpp's q8_0 and q4_0
   * (com.microsoft MatMulNBits, activations quantized per 32 inside the kernel).
   */
  quantize?: GraphQuantization;
  /** lm_head's own quantization (default: see lmHeadQuantization in linear-weights.ts). */
  lmHead?: GraphQuantization;
  /** `gqa` (default where the family allows): com.microsoft GroupQueryAttention; `standard`: default-domain ops only. */
  attention?: 'gqa' | 'standard';
}

/** The output holding this step's cache rows of every layer (see LlamaGraphWriter.build). */
export const NEW_ROWS_OUTPUT = 'new_key_values';

/**
 * ModelProto.producer_version of the graphs this exporter writes. Bump the number whenever a
 * change makes earlier exports worth replacing (2: new_key_values outputs; 3: one model
 * definition, Qwen2 biases no longer dropped, only standard inputs; 4: GroupQueryAttention,
 * block-quantized q8/q4, new rows in one output; 5: int8 with o_proj/down_proj in q8 blocks);
 * model folders' onnx/model.onnx files with an older tag are re-exported when next loaded
 * (folder-graph.ts). The tag also names the quantization (`+int8`, `+q8`, `+q4`) and
 * standard attention (`+mha`).
 */
export const INFERENCE_GRAPH_FORMAT = 5;

const TAG = /^llama-decoder\/(\d+)((?:\+[a-z0-9]+)*)$/;

export function inferenceGraphFormat(options: InferenceGraphOptions): string {
  return `llama-decoder/${INFERENCE_GRAPH_FORMAT}${options.quantize ? `+${options.quantize}` : ''}${options.attention === 'standard' ? '+mha' : ''}`;
}

/** What a producer_version of ours says: format number, quantization, attention; undefined for other tags. */
export function parseGraphFormat(version: string): { format: number; options: InferenceGraphOptions } | undefined {
  const match = TAG.exec(version);
  if (!match) return undefined;
  const parts = match[2].split('+').slice(1);
  const quantize = parts.find((p): p is GraphQuantization => p === 'int8' || p === 'q8' || p === 'q4');
  return { format: Number(match[1]), options: { ...(quantize ? { quantize } : {}), ...(parts.includes('mha') ? { attention: 'standard' as const } : {}) } };
}
