/**
 * Discord API objects as the fake sends them: snowflakes that encode their creation time
 * (discord.js reads timestamps from ids), users, guild channels, roles, members and messages
 * with the fields discord.js 14 reads. Permission bits are Discord's.
 */

export const PERMISSIONS = {
  ADMINISTRATOR: 1n << 3n,
  MANAGE_CHANNELS: 1n << 4n,
  ADD_REACTIONS: 1n << 6n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  EMBED_LINKS: 1n << 14n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  USE_APPLICATION_COMMANDS: 1n << 31n,
  MANAGE_WEBHOOKS: 1n << 29n,
};

/** What the bot may do everywhere; Manage Webhooks is granted per channel. */
export const BOT_PERMISSIONS =
  PERMISSIONS.VIEW_CHANNEL | PERMISSIONS.SEND_MESSAGES | PERMISSIONS.READ_MESSAGE_HISTORY | PERMISSIONS.ADD_REACTIONS | PERMISSIONS.EMBED_LINKS;

const DISCORD_EPOCH = 1420070400000n;
let increment = 0n;

export function snowflake(at = Date.now()): string {
  increment = (increment + 1n) % 4096n;
  return String(((BigInt(at) - DISCORD_EPOCH) << 22n) | increment);
}

export interface ApiUser {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: null;
  bot?: boolean;
}

export function apiUser(id: string, username: string, bot = false): ApiUser {
  return { id, username, global_name: username, discriminator: '0', avatar: null, ...(bot ? { bot: true } : {}) };
}

export interface ApiMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: ApiUser;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: false;
  mention_everyone: boolean;
  mentions: ApiUser[];
  mention_roles: string[];
  attachments: [];
  embeds: [];
  pinned: false;
  type: number;
  flags: number;
  webhook_id?: string;
  message_reference?: { message_id: string; channel_id: string; guild_id?: string };
  referenced_message?: ApiMessage | null;
  /** What the fake was asked for, kept for assertions (not sent by Discord). */
}

export function apiMessage(fields: {
  channelId: string;
  guildId?: string;
  author: ApiUser;
  content: string;
  mentions?: ApiUser[];
  replyTo?: ApiMessage;
  webhookId?: string;
}): ApiMessage {
  const id = snowflake();
  return {
    id,
    channel_id: fields.channelId,
    ...(fields.guildId ? { guild_id: fields.guildId } : {}),
    author: fields.author,
    content: fields.content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: fields.mentions ?? [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: fields.replyTo ? 19 : 0,
    flags: 0,
    ...(fields.webhookId ? { webhook_id: fields.webhookId } : {}),
    ...(fields.replyTo
      ? {
          message_reference: { message_id: fields.replyTo.id, channel_id: fields.replyTo.channel_id, guild_id: fields.replyTo.guild_id },
          referenced_message: fields.replyTo,
        }
      : {}),
  };
}

export interface FakeChannel {
  id: string;
  guildId?: string;
  name: string;
  /** Grants the bot Manage Webhooks here (persona name + avatar through a webhook). */
  webhooks: boolean;
  /** DM channels: the other person. */
  recipient?: ApiUser;
}

export function apiChannel(channel: FakeChannel, botId: string) {
  if (!channel.guildId) return { id: channel.id, type: 1, recipients: [channel.recipient], last_message_id: null, flags: 0 };
  return {
    id: channel.id,
    type: 0,
    guild_id: channel.guildId,
    name: channel.name,
    position: 0,
    parent_id: null,
    nsfw: false,
    topic: null,
    last_message_id: null,
    rate_limit_per_user: 0,
    flags: 0,
    permission_overwrites: channel.webhooks ? [{ id: botId, type: 1, allow: String(PERMISSIONS.MANAGE_WEBHOOKS), deny: '0' }] : [],
  };
}

export function apiGuild(guildId: string, name: string, channels: FakeChannel[], bot: ApiUser, members: ApiUser[]) {
  const botRoleId = `${guildId}1`;
  return {
    id: guildId,
    name,
    icon: null,
    owner_id: '1',
    unavailable: false,
    member_count: members.length + 1,
    large: false,
    features: [],
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    mfa_level: 0,
    nsfw_level: 0,
    premium_tier: 0,
    preferred_locale: 'en-US',
    system_channel_flags: 0,
    joined_at: new Date().toISOString(),
    emojis: [],
    stickers: [],
    stage_instances: [],
    guild_scheduled_events: [],
    threads: [],
    presences: [],
    voice_states: [],
    roles: [
      { id: guildId, name: '@everyone', permissions: '0', position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 },
      {
        id: botRoleId,
        name: 'persona-bot',
        permissions: String(BOT_PERMISSIONS),
        position: 1,
        color: 0,
        hoist: false,
        managed: true,
        mentionable: false,
        flags: 0,
      },
    ],
    channels: channels.map((channel) => apiChannel(channel, bot.id)),
    members: [
      { user: bot, roles: [botRoleId], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 },
      ...members.map((user) => ({ user, roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 })),
    ],
  };
}
