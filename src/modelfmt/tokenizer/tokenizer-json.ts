/**
 * Writes a trained byte-level BPE as a Hugging Face `tokenizer.json` in GPT-2's layout: no
 * normalizer (so text round-trips byte for byte, combining marks included), the ByteLevel
 * pre-tokenizer, post-processor and decoder, and the special tokens as added tokens.
 */
import type { TrainedBpe } from './train-bpe.js';

export function buildTokenizerJson(bpe: TrainedBpe, specialTokens: string[]): Record<string, unknown> {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specialTokens.map((content) => ({
      id: bpe.vocab.get(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(bpe.vocab),
      merges: bpe.merges,
    },
  };
}
