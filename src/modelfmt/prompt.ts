/**
 * The one prompt renderer: (persona, context turns, target) → the text a model sees, used by
 * training (src/training/trainer/render.ts) and by serving (src/inference/prompt-context.ts) alike,
 * so a model is trained on exactly the prompt it is later asked with.
 *
 * A rendered turn is `prompt + target + end`: `prompt` is everything up to the persona's
 * opened turn (system prompt, context, the template's generation prompt), `target` the
 * persona's words as the template renders them, `end` the end-of-turn token. Serving encodes
 * `prompt`; training encodes the three parts one by one (the way generation sees them: the
 * prompt encoded, then the reply's tokens) and learns `target + end`; evaluation scores
 * `target` alone (the persona's words, not the format).
 *
 * Multi-speaker context, decided once for every template:
 * - templates that render a message's `name` (the bundled one): one message per turn, other
 *   speakers as `user` under their own names, the persona's turns as `assistant` under the
 *   persona's name, and the reply opened under the persona's name;
 * - templates that drop names (ChatML, SmolLM2, Llama 3, Qwen2.5, Gemma 3 …): consecutive
 *   turns of other speakers become one `user` message of `Name: text` lines, consecutive
 *   persona turns one `assistant` message of plain lines, so roles strictly alternate (Gemma
 *   requires it); a conversation that does not open with another speaker (a monologue
 *   included) opens with an empty `user` message, which also keeps the system prompt of
 *   templates that fold it into the first user turn (Gemma).
 */
import { PersonaError } from '../errors.js';
import { neutralizeControlTokens, renderChat, tokenString, type ChatMessage, type TokenizerConfig } from './chat-render.js';

export interface PromptTurn {
  speaker: string;
  text: string;
  /** The persona's own earlier turn. */
  own: boolean;
}

export interface PersonaPromptInput {
  systemPrompt: string;
  /** The name the persona's turns carry (in templates that show names). */
  personaName: string;
  /** Earlier turns, oldest first; empty for a monologue. */
  context: readonly PromptTurn[];
}

export interface RenderedTurn {
  prompt: string;
  /** The persona's words as the template writes them (templates may trim). */
  target: string;
  /** The end-of-turn marker that closes the target. */
  end: string;
}

/** End-of-turn markers of the common template families, tried after the config's eos_token. */
const END_OF_TURN_MARKERS = ['<|im_end|>', '<|eot_id|>', '<end_of_turn>', '<|end|>', '</s>', '<|endoftext|>'];

const namesShown = new WeakMap<TokenizerConfig, boolean>();

/** Whether the chat template renders a message's `name` (ours does; most downloaded ones do not). */
export function templateShowsNames(config: TokenizerConfig, file?: string): boolean {
  let shows = namesShown.get(config);
  if (shows === undefined) {
    const probe = 'Zqx Speaker';
    shows = renderChat(config, [{ role: 'user', name: probe, content: 'hi' }], { addGenerationPrompt: false }, file).includes(probe);
    namesShown.set(config, shows);
  }
  return shows;
}

/** The chat messages of a persona prompt (without the persona's reply), per the rules above. */
export function personaMessages(config: TokenizerConfig, input: PersonaPromptInput, file?: string): ChatMessage[] {
  const messages: ChatMessage[] = input.systemPrompt ? [{ role: 'system', content: input.systemPrompt }] : [];
  const personaName = neutralizeControlTokens(input.personaName);
  if (templateShowsNames(config, file)) {
    for (const turn of input.context) {
      const text = neutralizeControlTokens(turn.text);
      messages.push(
        turn.own ? { role: 'assistant', name: personaName, content: text } : { role: 'user', name: neutralizeControlTokens(turn.speaker), content: text },
      );
    }
    return messages;
  }
  const folded: ChatMessage[] = [];
  for (const turn of input.context) {
    const role = turn.own ? 'assistant' : 'user';
    const line = turn.own ? neutralizeControlTokens(turn.text) : `${neutralizeControlTokens(turn.speaker)}: ${neutralizeControlTokens(turn.text)}`;
    const last = folded[folded.length - 1];
    if (last?.role === role) last.content += `\n${line}`;
    else folded.push({ role, content: line });
  }
  if (folded[0]?.role !== 'user') folded.unshift({ role: 'user', content: '' });
  return [...messages, ...folded];
}

/** What serving encodes: the prompt that opens the persona's turn. */
export function renderPersonaPrompt(config: TokenizerConfig, input: PersonaPromptInput, file?: string): string {
  return renderChat(
    config,
    personaMessages(config, input, file),
    { addGenerationPrompt: true, generationName: neutralizeControlTokens(input.personaName) },
    file,
  );
}

/**
 * What training encodes: the same prompt, then the persona's words and the end-of-turn
 * marker, cut out of the template's own rendering of the finished conversation.
 */
export function renderPersonaTurn(config: TokenizerConfig, input: PersonaPromptInput, target: string, file = 'tokenizer_config.json'): RenderedTurn {
  const messages = personaMessages(config, input, file);
  const prompt = renderChat(config, messages, { addGenerationPrompt: true, generationName: neutralizeControlTokens(input.personaName) }, file);
  const content = neutralizeControlTokens(target).trim();
  const reply: ChatMessage = { role: 'assistant', content };
  if (templateShowsNames(config, file)) reply.name = neutralizeControlTokens(input.personaName);
  const full = renderChat(config, [...messages, reply], { addGenerationPrompt: false }, file);
  if (!full.startsWith(prompt) || !full.startsWith(content, prompt.length)) {
    throw new PersonaError(
      'template_error',
      `${file}: chat_template does not write a reply right after its generation prompt, so training and serving would see different prompts.`,
      {
        file,
        field: 'chat_template',
      },
    );
  }
  const after = full.slice(prompt.length + content.length);
  const markers = [tokenString(config.eos_token), ...END_OF_TURN_MARKERS].filter((m): m is string => !!m);
  const end = markers.find((m) => after.startsWith(m));
  if (end === undefined) {
    throw new PersonaError('template_error', `${file}: chat_template closes a reply with none of the known end-of-turn tokens (${markers.join(', ')}).`, {
      file,
      field: 'chat_template',
    });
  }
  return { prompt, target: content, end };
}
