/**
 * Held-out loss and perplexity of a model folder over the persona's own words: each sample is
 * rendered by the one prompt renderer (the prompt training and serving use) and only the
 * persona's words are scored — turn headers, speaker names the template adds and the
 * end-of-turn token are context, not part of the mean. Every sample (a validation window, a
 * conversation reply, a passage of a --data file) is scored on its own, so the report keeps
 * one (nll, tokens) pair per window: the gate's bootstrap resamples those, and two models
 * scored on the same samples compare window by window.
 */
import { join } from 'node:path';
import { PersonaError } from '../errors.js';
import { loadModelFolderMetadata } from '../modelfmt/model-folder.js';
import { readLlamaWeights } from '../modelfmt/folder-weights.js';
import { createStepModel } from '../training/step-model.js';
import { rowsToBatch } from '../training/trainer/batches.js';
import { splitSample } from '../training/trainer/packing.js';
import type { SampleTurns } from '../datasets/types.js';
import { tokenizeSample } from '../training/trainer/render.js';

export interface WindowLoss {
  /** Summed negative log-likelihood of the window's scored tokens (nats). */
  nll: number;
  tokens: number;
}

export interface LossReport {
  /** Mean loss per scored token of the persona's words. */
  loss: number;
  perplexity: number;
  /** Tokens of the persona's words scored (formatting tokens are not counted). */
  tokens: number;
  samples: number;
  /** Per sample, in the order given (samples without any scored token are left out). */
  windows: WindowLoss[];
}

export interface LossOptions {
  modelDir: string;
  samples: readonly SampleTurns[];
  systemPrompt: string;
  /** The persona's name: the turn serving opens for it. */
  personaName?: string;
  seqLen?: number;
  threads?: number;
}

export function summarize(windows: readonly WindowLoss[], samples: number): LossReport {
  const nll = windows.reduce((sum, w) => sum + w.nll, 0);
  const tokens = windows.reduce((sum, w) => sum + w.tokens, 0);
  const loss = tokens === 0 ? Number.NaN : nll / tokens;
  return { loss, perplexity: Math.exp(loss), tokens, samples, windows: [...windows] };
}

export async function evaluateLoss(options: LossOptions): Promise<LossReport> {
  const { modelDir, samples } = options;
  if (samples.length === 0) throw new PersonaError('dataset_empty', `No samples to evaluate ${modelDir} on.`, { modelDir });
  const { config, tokenizer, tokenizerConfig } = loadModelFolderMetadata(modelDir);
  const seqLen = Math.min(options.seqLen ?? 256, config.max_position_embeddings);
  const render = {
    tokenizer,
    tokenizerConfig,
    systemPrompt: options.systemPrompt,
    personaName: options.personaName,
    file: join(modelDir, 'tokenizer_config.json'),
  };
  const padId = tokenizer.padTokenId ?? tokenizer.eosTokenId;
  const weights = readLlamaWeights(modelDir, config);
  // One window per run: its loss is needed on its own (bootstrap), and batch 1 wastes no padding rows.
  const model = await createStepModel(config, { method: 'full', batchSize: 1, seqLen, threads: options.threads });
  const windows: WindowLoss[] = [];
  try {
    for (const sample of samples) {
      const tokenized = tokenizeSample(sample, render, { score: true });
      const window: WindowLoss = { nll: 0, tokens: 0 };
      for (const piece of splitSample(tokenized.ids, tokenized.targets, seqLen)) {
        const row = { ids: Int32Array.from(piece.ids), targets: piece.targets, used: piece.ids.length };
        const result = await model.evalLoss(rowsToBatch([row], 1, seqLen, padId), new Map(), weights);
        if (result.tokens === 0) continue;
        window.nll += result.loss * result.tokens;
        window.tokens += result.tokens;
      }
      if (window.tokens > 0) windows.push(window);
    }
  } finally {
    await model.dispose();
  }
  return summarize(windows, samples.length);
}
