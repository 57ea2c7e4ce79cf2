/**
 * `tokenizer.ggml.pre` is named by the tokenizer.json pre-tokenizer as llama.cpp's converter
 * names these tokenizers (GPT-2, SmolLM, Llama 3, Qwen2.5 as their Hub tokenizer.json files
 * spell them); anything else is refused naming the field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preTokenizerName } from '../../../src/modelfmt/gguf/tokenizer-metadata.ts';

const byteLevel = (useRegex: boolean) => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex });
const split = (regex: string) => ({ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false });
const LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

test('known pre-tokenizers map to llama.cpp names', () => {
  assert.equal(preTokenizerName({ pre_tokenizer: byteLevel(true) }), 'gpt-2');
  assert.equal(preTokenizerName({ pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel(true)] } }), 'smollm');
  assert.equal(preTokenizerName({ pre_tokenizer: { type: 'Sequence', pretokenizers: [split(LLAMA3), byteLevel(false)] } }), 'llama-bpe');
  assert.equal(preTokenizerName({ pre_tokenizer: { type: 'Sequence', pretokenizers: [split(QWEN2), byteLevel(false)] } }), 'qwen2');
});

test('other pre-tokenizers (SentencePiece-style Metaspace, none) are refused naming the field', () => {
  assert.throws(() => preTokenizerName({ pre_tokenizer: { type: 'Metaspace', replacement: '▁' } }), /pre_tokenizer .*no llama\.cpp equivalent/);
  assert.throws(() => preTokenizerName({ pre_tokenizer: null }), /pre_tokenizer \(none\)/);
});
