/**
 * `tokenizer.*` metadata of a GGUF file from a folder's tokenizer.json and
 * tokenizer_config.json, as llama.cpp's converter writes it for byte-level BPE tokenizers
 * (TextModel._set_vocab_gpt2 + gguf-py's SpecialVocab): the token list padded to the
 * model's vocab_size with `[PADi]`, token types, merges as "a b" strings, special ids, the
 * add-BOS/EOS flags and the chat template.
 *
 * `tokenizer.ggml.pre` names the pre-tokenizer regex llama.cpp applies. The converter finds
 * it by hashing a probe text's token ids, which fails for the tokenizers we train ourselves;
 * we name it by the tokenizer.json pre-tokenizer instead, which is what the hash stands
 * for: the name whose regex in llama-vocab.cpp is the one tokenizer.json splits with.
 */
import { PersonaError } from '../../errors.js';
import { tokenString, type TokenizerConfig } from '../chat-render.js';
import { bool, str, u32, type GgufValue } from './writer.js';

/** llama.cpp's llama_token_type. */
const TOKEN_TYPE = { NORMAL: 1, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5 } as const;

const GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
const LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

type Json = Record<string, unknown>;

/** One pre-tokenizer step in a comparable form: ByteLevel(regex), Digits(individual) or Split(regex). */
function describe(step: Json): string {
  if (step.type === 'ByteLevel') return step.use_regex === false ? 'bytes' : 'bytes+gpt2';
  if (step.type === 'Digits') return step.individual_digits ? 'digits' : 'digit-runs';
  if (step.type === 'Split') {
    const pattern = (step.pattern as Json | undefined)?.Regex;
    if (pattern === LLAMA3_REGEX) return 'split:llama3';
    if (pattern === QWEN2_REGEX) return 'split:qwen2';
    if (pattern === GPT2_REGEX) return 'split:gpt2';
  }
  return `unknown:${JSON.stringify(step)}`;
}

/** Pre-tokenizer chain → llama.cpp pre name (the GPT-2 split plus ByteLevel without its own regex is the same as plain ByteLevel). */
const PRE_NAMES: Record<string, string> = {
  'bytes+gpt2': 'gpt-2',
  'split:gpt2 bytes': 'gpt-2',
  'digits bytes+gpt2': 'smollm',
  'split:llama3 bytes': 'llama-bpe',
  'split:qwen2 bytes': 'qwen2',
};

export function preTokenizerName(tokenizerJson: Json, file = 'tokenizer.json'): string {
  const pre = tokenizerJson.pre_tokenizer as Json | null | undefined;
  const steps = !pre ? [] : pre.type === 'Sequence' ? (pre.pretokenizers as Json[]) : [pre];
  const key = steps.map(describe).join(' ');
  const name = PRE_NAMES[key];
  if (!name) {
    throw new PersonaError(
      'model_unsupported',
      `${file}: the pre_tokenizer (${key || 'none'}) has no llama.cpp equivalent; GGUF export supports byte-level BPE tokenizers of the GPT-2, SmolLM, Llama 3 and Qwen2 kinds.`,
      {
        file,
        field: 'pre_tokenizer',
      },
    );
  }
  return name;
}

/** gguf-py's does_token_look_special: added tokens some models forget to mark special. */
function looksSpecial(token: string): boolean {
  return (
    ['<pad>', '<mask>', '<2mass>', '[@BOS@]'].includes(token) ||
    (token.startsWith('<|') && token.endsWith('|>')) ||
    (token.startsWith('<unused') && token.endsWith('>'))
  );
}

interface AddedToken {
  id: number;
  content: string;
  special?: boolean;
}

