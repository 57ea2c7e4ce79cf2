/**
 * Routes Slack events. Every delivery is applied once: a redelivery (Slack's retry headers,
 * the same event_id) is dropped by a global middleware before any listener runs, and a
 * message that arrives both as `message` and `app_mention` is handled once. Then:
 * - reactions on review messages → curator decisions; other 👍/👎 → reply feedback;
 * - a thread reply under a review message → a curator's correction (✏️);
 * - every other human message → the shared chat middleware (capture, routing, reply);
 * - deleted and edited messages, bot messages → logged and ignored.
 */
import { logger } from '../../log.js';
import { boundChannels, voiceIds, type ChatMiddleware, type PersonaDirectory } from '../middleware/index.js';
import type { BoltApp, SlackClient } from './bolt-app.js';
import { ChatEventBuilder, type SlackMessage } from './chat-event.js';
import type { OnceGuard, ReviewStore } from './slack-ports.js';
import { slackReplyChannel } from './reply-channel.js';
import type { ReviewDecisions } from './review-decisions.js';

const log = logger('slack');

/** Slack retries a delivery for up to about an hour; remember ids a day to be safe. */
const EVENT_ONCE_TTL_MS = 24 * 3600 * 1000;
/** Subtypes that are ordinary messages from a person. */
const HUMAN_SUBTYPES = new Set([undefined, 'thread_broadcast', 'file_share', 'me_message']);

export interface EventDeps {
  client: SlackClient;
  bot: { userId: string; teamId: string };
  once: OnceGuard;
  review: ReviewStore;
  decisions: ReviewDecisions;
  chat?: ChatMiddleware;
  personas: PersonaDirectory;
  personaName: (personaId: string) => string | undefined;
}

/**
 * Whether the middleware could act on a message: it addresses the bot (DM, mention, a
 * thread), its author is a persona's voice, or a persona answers everything in its channel.
 * Anything else is ignored there anyway; skipping it here saves the history, names and
 * permalink calls a ChatEvent costs (Slack rate-limits conversations.history).
 */
function mayConcernPersonas(message: SlackMessage, botUserId: string, personas: PersonaDirectory): boolean {
  if (message.channel_type === 'im' || message.thread_ts || message.text?.includes(`<@${botUserId}>`)) return true;
  return personas
    .list()
    .some((persona) => voiceIds(persona, 'slack').includes(message.user ?? '') || boundChannels(persona, 'slack').includes(message.channel));
}

/** Returns a function that resolves once the events being handled now are done (for a clean stop). */
export function registerEvents(app: BoltApp, deps: EventDeps): () => Promise<void> {
  const inFlight = new Set<Promise<void>>();
  app.use(async ({ body, next }) => {
    const eventId = (body as { event_id?: string }).event_id;
    if (eventId && !(await deps.once.claim(`slack:event:${eventId}`, EVENT_ONCE_TTL_MS))) {
      log.info({ eventId }, 'ignored a redelivered Slack event');
      return;
    }
    const handled = next();
    inFlight.add(handled);
    try {
      await handled;
    } finally {
      inFlight.delete(handled);
    }
  });

  const builder = new ChatEventBuilder(deps.client, deps.bot, async (ts) => {
    const sent = await deps.chat?.state.sentReply('slack', ts);
    return sent ? deps.personaName(sent.personaId) : undefined;
  });

  const onMessage = async (message: SlackMessage & { subtype?: string }, eventId: string) => {
    if (!HUMAN_SUBTYPES.has(message.subtype)) {
      log.info({ subtype: message.subtype, channel: message.channel }, 'ignored a Slack message event (deleted, edited or not from a person)');
      return;
    }
    if (message.bot_id || !message.user || message.user === deps.bot.userId) return;
    if (message.thread_ts && message.thread_ts !== message.ts && (await deps.review.byReviewMessage(message.channel, message.thread_ts))) {
      await deps.decisions.onThreadReply({ user: message.user, text: message.text ?? '', channel: message.channel, threadTs: message.thread_ts, eventId });
      return;
    }
    // `message` and `app_mention` describe the same post: answer it once.
    if (!deps.chat || !mayConcernPersonas(message, deps.bot.userId, deps.personas)) return;
    if (!(await deps.once.claim(`slack:message:${message.channel}:${message.ts}`, EVENT_ONCE_TTL_MS))) return;
    const event = await builder.build(message);
    const threadTs = event.isDirect ? message.thread_ts : (message.thread_ts ?? message.ts);
    await deps.chat.handleChat(event, (persona) => slackReplyChannel(deps.client, persona, { channel: message.channel, threadTs }));
  };

  app.event('message', async ({ event, body }) => onMessage(event as SlackMessage & { subtype?: string }, body.event_id));
  app.event('app_mention', async ({ event, body }) => onMessage(event as SlackMessage, body.event_id));

  const onReaction = async (
    event: { user: string; reaction: string; item: { type: string; channel?: string; ts?: string } },
    added: boolean,
    eventId: string,
  ) => {
    if (event.item.type !== 'message' || !event.item.channel || !event.item.ts || event.user === deps.bot.userId) return;
    const reaction = { user: event.user, reaction: event.reaction, channel: event.item.channel, ts: event.item.ts, added, eventId };
    if (await deps.decisions.onReaction(reaction)) return;
    await deps.chat?.handleReaction({
      platform: 'slack',
      channelId: reaction.channel,
      messageId: reaction.ts,
      user: { id: event.user, name: event.user, isBot: false },
      emoji: event.reaction,
      added,
      eventId,
    });
  };
  app.event('reaction_added', async ({ event, body }) => onReaction(event, true, body.event_id));
  app.event('reaction_removed', async ({ event, body }) => onReaction(event, false, body.event_id));
  return async () => {
    await Promise.allSettled([...inFlight]);
  };
}
