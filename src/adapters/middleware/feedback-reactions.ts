/**
 * Feedback: a 👍 or 👎 on one of our replies is stored with the reply and the prompt it
 * answered, for preference training later and for stats. Reactions on other messages, by
 * bots, or with other emoji are not feedback.
 */
import type { ReactionEvent } from '../types.js';
import type { FeedbackRecord, FeedbackSink, Rating } from './ports.js';
import type { AdapterState } from './state.js';

const RATINGS: Record<string, Rating> = {
  '👍': 'up',
  '👎': 'down',
  '+1': 'up',
  '-1': 'down',
  thumbsup: 'up',
  thumbsdown: 'down',
};

export function ratingOf(emoji: string): Rating | undefined {
  // Skin-tone variants (👍🏽) carry a modifier after the base emoji.
  return RATINGS[emoji] ?? RATINGS[[...emoji][0] ?? ''] ?? RATINGS[emoji.replace(/::skin-tone-\d$/, '')];
}

export async function recordReaction(event: ReactionEvent, state: AdapterState, sink: FeedbackSink | undefined): Promise<FeedbackRecord | null> {
  const rating = ratingOf(event.emoji);
  if (!sink || !rating || event.user.isBot) return null;
  const reply = await state.sentReply(event.platform, event.messageId);
  if (!reply) return null;
  const record: FeedbackRecord = {
    platform: event.platform,
    personaId: reply.personaId,
    channelId: event.channelId,
    messageId: event.messageId,
    reply: reply.reply,
    context: reply.context,
    rating,
    added: event.added,
    user: event.user,
    timestamp: Date.now(),
    eventId: event.eventId,
  };
  await sink.record(record);
  return record;
}
