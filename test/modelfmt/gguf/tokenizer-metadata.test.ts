/**
 * Pre-tokenizers with no llama.cpp equivalent are refused naming the field (the known kinds
 * are checked end to end against llama.cpp's tokenizer in llama-cpp.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preTokenizerName } from '../../../src/modelfmt/gguf/tokenizer-metadata.ts';

test('other pre-tokenizers (SentencePiece-style Metaspace, none) are refused naming the field', () => {
  assert.throws(() => preTokenizerName({ pre_tokenizer: { type: 'Metaspace', replacement: '▁' } }), /pre_tokenizer .*no llama\.cpp equivalent/);
  assert.throws(() => preTokenizerName({ pre_tokenizer: null }), /pre_tokenizer \(none\)/);
  assert.throws(() => preTokenizerName({ pre_tokenizer: { type: 'Split', pattern: { Regex: '\\s+' }, behavior: 'Isolated' } }), /no llama\.cpp equivalent/);
});
