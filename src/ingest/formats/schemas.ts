/**
 * Schemas of the exported messages read from other tools (DiscordChatExporter, Slack),
 * checked one message at a time at the boundary: a message with a wrongly typed field
 * (`"content": 42`, `"author": { "name": 7 }`) is skipped with a reason naming the field,
 * and the rest of the file is read. Unknown fields pass (exports grow new ones).
 */
import { z } from 'zod';
import type { InvalidMessage } from '../types.js';

const text = z.string().nullish();
const flag = z.boolean().nullish();

export const DceUserSchema = z
  .object({ id: text, name: text, nickname: text, isBot: flag, roles: z.array(z.object({ id: text, name: text }).loose()).nullish() })
  .loose();

export const DceMessageSchema = z
  .object({ id: text, type: text, timestamp: text, content: text, author: DceUserSchema.nullish(), mentions: z.array(DceUserSchema).nullish() })
  .loose();

export const SlackUserSchema = z
  .object({ id: text, team_id: text, name: text, real_name: text, is_bot: flag, profile: z.object({ display_name: text, real_name: text }).loose().nullish() })
  .loose();

export const SlackMessageSchema = z
  .object({
    type: text,
    team: text,
    subtype: text,
    user: text,
    username: text,
    bot_id: text,
    text,
    ts: text,
    thread_ts: text,
    user_profile: z.object({ display_name: text, real_name: text, name: text }).loose().nullish(),
  })
  .loose();

/** The first problem of a failed parse, as a short phrase: `content: expected string, received number`. */
function describe(error: z.ZodError): string {
  const [issue] = error.issues;
  const field = issue.path.length ? issue.path.join('.') : 'the message';
  return `${field}: ${issue.message.replace(/^Invalid input: /, '')}`;
}

/**
 * The items that fit `schema`, with their index in `items` (positions stay stable); each
 * one that does not is added to `invalid` with its position and the reason.
 */
export function validItems<S extends z.ZodType>(
  items: unknown[],
  schema: S,
  positionOf: (item: unknown, index: number) => string,
  invalid: InvalidMessage[],
): Array<[number, z.infer<S>]> {
  const out: Array<[number, z.infer<S>]> = [];
  items.forEach((item, index) => {
    const parsed = schema.safeParse(item);
    if (parsed.success) out.push([index, parsed.data]);
    else invalid.push({ position: positionOf(item, index), reason: describe(parsed.error) });
  });
  return out;
}

/** A message's own id when it has a usable one, else `#<index>` (0-based, as sample positions). */
export function idOrIndex(key: string): (item: unknown, index: number) => string {
  return (item, index) => {
    const id = item && typeof item === 'object' ? (item as Record<string, unknown>)[key] : undefined;
    return typeof id === 'string' && id ? id : `#${index}`;
  };
}
