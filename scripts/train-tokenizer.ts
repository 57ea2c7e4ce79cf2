/**
 * Trains the bundled tokenizer (byte-level BPE, 8,192 tokens) on the training split of the
 * pretraining corpus and writes models/base/tokenizer.json + tokenizer_config.json.
 *
 * Usage: npx tsx scripts/train-tokenizer.ts [--out models/base] [--vocab-size 8192]
 */
import { Command } from 'commander';
import { buildCorpus, countWords } from '../src/pretrain/corpus.js';
import { trainAndWriteTokenizer } from '../src/modelfmt/tokenizer/write.js';

const options = new Command()
  .option('--out <dir>', 'model folder to write the tokenizer files into', 'models/base')
  .option('--vocab-size <n>', 'vocabulary size including special and byte tokens', '8192')
  .parse()
  .opts<{ out: string; vocabSize: string }>();

const corpus = buildCorpus();
console.log(`corpus: ${corpus.train.length} training documents, ${countWords(corpus.train)} words`);
const report = trainAndWriteTokenizer(
  corpus.train.map((d) => d.text),
  options.out,
  Number(options.vocabSize),
);
console.log(
  `tokenizer: ${report.vocabSize} tokens, ${report.merges} merges from ${report.distinctWords} distinct words in ${report.seconds.toFixed(1)} s → ${options.out}`,
);
