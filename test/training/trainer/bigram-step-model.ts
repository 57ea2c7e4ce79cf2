/**
 * A second, tiny implementation of the StepModel contract for the loop tests: a bigram
 * language model (next-token logits = one row of a [V, V] table) with exact analytic
 * gradients in plain JavaScript. It lets the loop, checkpoint and determinism tests run in
 * milliseconds and independently of the ONNX training graph, which has its own tests.
 */
import type { LlamaConfig } from '../../../src/modelfmt/hf-config.ts';
import type { Params, StepModel, TokenBatch } from '../../../src/training/step-model.ts';

export const BIGRAM = 'bigram.weight';

export function createBigramStepModel(vocab: number): StepModel {
  const run = (batch: TokenBatch, trainable: Params, withGrads: boolean) => {
    const w = trainable.get(BIGRAM)!;
    const grad = new Float32Array(w.length);
    const probs = new Float64Array(vocab);
    let loss = 0;
    let tokens = 0;
    for (let b = 0; b < batch.batchSize; b++) {
      for (let t = 1; t < batch.seqLen; t++) {
        const label = Number(batch.labels[b * batch.seqLen + t]);
        if (label === -100) continue;
        const prev = Number(batch.inputIds[b * batch.seqLen + t - 1]);
        let max = -Infinity;
        for (let j = 0; j < vocab; j++) max = Math.max(max, w[prev * vocab + j]);
        let z = 0;
        for (let j = 0; j < vocab; j++) z += probs[j] = Math.exp(w[prev * vocab + j] - max);
        loss += -Math.log(probs[label] / z);
        tokens += 1;
        if (withGrads) for (let j = 0; j < vocab; j++) grad[prev * vocab + j] += probs[j] / z - (j === label ? 1 : 0);
      }
    }
    if (tokens > 0) for (let i = 0; i < grad.length; i++) grad[i] /= tokens;
    return { loss: tokens > 0 ? loss / tokens : 0, tokens, grads: new Map([[BIGRAM, grad]]) };
  };
  return {
    config: { vocab_size: vocab } as LlamaConfig,
    trainableShapes: new Map([[BIGRAM, [vocab, vocab]]]),
    step: async (batch, _frozen, trainable) => run(batch, trainable, true),
    evalLoss: async (batch, _frozen, trainable) => {
      const { loss, tokens } = run(batch, trainable, false);
      return { loss, tokens };
    },
    dispose: async () => {},
  };
}

export function bigramParams(vocab: number): Params {
  return new Map([[BIGRAM, new Float32Array(vocab * vocab)]]);
}
