/**
 * Slack workspace exports: a folder or a .zip (read with fflate) holding users.json,
 * channels.json (and groups / mpims / dms.json) and one folder per channel of daily
 * message files. Each channel is one conversation and each thread another; joins,
 * topic changes and other system subtypes are left out.
 */
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { unzipSync } from 'fflate';
import type { z } from 'zod';
import { PersonaError } from '../../errors.js';
import type { Message, ParsedSource } from '../types.js';
import { emptySource, malformed, parseJson, tooLarge } from './common.js';
import { SlackMessageSchema, SlackUserSchema, idOrIndex, validItems } from './schemas.js';

type SlackUser = z.infer<typeof SlackUserSchema>;
type SlackMessage = z.infer<typeof SlackMessageSchema>;

export interface SlackFile {
  /** Path inside the export, with forward slashes (`general/2024-01-31.json`). */
  path: string;
  text: string;
}

const META_FILES = ['users.json', 'channels.json', 'groups.json', 'mpims.json', 'dms.json'];
const SPOKEN_SUBTYPES = new Set([undefined, null, 'thread_broadcast', 'me_message', 'file_share', 'bot_message']);
const decoder = new TextDecoder('utf-8', { fatal: true });

export function isSlackExportDir(dir: string): boolean {
  return existsSync(join(dir, 'channels.json')) || existsSync(join(dir, 'users.json'));
}

/** The JSON files of an export folder (the folder and one level of channel folders). */
export function readSlackDir(dir: string, maxBytes: number): SlackFile[] {
  const paths: string[] = [];
  let total = 0;
  const walk = (at: string, depth: number) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory() && depth < 1) walk(path, depth + 1);
      else if (entry.isFile() && entry.name.endsWith('.json')) {
        paths.push(path);
        total += statSync(path).size;
      }
    }
  };
  walk(dir, 0);
  if (total > maxBytes) throw tooLarge(total, maxBytes);
  return paths.map((path) => ({ path: relative(dir, path).split(sep).join('/'), text: readFileSync(path, 'utf8') }));
}

/** The JSON files of a zipped export; the unpacked size counts against `maxBytes` (no zip bombs). */
export function readSlackZip(bytes: Uint8Array, maxBytes: number): SlackFile[] {
  let entries: Record<string, Uint8Array>;
  let total = 0;
  try {
    entries = unzipSync(bytes, {
      filter: (file) => {
        const wanted = file.name.endsWith('.json') && !file.name.startsWith('__MACOSX/');
        if (wanted) total += file.originalSize;
        if (total > maxBytes) throw tooLarge(total, maxBytes);
        return wanted;
      },
    });
  } catch (error) {
    if (error instanceof PersonaError) throw error;
    throw malformed(`the zip archive is corrupt or truncated (${(error as Error).message})`);
  }
  const names = Object.keys(entries);
  // Some exports are zipped with a top folder: strip it so users.json sits at the root.
  const meta = names.find((name) => META_FILES.includes(basename(name)));
  const prefix = meta ? meta.slice(0, meta.length - basename(meta).length) : '';
  return names
    .filter((name) => name.startsWith(prefix))
    .map((name) => {
      try {
        return { path: name.slice(prefix.length), text: decoder.decode(entries[name]) };
      } catch {
        throw malformed(`${name} in the zip archive is not UTF-8 text`);
      }
    });
}

/** `1704103290.000300` (seconds.microseconds) → milliseconds, without float rounding. */
function slackTsToMs(ts: string): number {
  const [seconds, micros = '0'] = ts.split('.');
  return Number(seconds) * 1000 + Math.floor(Number(micros.padEnd(6, '0').slice(0, 6)) / 1000);
}

function displayName(user: SlackUser): string | undefined {
  return user.profile?.display_name || user.profile?.real_name || user.real_name || user.name || undefined;
}

function toMessage(m: SlackMessage, position: string, users: Record<string, string>): Message | null {
  if (m.type != null && m.type !== 'message') return null;
  if (!SPOKEN_SUBTYPES.has(m.subtype) || !m.text || !m.ts) return null;
  if (m.user && !(m.user in users)) {
    const profileName = m.user_profile && (m.user_profile.display_name || m.user_profile.real_name || m.user_profile.name);
    if (profileName) users[m.user] = profileName;
  }
  const message: Message = {
    speaker: (m.user && users[m.user]) || m.username || m.user || 'unknown',
    text: m.text,
    timestamp: slackTsToMs(m.ts),
    position,
  };
  if (m.user) message.speakerId = m.user;
  if (m.subtype === 'bot_message' || m.bot_id) message.isBot = true;
  return message;
}

