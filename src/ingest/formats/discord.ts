/**
 * DiscordChatExporter JSON (one channel per file): `{ guild, channel, messages: [{ id,
 * type, timestamp, content, author: { id, name, nickname, isBot }, mentions }] }`.
 * System messages (joins, pins, thread creation) and empty messages are left out; a
 * message whose fields have the wrong type is skipped with a reason (schemas.ts).
 */
import type { z } from 'zod';
import type { Message, ParsedSource } from '../types.js';
import { emptySource, malformed, parseJson } from './common.js';
import { DceMessageSchema, idOrIndex, validItems, type DceUserSchema } from './schemas.js';

type DceUser = z.infer<typeof DceUserSchema>;

const SPOKEN_TYPES = new Set(['Default', 'Reply']);

export function parseDiscord(text: string): ParsedSource {
  const data = parseJson(text, 'the DiscordChatExporter file') as {
    guild?: { id?: unknown };
    channel?: { id?: unknown; name?: unknown };
    messages?: unknown[];
  };
  if (!data || !Array.isArray(data.messages)) throw malformed('a DiscordChatExporter file needs a "messages" array');
  const source = emptySource('discord');
  source.invalid = [];
  const guildId = typeof data.guild?.id === 'string' ? data.guild.id : undefined;
  const channelId = typeof data.channel?.id === 'string' ? data.channel.id : undefined;
  if (channelId && typeof data.channel?.name === 'string') source.channels[channelId] = data.channel.name;
  const remember = (user: DceUser | null | undefined) => {
    // A server nickname is what people see; an export may carry it on some records only.
    if (user?.id && (user.nickname || !(user.id in source.users))) source.users[user.id] = user.nickname || user.name || user.id;
    for (const role of user?.roles ?? []) if (role.id && role.name) source.channels[role.id] = role.name;
  };

  const conversation: Message[] = [];
  const messages = validItems(data.messages, DceMessageSchema, idOrIndex('id'), source.invalid);
  for (const [index, m] of messages) {
    remember(m.author);
    if (m.mentions) for (const user of m.mentions) remember(user);
    if ((m.type && !SPOKEN_TYPES.has(m.type)) || !m.content) continue;
    const timestamp = m.timestamp ? Date.parse(m.timestamp) : Number.NaN;
    const message: Message = {
      speaker: m.author?.nickname || m.author?.name || 'unknown',
      text: m.content,
      position: m.id ?? `#${index}`,
    };
    if (m.author?.id) message.speakerId = m.author.id;
    if (!Number.isNaN(timestamp)) message.timestamp = timestamp;
    if (m.author?.isBot) message.isBot = true;
    conversation.push(message);
  }
  source.conversations = [conversation];
  // Message ids are Discord's own, so the live-capture ref makes the ids of both agree.
  if (guildId && channelId) source.platformSources = [{ type: 'discord', ref: `discord:${guildId}/${channelId}` }];
  return source;
}
