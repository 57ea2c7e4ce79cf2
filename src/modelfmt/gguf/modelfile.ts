/**
 * An Ollama Modelfile for an exported GGUF (`ollama create <name> -f Modelfile`): FROM the
 * file beside it, the persona's system prompt, its sampling parameters and stop tokens.
 *
 * TEMPLATE: Ollama reads a GGUF's `tokenizer.chat_template` only to recognise the common
 * families (ChatML, Llama 3, Qwen, Gemma …) and then uses its own Go template for it. Our
 * bundled template renders each message under its speaker's name and opens the reply under
 * the persona's name (`<|im_start|>Ada`), which no Ollama family does, so for templates
 * that show names we write the Go template that renders the same prompt our generator
 * encodes; for the others, the GGUF's own template is left to Ollama.
 */
import { PersonaError } from '../../errors.js';
import { renderChat, tokenString, type TokenizerConfig } from '../chat-render.js';

export interface ModelfileInput {
  /** FROM: the GGUF's path relative to the Modelfile. */
  ggufFile: string;
  personaName: string;
  systemPrompt: string;
  tokenizerConfig: TokenizerConfig;
  /** Token strings that end a reply (eos, <|im_end|>, <|endoftext|> …). */
  stopTokens: string[];
  sampling: { temperature: number; top_k: number; top_p: number; min_p: number; repetition_penalty: number; max_new_tokens: number; stop: string[] };
}

/** ChatML under names, as our bundled template renders it (Go template syntax). */
function namedChatmlTemplate(personaName: string): string {
  return [
    '{{- if .System }}<|im_start|>system',
    '{{ .System }}<|im_end|>',
    '{{ end }}',
    '{{- range .Messages }}',
    '{{- if eq .Role "user" }}<|im_start|>user',
    '{{ .Content }}<|im_end|>',
    '{{ else if eq .Role "assistant" }}<|im_start|>' + personaName,
    '{{ .Content }}<|im_end|>',
    '{{ end }}',
    '{{- end }}<|im_start|>' + personaName,
    '',
  ].join('\n');
}

/** Whether the chat template writes a message's name and the generation name (the bundled ChatML one). */
export function showsNames(config: TokenizerConfig): boolean {
  const text = renderChat(config, [{ role: 'user', name: 'Zqx Speaker', content: 'hi' }], { addGenerationPrompt: true, generationName: 'Qzx Persona' });
  return text.includes('<|im_start|>Zqx Speaker') && text.includes('<|im_start|>Qzx Persona');
}

/**
 * The chat template for the GGUF: a template that opens the reply under `generation_name`
 * gets the persona's name as its default, since llama.cpp, LM Studio and the like render it
 * without that variable (and would open the reply as "assistant", a turn the persona was
 * never trained on); other templates are kept as they are.
 */
export function ggufChatTemplate(config: TokenizerConfig, personaName: string): string | undefined {
  if (typeof config.chat_template !== 'string' || !showsNames(config)) return undefined;
  return `{%- set generation_name = generation_name or ${JSON.stringify(personaName)} -%}${config.chat_template}`;
}

/** A value Ollama's parser reads back unchanged inside "…" (no quotes, backslashes or line breaks). */
const plainQuotable = (text: string) => !/["\\\r\n]/.test(text);

export function ollamaModelfile(input: ModelfileInput): string {
  if (input.systemPrompt.includes('"""')) {
    throw new PersonaError('invalid_argument', 'system_prompt contains """, which an Ollama Modelfile cannot quote; remove it to export a Modelfile.', {
      field: 'system_prompt',
    });
  }
  if (/[{}\r\n]/.test(input.personaName)) {
    throw new PersonaError(
      'invalid_argument',
      `name "${input.personaName}" contains braces or a line break, which the Ollama template cannot carry; rename the persona to export a Modelfile.`,
      { field: 'name' },
    );
  }
  const s = input.sampling;
  const lines = [
    `# Ollama Modelfile written by \`persona export --format gguf\`. Create the model with: ollama create <name> -f Modelfile`,
    `FROM ./${input.ggufFile}`,
    '',
  ];
  const named = showsNames(input.tokenizerConfig);
  if (named) lines.push(`TEMPLATE """${namedChatmlTemplate(input.personaName)}"""`, '');
  if (input.systemPrompt) lines.push(`SYSTEM """${input.systemPrompt}"""`, '');
  lines.push(
    `PARAMETER temperature ${s.temperature}`,
    `PARAMETER top_k ${s.top_k}`,
    `PARAMETER top_p ${s.top_p}`,
    `PARAMETER min_p ${s.min_p}`,
    `PARAMETER repeat_penalty ${s.repetition_penalty}`,
    `PARAMETER num_predict ${s.max_new_tokens}`,
  );
  const eos = tokenString(input.tokenizerConfig.eos_token);
  const turnStart = named ? ['<|im_start|>'] : [];
  const stops = [...new Set([...(eos ? [eos] : []), ...input.stopTokens, ...turnStart, ...s.stop])];
  for (const stop of stops) {
    if (stop && plainQuotable(stop)) lines.push(`PARAMETER stop "${stop}"`);
    else if (stop) lines.push(`# stop string ${JSON.stringify(stop)} left out: Ollama cannot quote it`);
  }
  return `${lines.join('\n')}\n`;
}