/** Reads users.json, channels.json & co. into the name maps; returns the workspace (team) id if any. */
function readMeta(source: ParsedSource, name: string, data: unknown): string | undefined {
  if (!Array.isArray(data)) throw malformed(`${name} should be a JSON array`);
  let team: string | undefined;
  for (const [, item] of validItems(data, SlackUserSchema, (user, i) => `${name} ${idOrIndex('id')(user, i)}`, source.invalid!)) {
    if (!item?.id) continue;
    if (name === 'users.json') {
      const shown = displayName(item);
      if (shown) source.users[item.id] = shown;
      team ??= item.team_id ?? undefined;
    } else source.channels[item.id] = item.name || item.id;
  }
  return team;
}

/** One channel: the channel flow, then each thread (parent and replies) as its own conversation. */
function channelConversations(raw: SlackMessage[], position: (ts: string) => string, users: Record<string, string>): Message[][] {
  raw.sort((a, b) => Number.parseFloat(a.ts ?? '0') - Number.parseFloat(b.ts ?? '0'));
  const main: Message[] = [];
  const threads = new Map<string, Message[]>();
  for (const m of raw) {
    const message = toMessage(m, position(m.ts ?? ''), users);
    if (!message) continue;
    const isReply = m.thread_ts != null && m.thread_ts !== m.ts;
    if (!isReply || m.subtype === 'thread_broadcast') main.push(message);
    if (m.thread_ts) {
      const thread = threads.get(m.thread_ts) ?? [];
      thread.push(message);
      threads.set(m.thread_ts, thread);
    }
  }
  return [main, ...[...threads.values()].filter((thread) => thread.length > 1)];
}

/**
 * Channel and thread conversations of one export. When the workspace and channel ids are
 * known, samples use the live-capture ref `slack:<team>/<channel>` with the message ts as
 * position; otherwise the export file is the ref and `<channel folder>/<ts>` the position.
 */
export function parseSlackFiles(files: SlackFile[]): ParsedSource {
  const source = emptySource('slack');
  source.invalid = [];
  const byChannel = new Map<string, SlackMessage[]>();
  let team: string | undefined;
  for (const file of files) {
    const name = basename(file.path);
    const data = parseJson(file.text, file.path);
    if (META_FILES.includes(name) && !file.path.includes('/')) {
      team ??= readMeta(source, name, data);
      continue;
    }
    if (!Array.isArray(data)) throw malformed(`${file.path} should be a JSON array of messages`);
    const channel = file.path.includes('/') ? dirname(file.path) : 'channel';
    const list = byChannel.get(channel) ?? [];
    for (const [, m] of validItems(data, SlackMessageSchema, (item, i) => `${file.path} ${idOrIndex('ts')(item, i)}`, source.invalid!)) {
      list.push(m);
      team ??= m.team ?? undefined;
    }
    byChannel.set(channel, list);
  }
  if (byChannel.size === 0) throw malformed('the Slack export has no channel folders with message files');

  // Channel folders are named after public channels and group DMs, or are the id of a DM.
  const idOf = new Map(Object.entries(source.channels).map(([id, name]) => [name, id]));
  source.platformSources = [];
  for (const [channel, raw] of [...byChannel].sort(([a], [b]) => a.localeCompare(b))) {
    const channelId = idOf.get(channel) ?? (channel in source.channels ? channel : undefined);
    const platform = team && channelId ? { type: 'slack' as const, ref: `slack:${team}/${channelId}` } : undefined;
    const position = platform ? (ts: string) => ts : (ts: string) => `${channel}/${ts}`;
    for (const conversation of channelConversations(raw, position, source.users)) {
      source.conversations.push(conversation);
      source.platformSources.push(platform);
    }
  }
  return source;
}

/** A lone channel day file (`2024-01-31.json`): the channel is named after its folder. */
export function slackChannelFile(path: string, text: string): SlackFile[] {
  return [{ path: `${basename(dirname(path)) || 'channel'}/${basename(path)}`, text }];
}
