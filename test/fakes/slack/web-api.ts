/**
 * The Web API methods the Slack adapter calls, answered from a FakeWorkspace the way Slack
 * answers them (form-encoded requests, JSON-in-a-field for blocks, `{ ok: false, error }`
 * for failures). Only the fields the adapter reads are filled in.
 */
import type { FakeMessage, FakeWorkspace } from './workspace.js';

export type Params = Record<string, string>;
export type ApiResult = Record<string, unknown>;
type Method = (params: Params) => ApiResult;

export function webApiMethods(workspace: FakeWorkspace, socketUrl: () => string): Record<string, Method> {
  const fail = (error: string): ApiResult => ({ ok: false, error });
  const channelOf = (params: Params) => workspace.resolveChannel(params.channel ?? '');
  return {
    'auth.test': () =>
      workspace.authError
        ? fail(workspace.authError)
        : {
            ok: true,
            url: 'https://fake.slack.test/',
            team: 'Fake',
            team_id: workspace.teamId,
            user: 'personabot',
            user_id: workspace.botUserId,
            bot_id: workspace.botId,
          },
    'apps.connections.open': () => ({ ok: true, url: socketUrl() }),
    'chat.postMessage': (params) => {
      const channel = channelOf(params);
      if (!channel) return fail('channel_not_found');
      const message: FakeMessage = {
        channel,
        ts: workspace.nextTs(),
        botId: workspace.botId,
        user: workspace.botUserId,
        text: params.text ?? '',
        blocks: parseJson(params.blocks),
        threadTs: params.thread_ts,
        reactions: new Map(),
      };
      workspace.messages.push(message);
      return { ok: true, channel, ts: message.ts, message: render(message) };
    },
    'chat.update': (params) => {
      const channel = channelOf(params);
      const message = channel ? workspace.find(channel, params.ts) : undefined;
      if (!message) return fail('message_not_found');
      message.text = params.text ?? message.text;
      message.blocks = parseJson(params.blocks) ?? message.blocks;
      return { ok: true, channel, ts: message.ts, text: message.text };
    },
    'chat.postEphemeral': (params) => (channelOf(params) ? { ok: true, message_ts: workspace.nextTs() } : fail('channel_not_found')),
    'chat.getPermalink': (params) => ({
      ok: true,
      channel: params.channel,
      permalink: `https://fake.slack.test/archives/${params.channel}/p${params.message_ts.replace('.', '')}`,
    }),
    'conversations.replies': (params) => {
      const channel = channelOf(params);
      if (!channel || !workspace.find(channel, params.ts)) return fail('thread_not_found');
      return { ok: true, messages: workspace.thread(channel, params.ts).map(render), has_more: false };
    },
    'conversations.history': (params) => {
      const channel = channelOf(params);
      if (!channel) return fail('channel_not_found');
      const latest = params.latest ? Number(params.latest) : Infinity;
      const limit = Number(params.limit ?? 100);
      const older = workspace
        .messagesIn(channel)
        .filter((message) => !message.threadTs && Number(message.ts) < latest)
        .reverse()
        .slice(0, limit);
      return { ok: true, messages: older.map(render), has_more: false };
    },
    'conversations.info': (params) => {
      const channel = workspace.channels.get(params.channel ?? '');
      return channel ? { ok: true, channel: { id: channel.id, name: channel.name, is_im: Boolean(channel.isIm) } } : fail('channel_not_found');
    },
    'reactions.get': (params) => {
      const channel = channelOf(params);
      const message = channel ? workspace.find(channel, params.timestamp) : undefined;
      return message ? { ok: true, type: 'message', channel, message: render(message) } : fail('message_not_found');
    },
    'users.info': (params) => {
      const user = workspace.users.get(params.user ?? '');
      if (!user) return fail('user_not_found');
      return { ok: true, user: { id: user.id, name: user.name, real_name: user.name, is_bot: Boolean(user.isBot), profile: { display_name: user.name } } };
    },
    'usergroups.users.list': (params) => {
      const users = workspace.userGroups.get(params.usergroup ?? '');
      return users ? { ok: true, users } : fail('no_such_subteam');
    },
  };
}

function render(message: FakeMessage): Record<string, unknown> {
  const reactions = [...message.reactions.entries()].filter(([, users]) => users.length > 0).map(([name, users]) => ({ name, users, count: users.length }));
  return {
    type: 'message',
    ts: message.ts,
    text: message.text,
    ...(message.user ? { user: message.user } : {}),
    ...(message.botId ? { bot_id: message.botId } : {}),
    ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
    ...(message.blocks ? { blocks: message.blocks } : {}),
    ...(reactions.length ? { reactions } : {}),
  };
}

function parseJson(value: string | undefined): unknown[] | undefined {
  if (!value) return undefined;
  try {
    return JSON.parse(value) as unknown[];
  } catch {
    return undefined;
  }
}
