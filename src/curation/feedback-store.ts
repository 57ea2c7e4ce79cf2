/**
 * Feedback on bot replies: one 👍/👎 per user per reply message, with the conversation the
 * reply answered. A removed reaction withdraws the rating. Keyed by message and user, so a
 * redelivered event overwrites itself instead of counting twice.
 */
import type { Store } from '../store/index.js';
import { feedbackKey, feedbackSet } from './keys.js';
import { getManyChunked } from './sample-store.js';
import type { FeedbackEntry } from './types.js';

export async function recordFeedback(store: Store, entry: FeedbackEntry & { added: boolean }): Promise<void> {
  const { added, ...record } = entry;
  const key = feedbackKey(record.persona, record.platform, record.messageId, record.userId);
  if (added) {
    await store.write({ set: [{ key, value: record }], add: [{ set: feedbackSet(record.persona), member: key }] });
    return;
  }
  const stored = await store.get<FeedbackEntry>(key);
  if (stored?.rating === record.rating) await store.write({ delete: [key], remove: [{ set: feedbackSet(record.persona), member: key }] });
}

export async function listFeedback(store: Store, persona: string): Promise<FeedbackEntry[]> {
  const keys = await store.members(feedbackSet(persona));
  const entries = await getManyChunked<FeedbackEntry>(store, keys);
  return entries.filter((e): e is FeedbackEntry => e !== undefined).sort((a, b) => a.at - b.at);
}
