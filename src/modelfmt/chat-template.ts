/**
 * The bundled base model's chat template: ChatML turns that carry the speaker's name
 * (`<|im_start|>{{ name or role }}\n{{ content }}<|im_end|>\n`), system messages first, and a
 * generation prompt that opens a turn for the persona (`generation_name`, default
 * "assistant"). The pretraining corpus renders its dialogue with this same template so the
 * format is familiar to the base model before any fine-tuning.
 */

export const SPECIAL_TOKENS = {
  endOfText: '<|endoftext|>',
  turnStart: '<|im_start|>',
  turnEnd: '<|im_end|>',
  pad: '<|pad|>',
} as const;

/** Special-token order fixes their ids: 0 <|endoftext|>, 1 <|im_start|>, 2 <|im_end|>, 3 <|pad|>. */
export const SPECIAL_TOKEN_LIST = [SPECIAL_TOKENS.endOfText, SPECIAL_TOKENS.turnStart, SPECIAL_TOKENS.turnEnd, SPECIAL_TOKENS.pad];

export const BASE_CHAT_TEMPLATE = [
  "{%- for message in messages if message['role'] == 'system' -%}",
  "{{- '<|im_start|>' + (message['name'] or message['role']) + '\\n' + message['content'] + '<|im_end|>\\n' -}}",
  '{%- endfor -%}',
  "{%- for message in messages if message['role'] != 'system' -%}",
  "{{- '<|im_start|>' + (message['name'] or message['role']) + '\\n' + message['content'] + '<|im_end|>\\n' -}}",
  '{%- endfor -%}',
  '{%- if add_generation_prompt -%}',
  "{{- '<|im_start|>' + (generation_name or 'assistant') + '\\n' -}}",
  '{%- endif -%}',
].join('');

/** tokenizer_config.json for the bundled tokenizer (as transformers/transformers.js expect it). */
export function baseTokenizerConfig(specialTokenIds: Map<string, number>): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    model_max_length: 1024,
    add_bos_token: false,
    add_eos_token: false,
    add_prefix_space: false,
    clean_up_tokenization_spaces: false,
    bos_token: SPECIAL_TOKENS.endOfText,
    eos_token: SPECIAL_TOKENS.turnEnd,
    pad_token: SPECIAL_TOKENS.pad,
    unk_token: null,
    additional_special_tokens: [SPECIAL_TOKENS.turnStart, SPECIAL_TOKENS.turnEnd],
    added_tokens_decoder: Object.fromEntries(
      SPECIAL_TOKEN_LIST.map((content) => [
        String(specialTokenIds.get(content)),
        { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
      ]),
    ),
    chat_template: BASE_CHAT_TEMPLATE,
  };
}