export function tokenizerMetadata(
  tokenizerJson: Json,
  tokenizerConfig: TokenizerConfig,
  modelConfig: Json,
  vocabSize: number,
  file = 'tokenizer.json',
): [string, GgufValue][] {
  const model = tokenizerJson.model as Json | undefined;
  if (model?.type !== 'BPE' || !model.vocab || !Array.isArray(model.merges)) {
    throw new PersonaError('model_unsupported', `${file}: model.type must be a BPE vocabulary with merges for GGUF export (found ${String(model?.type)}).`, {
      file,
      field: 'model.type',
    });
  }
  const pre = preTokenizerName(tokenizerJson, file);
  const added = (tokenizerJson.added_tokens as AddedToken[] | undefined) ?? [];
  const addedById = new Map(added.map((t) => [t.id, t]));
  const byId = new Map<number, string>();
  for (const [token, id] of Object.entries(model.vocab as Record<string, number>)) byId.set(id, token);
  for (const t of added) byId.set(t.id, t.content);
  const maxId = Math.max(...byId.keys());
  if (maxId >= vocabSize)
    throw new PersonaError('tokenizer_mismatch', `${file}: token id ${maxId} is outside config.json's vocab_size ${vocabSize}.`, { file, field: 'vocab_size' });

  const tokens: string[] = [];
  const types: number[] = [];
  for (let i = 0; i < vocabSize; i++) {
    const token = byId.get(i);
    const addedToken = addedById.get(i);
    if (token === undefined) {
      tokens.push(`[PAD${i}]`);
      types.push(TOKEN_TYPE.UNUSED);
    } else {
      tokens.push(token);
      types.push(!addedToken ? TOKEN_TYPE.NORMAL : addedToken.special || looksSpecial(token) ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.USER_DEFINED);
    }
  }
  // Merges: the list-of-pairs format (transformers ≥ 4.45) joined with a space, spaces inside a part written as U+0120 like the converter.
  const merges = (model.merges as unknown[]).map((m) => (typeof m === 'string' ? m : (m as string[]).map((part) => part.replaceAll(' ', '\u0120')).join(' ')));

  const out: [string, GgufValue][] = [
    ['tokenizer.ggml.model', str('gpt2')],
    ['tokenizer.ggml.pre', str(pre)],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: tokens }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'int32', value: types }],
    ['tokenizer.ggml.merges', { type: 'array', itemType: 'string', value: merges }],
  ];
  out.push(...specialTokenMetadata(tokenizerJson, added, tokenizerConfig, modelConfig, vocabSize));
  if (typeof tokenizerConfig.chat_template === 'string') out.push(['tokenizer.chat_template', str(tokenizerConfig.chat_template)]);
  return out;
}

const SPECIAL_KEYS: Record<string, string> = {
  bos: 'bos_token_id',
  eos: 'eos_token_id',
  unk: 'unknown_token_id',
  sep: 'seperator_token_id',
  pad: 'padding_token_id',
  cls: 'cls_token_id',
  mask: 'mask_token_id',
};

/**
 * SpecialVocab: ids from tokenizer_config's `<typ>_token` (looked up among added tokens), else
 * config.json's `<typ>_token_id`; add_bos/add_eos from a TemplateProcessing post-processor
 * that wraps a single sequence in them (Llama 3), overridden by tokenizer_config's flags.
 */
function specialTokenMetadata(
  tokenizerJson: Json,
  added: AddedToken[],
  tokenizerConfig: TokenizerConfig,
  modelConfig: Json,
  vocabSize: number,
): [string, GgufValue][] {
  const out: [string, GgufValue][] = [];
  const config = tokenizerConfig as Json;
  for (const [typ, key] of Object.entries(SPECIAL_KEYS)) {
    const content = tokenString(config[`${typ}_token`]);
    let id = content === undefined ? undefined : added.find((t) => t.content === content)?.id;
    const fromModel = modelConfig[`${typ}_token_id`];
    if (id === undefined && typeof fromModel === 'number' && Number.isInteger(fromModel)) id = fromModel;
    if (id !== undefined && id >= 0 && id < vocabSize) out.push([`tokenizer.ggml.${key}`, u32(id)]);
  }
  const wrapping = templateWrapping(tokenizerJson);
  for (const typ of ['bos', 'eos'] as const) {
    const configured = config[`add_${typ}_token`];
    const fromTemplate = wrapping[typ] === undefined ? undefined : wrapping[typ] === tokenString(config[`${typ}_token`]);
    const flag = typeof configured === 'boolean' ? configured : fromTemplate;
    if (flag !== undefined) out.push([`tokenizer.ggml.add_${typ}_token`, bool(flag)]);
  }
  return out;
}

/** The special tokens a TemplateProcessing post-processor puts before and after a single sequence. */
function templateWrapping(tokenizerJson: Json): { bos?: string; eos?: string } {
  const post = tokenizerJson.post_processor as Json | null | undefined;
  const processors = !post ? [] : post.type === 'Sequence' ? (post.processors as Json[]) : [post];
  const template = processors.find((p) => p.type === 'TemplateProcessing');
  const single = (template?.single as Json[] | undefined) ?? [];
  if (single.length < 2) return {};
  const special = (item: Json | undefined) => (item?.SpecialToken as Json | undefined)?.id as string | undefined;
  return { bos: special(single[0]), eos: special(single[single.length - 1]) };
}
