/**
 * Runtime tokenizer of a model folder: tokenizer.json + tokenizer_config.json loaded into
 * @huggingface/tokenizers (the library does the encoding and decoding; this module only
 * adapts its API and resolves the special-token ids the trainer and generator need).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { PersonaError } from '../errors.js';
import { tokenString, type TokenizerConfig } from './chat-render.js';

export interface EncodeOptions {
  /** Let the tokenizer's post-processor add BOS/EOS (Llama 3 adds BOS). Default false: chat templates write them. */
  addSpecialTokens?: boolean;
}
export interface Tokenizer {
  encode(text: string, options?: EncodeOptions): number[];
  decode(ids: ArrayLike<number>, options?: { skipSpecialTokens?: boolean }): string;
  /** One past the largest token id (what the embedding matrix must cover). */
  vocabSize: number;
  eosTokenId: number;
  /** Every end-of-generation id: eos plus <|endoftext|>/<|im_end|>/<|eot_id|> when present. */
  stopTokenIds: number[];
  padTokenId: number | undefined;
  specialTokenIds: number[];
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
}

function readJson(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new PersonaError('model_not_found', `${file} is missing from the model folder.`, { file });
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PersonaError('model_corrupt', `${file}: not valid JSON (${(error as Error).message}).`, { file });
  }
}

export function readTokenizerFiles(modelDir: string): { tokenizerJson: Record<string, unknown>; tokenizerConfig: TokenizerConfig } {
  const tokenizerConfig = readJson(join(modelDir, 'tokenizer_config.json'));
  return {
    tokenizerJson: readJson(join(modelDir, 'tokenizer.json')),
    tokenizerConfig: { ...tokenizerConfig, chat_template: tokenizerConfig.chat_template ?? readTemplateFile(modelDir) },
  };
}

/** Recent transformers versions save the chat template beside tokenizer_config.json instead of inside it. */
function readTemplateFile(modelDir: string): unknown {
  const jinja = join(modelDir, 'chat_template.jinja');
  if (existsSync(jinja)) return readFileSync(jinja, 'utf8');
  const json = join(modelDir, 'chat_template.json');
  return existsSync(json) ? readJson(json).chat_template : undefined;
}

const STOP_TOKENS = ['<|endoftext|>', '<|im_end|>', '<|eot_id|>', '<|end_of_text|>', '</s>'];

export function createTokenizer(tokenizerJson: Record<string, unknown>, tokenizerConfig: TokenizerConfig, file = 'tokenizer.json'): Tokenizer {
  let hf: HfTokenizer;
  try {
    hf = new HfTokenizer(tokenizerJson, tokenizerConfig);
  } catch (error) {
    throw new PersonaError('model_corrupt', `${file}: cannot be loaded as a Hugging Face tokenizer (${(error as Error).message}).`, { file });
  }
  const vocab = hf.get_vocab(true);
  const vocabSize = Math.max(...vocab.values()) + 1;
  const eosName = tokenString(tokenizerConfig.eos_token);
  const eosTokenId = eosName === undefined ? undefined : hf.token_to_id(eosName);
  if (eosTokenId === undefined) {
    throw new PersonaError('tokenizer_mismatch', `${file}: eos_token "${eosName}" of tokenizer_config.json is not in the vocabulary.`, {
      file,
      field: 'eos_token',
    });
  }
  const padName = tokenString(tokenizerConfig.pad_token);
  const specialTokenIds = [...hf.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([id]) => id);
  const stopTokenIds = [...new Set([eosTokenId, ...STOP_TOKENS.map((t) => hf.token_to_id(t)).filter((id): id is number => id !== undefined)])];
  return {
    encode: (text, options = {}) => hf.encode(text, { add_special_tokens: options.addSpecialTokens ?? false }).ids,
    decode: (ids, options = {}) => hf.decode(Array.from(ids), { skip_special_tokens: options.skipSpecialTokens ?? false, clean_up_tokenization_spaces: false }),
    vocabSize,
    eosTokenId,
    stopTokenIds,
    padTokenId: padName === undefined ? undefined : hf.token_to_id(padName),
    specialTokenIds,
    tokenToId: (token) => hf.token_to_id(token),
    idToToken: (id) => hf.id_to_token(id),
  };
}

export function loadTokenizer(modelDir: string): Tokenizer {
  const { tokenizerJson, tokenizerConfig } = readTokenizerFiles(modelDir);
  return createTokenizer(tokenizerJson, tokenizerConfig, join(modelDir, 'tokenizer.json'));
}
