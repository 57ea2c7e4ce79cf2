/**
 * Validation loss and perplexity of a model folder on dataset samples, computed exactly the
 * way training computes its validation loss (same chat-template rendering, same packing,
 * loss only on the persona's tokens), so the numbers of the champion, the base and a new
 * candidate compare directly.
 */
import { join } from 'node:path';
import { PersonaError } from '../errors.js';
import { readLlamaConfig } from '../modelfmt/config.js';
import { createTokenizer, readTokenizerFiles } from '../modelfmt/tokenizer.js';
import { createStepModel } from '../training/step-model.js';
import { readLlamaWeights } from '../modelfmt/weights.js';
import { validationLoss } from '../training/trainer/loop.js';
import { countTargets, packSamples } from '../training/trainer/packing.js';
import { tokenizeSample, type TrainableSample } from '../training/trainer/render.js';

export interface LossReport {
  loss: number;
  perplexity: number;
  /** Target tokens the loss averages over. */
  tokens: number;
  samples: number;
}

export interface LossOptions {
  modelDir: string;
  samples: readonly TrainableSample[];
  systemPrompt: string;
  seqLen?: number;
  batchSize?: number;
  threads?: number;
}

export async function evaluateLoss(options: LossOptions): Promise<LossReport> {
  const { modelDir, samples } = options;
  if (samples.length === 0) throw new PersonaError('dataset_empty', `No samples to evaluate ${modelDir} on.`, { modelDir });
  const config = readLlamaConfig(modelDir);
  const { tokenizerJson, tokenizerConfig } = readTokenizerFiles(modelDir);
  const tokenizer = createTokenizer(tokenizerJson, tokenizerConfig, join(modelDir, 'tokenizer.json'));
  const seqLen = Math.min(options.seqLen ?? 256, config.max_position_embeddings);
  const batchSize = options.batchSize ?? 8;
  const render = { tokenizer, tokenizerConfig, systemPrompt: options.systemPrompt, file: join(modelDir, 'tokenizer_config.json') };
  const padId = tokenizer.padTokenId ?? tokenizer.eosTokenId;
  const rows = packSamples(
    samples.map((sample) => tokenizeSample(sample, render)),
    { seqLen, padId, seed: 0, ignoreWeights: true },
  );
  const weights = readLlamaWeights(modelDir, config);
  const model = await createStepModel(config, { method: 'full', batchSize, seqLen, threads: options.threads });
  try {
    const loss = await validationLoss(model, new Map(), weights, rows, { batchSize, seqLen }, padId);
    return { loss, perplexity: Math.exp(loss), tokens: countTargets(rows), samples: samples.length };
  } finally {
    await model.dispose();
  }
}
