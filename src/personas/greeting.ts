/**
 * What a persona says before anyone else (the card's `first_mes` and `alternate_greetings`)
 * and its example dialogues (the card's `mes_example`), with the card macros filled in:
 * `{{char}}`/`<BOT>` become the persona's name, `{{user}}`/`<USER>` the person it talks to.
 */
import type { Rng } from '../util/random.js';
import type { Persona } from './schema.js';

export interface Speakers {
  char: string;
  /** The person the persona talks to; "User" when unknown. */
  user?: string;
}

export function fillMacros(text: string, { char, user = 'User' }: Speakers): string {
  return text.replace(/\{\{char\}\}|<bot>|<char>/gi, char).replace(/\{\{user\}\}|<user>/gi, user);
}

/**
 * The system prompt a model sees, in training and serving alike: the persona file's, with
 * card macros filled in (`{{user}}` is "User": a prompt is shared by everyone in a channel).
 */
export function systemPromptOf(persona: { name: string; system_prompt: string }): string {
  return fillMacros(persona.system_prompt, { char: persona.name });
}

/** Every greeting of the persona, `greeting` first, macros filled in; empty when it has none. */
export function greetingsOf(persona: Pick<Persona, 'name' | 'greeting' | 'alternate_greetings'>, user?: string): string[] {
  return [persona.greeting ?? '', ...persona.alternate_greetings].filter((g) => g.trim()).map((g) => fillMacros(g, { char: persona.name, user }));
}

/**
 * The greeting to show when a conversation starts (studio chat, a new Discord conversation):
 * `greeting`, or with an `rng` one of all greetings at random; undefined when there is none.
 */
export function pickGreeting(
  persona: Pick<Persona, 'name' | 'greeting' | 'alternate_greetings'>,
  options: { user?: string; rng?: Rng } = {},
): string | undefined {
  const all = greetingsOf(persona, options.user);
  if (all.length === 0) return undefined;
  return options.rng ? all[options.rng.int(all.length)] : all[0];
}

export interface ExampleTurn {
  speaker: string;
  text: string;
  /** A line of the persona itself (`{{char}}:`). */
  isPersona: boolean;
}

/**
 * Example dialogues in the card format: `<START>` separates conversations; a line starting
 * with `{{char}}:`, `{{user}}:` (or `<BOT>:`, `<USER>:`, the persona's name and a colon)
 * starts a turn; other lines continue the turn before them.
 */
export function parseExampleDialogues(text: string, speakers: Speakers): ExampleTurn[][] {
  const user = speakers.user ?? 'User';
  const escaped = speakers.char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const turnStart = new RegExp(`^\\s*(\\{\\{char\\}\\}|<bot>|<char>|\\{\\{user\\}\\}|<user>|${escaped})\\s*:\\s?(.*)$`, 'i');
  const dialogues: ExampleTurn[][] = [];
  let current: ExampleTurn[] = [];
  const close = () => {
    const turns = current.map((t) => ({ ...t, text: t.text.trim() })).filter((t) => t.text);
    if (turns.length) dialogues.push(turns);
    current = [];
  };
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (/^\s*<start>\s*$/i.test(line)) {
      close();
      continue;
    }
    const match = turnStart.exec(line);
    if (match) {
      const isPersona = !/^(\{\{user\}\}|<user>)$/i.test(match[1]);
      current.push({ speaker: isPersona ? speakers.char : user, text: fillMacros(match[2], { ...speakers, user }), isPersona });
    } else if (current.length) current[current.length - 1].text += `\n${fillMacros(line, { ...speakers, user })}`;
  }
  close();
  return dialogues;
}

/**
 * The example dialogues as conversation turns, oldest first, to put before a conversation at
 * serving time (few-shot context; the prompt builder drops them first when room is short).
 */
export function exampleTurns(persona: { name: string; example_dialogues?: string }, user?: string): Array<{ speaker: string; text: string }> {
  if (!persona.example_dialogues?.trim()) return [];
  return parseExampleDialogues(persona.example_dialogues, { char: persona.name, user })
    .flat()
    .map(({ speaker, text }) => ({ speaker, text }));
}
