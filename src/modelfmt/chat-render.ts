/**
 * Renders conversations with a model's Jinja `chat_template` (tokenizer_config.json) through
 * @huggingface/jinja, the same engine transformers.js uses, so our own ChatML-with-names
 * template and the templates shipped with downloaded models (ChatML, Llama 3, SmolLM2)
 * all work. `renderTrainingSegments` marks which characters the trainer should learn: only
 * the persona's turns (content plus the end-of-turn token), never the prompt.
 */
import { Template } from '@huggingface/jinja';
import { PersonaError } from '../errors.js';

export interface ChatMessage {
  role: string;
  name?: string;
  content: string;
}
export interface RenderOptions {
  addGenerationPrompt: boolean;
  /** Speaker name for the opened turn (our template); templates without names ignore it. */
  generationName?: string;
}
export interface TrainingSegment {
  text: string;
  train: boolean;
}
export type TokenizerConfig = Record<string, unknown> & { chat_template?: unknown };

/** Special tokens in tokenizer_config.json are strings or { content } objects. */
export function tokenString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

/**
 * Message text must never carry a control token (`<|im_start|>system`, Llama 3's
 * `<|start_header_id|>`, `</s>`) and forge a turn: the tokenizer would encode it as the
 * special token. Inference (what chat users type) and training (what transcripts contain)
 * both pass text through this. A word joiner (U+2060, invisible) after `<` breaks the match and keeps the
 * text readable.
 */
const CONTROL_MARKUP = /<(?=\|)|<(?=\/?s>)/g;

export function neutralizeControlTokens(text: string): string {
  return text.replace(CONTROL_MARKUP, '<\u2060');
}

/** A list-of-templates config (`[{ name: 'default', template }]`) picks the default one. */
function templateSource(config: TokenizerConfig, file: string): string {
  const raw = config.chat_template;
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw)) {
    const named = raw.find((t) => t?.name === 'default') ?? raw[0];
    if (typeof named?.template === 'string') return named.template;
  }
  throw new PersonaError('template_error', `${file}: no "chat_template" string; the model cannot render conversations.`, { file, field: 'chat_template' });
}

const templateCache = new Map<string, Template>();

export function renderChat(config: TokenizerConfig, messages: ChatMessage[], options: RenderOptions, file = 'tokenizer_config.json'): string {
  const source = templateSource(config, file);
  try {
    let template = templateCache.get(source);
    if (!template) templateCache.set(source, (template = new Template(source)));
    return template.render({
      messages: messages.map((m) => (m.name === undefined ? { role: m.role, content: m.content } : { ...m })),
      add_generation_prompt: options.addGenerationPrompt,
      generation_name: options.generationName,
      // Qwen3-style templates open a thinking block unless told not to: persona replies
      // never think, and the prompt must end where the reply starts (training = serving).
      enable_thinking: false,
      bos_token: tokenString(config.bos_token) ?? '',
      eos_token: tokenString(config.eos_token) ?? '',
      pad_token: tokenString(config.pad_token) ?? '',
      unk_token: tokenString(config.unk_token) ?? '',
    });
  } catch (error) {
    throw new PersonaError(
      'template_error',
      `${file}: chat_template failed to render: ${(error as Error).message}`,
      { file, field: 'chat_template' },
      { cause: error },
    );
  }
}

/** End-of-turn markers of the common template families, tried after the config's eos_token. */
const END_OF_TURN_MARKERS = ['<|im_end|>', '<|eot_id|>', '<|end|>', '</s>', '<|endoftext|>'];

/**
 * Splits the rendered conversation into segments; `train` is true for the content and
 * end-of-turn token of every message `isTrainTurn` selects (default: role "assistant").
 * The start of a turn's content is where the template's generation prompt for that turn
 * ends, so template-added headers are never trained on.
 */
export function renderTrainingSegments(
  config: TokenizerConfig,
  messages: ChatMessage[],
  isTrainTurn: (message: ChatMessage) => boolean = (m) => m.role === 'assistant',
  file = 'tokenizer_config.json',
): TrainingSegment[] {
  const full = renderChat(config, messages, { addGenerationPrompt: false }, file);
  const markers = [tokenString(config.eos_token), ...END_OF_TURN_MARKERS].filter((m): m is string => !!m);
  const segments: TrainingSegment[] = [];
  let cursor = 0;
  messages.forEach((message, i) => {
    if (!isTrainTurn(message) || message.content === '') return;
    const prompt = renderChat(config, messages.slice(0, i), { addGenerationPrompt: true, generationName: message.name }, file);
    const content = message.content.trim();
    let start = full.startsWith(prompt) && prompt.length >= cursor ? full.indexOf(content, prompt.length) : -1;
    if (start < 0) start = full.indexOf(content, cursor);
    if (start < 0) {
      throw new PersonaError('template_error', `${file}: chat_template drops or rewrites message ${i}'s content, so its turn cannot be located for training.`, {
        file,
        field: 'chat_template',
      });
    }
    let end = start + content.length;
    const after = full.slice(end);
    const lead = after.length - after.trimStart().length;
    const marker = markers.find((m) => after.startsWith(m, lead));
    if (marker) end += lead + marker.length;
    if (start > cursor) segments.push({ text: full.slice(cursor, start), train: false });
    segments.push({ text: full.slice(start, end), train: true });
    cursor = end;
  });
  if (cursor < full.length) segments.push({ text: full.slice(cursor), train: false });
  return segments;
}
