/**
 * Trains the bundled byte-level BPE on a set of texts and writes `tokenizer.json` and
 * `tokenizer_config.json` (with the chat template) into a model folder.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseTokenizerConfig, SPECIAL_TOKEN_LIST } from '../chat-template.js';
import { buildTokenizerJson } from './tokenizer-json.js';
import { countWords, trainBpe } from './train-bpe.js';

export interface TokenizerTrainingReport {
  vocabSize: number;
  merges: number;
  distinctWords: number;
  seconds: number;
}

export function trainAndWriteTokenizer(texts: Iterable<string>, outDir: string, vocabSize: number): TokenizerTrainingReport {
  const started = Date.now();
  const wordCounts = countWords(texts, SPECIAL_TOKEN_LIST);
  const bpe = trainBpe(wordCounts, { vocabSize, specialTokens: SPECIAL_TOKEN_LIST });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'tokenizer.json'), JSON.stringify(buildTokenizerJson(bpe, SPECIAL_TOKEN_LIST), null, 1) + '\n');
  writeFileSync(join(outDir, 'tokenizer_config.json'), JSON.stringify(baseTokenizerConfig(bpe.vocab), null, 2) + '\n');
  return { vocabSize: bpe.vocab.size, merges: bpe.merges.length, distinctWords: wordCounts.size, seconds: (Date.now() - started) / 1000 };
}
