/**
 * DiscordChatExporter JSON (one channel per file): `{ guild, channel, messages: [{ id,
 * type, timestamp, content, author: { id, name, nickname, isBot }, mentions }] }`.
 * System messages (joins, pins, thread creation) and empty messages are left out.
 */
import type { Message, ParsedSource } from '../types.js';
import { emptySource, malformed, parseJson } from './common.js';

interface DceUser {
  id?: string;
  name?: string;
  nickname?: string;
  isBot?: boolean;
  roles?: Array<{ id?: string; name?: string }>;
}

interface DceMessage {
  id?: string;
  type?: string;
  timestamp?: string;
  content?: string;
  author?: DceUser;
  mentions?: DceUser[];
}

const SPOKEN_TYPES = new Set(['Default', 'Reply']);

export function parseDiscord(text: string): ParsedSource {
  const data = parseJson(text, 'the DiscordChatExporter file') as { guild?: { id?: string }; channel?: { id?: string; name?: string }; messages?: DceMessage[] };
  if (!data || !Array.isArray(data.messages)) throw malformed('a DiscordChatExporter file needs a "messages" array');
  const source = emptySource('discord');
  if (data.channel?.id && data.channel.name) source.channels[data.channel.id] = data.channel.name;
  const remember = (user: DceUser | undefined) => {
    // A server nickname is what people see; an export may carry it on some records only.
    if (user?.id && (user.nickname || !(user.id in source.users))) source.users[user.id] = user.nickname || user.name || user.id;
    for (const role of user?.roles ?? []) if (role.id && role.name) source.channels[role.id] = role.name;
  };

  const conversation: Message[] = [];
  for (const [index, m] of data.messages.entries()) {
    if (!m || typeof m !== 'object') throw malformed(`message ${index + 1} is not an object`);
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
  if (data.guild?.id && data.channel?.id) source.platformSources = [{ type: 'discord', ref: `discord:${data.guild.id}/${data.channel.id}` }];
  return source;
}
