/**
 * Writes a tiny random "bring your own base" Llama folder the way Hugging Face tools ship
 * them: GQA, untied embeddings by default, optionally sharded safetensors with an index, in
 * F32, F16 or BF16, plus a small trained tokenizer with the base chat template.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { llamaParameterShapes, type LlamaConfig } from '../../src/modelfmt/config.ts';
import { writeSafetensors, writeShardedSafetensors, encodeSafetensors } from '../../src/modelfmt/safetensors.ts';
import { trainAndWriteTokenizer } from '../../src/modelfmt/tokenizer/write.ts';
import { randomWeights, tinyConfig } from './onnx/tiny-model.ts';

export interface TinyFolderOptions {
  dtype?: 'F32' | 'F16' | 'BF16';
  sharded?: boolean;
  tie?: boolean;
}

const TEXTS = ['The state of the Union is strong.', 'Good morning, friends! How is the weather by the lake?', 'We shall not fail; we shall endure. 🙂'];

/** BF16 is written by hand here: our writer only emits F32/F16 (BF16 is a reading format for us). */
function writeBf16(file: string, tensors: Map<string, { shape: number[]; data: Float32Array }>): void {
  const asF32 = encodeSafetensors(tensors, { dtype: 'F32' });
  const headerLength = Number(asF32.readBigUInt64LE(0));
  const header = JSON.parse(asF32.subarray(8, 8 + headerLength).toString('utf8'));
  const parts: Buffer[] = [];
  let offset = 0;
  for (const name of Object.keys(header).sort()) {
    const { data } = tensors.get(name)!;
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    const halves = Uint16Array.from(bits, (b) => b >>> 16);
    header[name] = { dtype: 'BF16', shape: header[name].shape, data_offsets: [offset, offset + halves.byteLength] };
    offset += halves.byteLength;
    parts.push(Buffer.from(halves.buffer));
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(file, Buffer.concat([length, json, ...parts]));
}

export function writeTinyLlamaFolder(options: TinyFolderOptions = {}): { dir: string; config: LlamaConfig; weights: Map<string, Float32Array> } {
  const dir = mkdtempSync(join(tmpdir(), 'byo-llama-'));
  const report = trainAndWriteTokenizer(TEXTS, dir, 290);
  const config = tinyConfig({ vocab_size: 300, tie_word_embeddings: options.tie ?? false, bos_token_id: 0, eos_token_id: 2 });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], ...config, vocab_size: Math.max(300, report.vocabSize) }, null, 2));
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: 2, max_new_tokens: 20 }));
  const weights = randomWeights(config, 3);
  const shapes = llamaParameterShapes(config);
  const tensors = new Map([...weights].map(([name, data]) => [name, { shape: shapes.get(name)!, data }]));
  // A stray buffer many HF checkpoints carry; loaders must ignore it.
  tensors.set('model.layers.0.self_attn.rotary_emb.inv_freq', { shape: [4], data: new Float32Array([1, 0.1, 0.01, 0.001]) });
  const dtype = options.dtype ?? 'F32';
  if (dtype === 'BF16') writeBf16(join(dir, 'model.safetensors'), tensors);
  else if (options.sharded) writeShardedSafetensors(dir, tensors, { dtype, maxShardBytes: 40_000 });
  else writeSafetensors(join(dir, 'model.safetensors'), tensors, { dtype });
  return { dir, config, weights };
}
