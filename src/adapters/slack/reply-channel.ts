/**
 * A persona's reply in Slack: posted under the persona's name and avatar (chat:write.customize),
 * in the thread of the message it answers, streamed by the shared StreamRenderer (first text
 * posted at once, then chat.update at most once a second, long text continued in a new
 * message). Slack has no typing indicator for bots outside assistant threads.
 */
import type { Persona } from '../../personas/schema.js';
import { StreamRenderer } from '../middleware/index.js';
import type { ReplyChannel } from '../types.js';
import type { SlackClient } from './bolt-app.js';

/** Slack accepts 40,000 characters but folds long messages; 3,900 keeps each one readable. */
const SLACK_MESSAGE_LIMIT = 3900;

export interface ReplyTarget {
  channel: string;
  /** Thread to answer in; absent for a top-level DM reply. */
  threadTs?: string;
}

export function slackReplyChannel(client: SlackClient, persona: Persona, target: ReplyTarget): ReplyChannel {
  const identity = { username: persona.name, ...(persona.avatar_url ? { icon_url: persona.avatar_url } : {}) };
  const post = async (text: string) => {
    const answer = await client.chat.postMessage({ channel: target.channel, thread_ts: target.threadTs, text, ...identity });
    return answer.ts ?? '';
  };
  const renderer = new StreamRenderer(
    {
      post,
      edit: async (ts, text) => {
        await client.chat.update({ channel: target.channel, ts, text });
      },
    },
    { limit: SLACK_MESSAGE_LIMIT },
  );
  return {
    typing: async () => undefined,
    update: (textSoFar) => renderer.update(textSoFar),
    finish: (text) => renderer.finish(text),
    fail: async (message) => {
      await post(message);
    },
  };
}
