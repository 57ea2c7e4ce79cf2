/**
 * Capture for datasets: a message written by one of a persona's configured voices on this
 * platform, in a shared channel the adapter may see, becomes a pending candidate with the
 * conversation before it as context — unless its author opted out. Bots and DMs are never
 * captured (a DM is private even when the author is a voice).
 */
import type { Persona } from '../../personas/schema.js';
import { logger } from '../../log.js';
import type { ChatEvent, Platform } from '../types.js';
import type { ChatServices } from './ports.js';

const log = logger('capture');

export function voiceIds(persona: Persona, platform: Platform): string[] {
  if (platform === 'discord') return persona.voices.discord_ids;
  if (platform === 'slack') return persona.voices.slack_ids;
  return [];
}

/** Returns the ids of the personas the message was captured for. */
export async function captureVoice(event: ChatEvent, services: ChatServices): Promise<string[]> {
  const { candidates, consent } = services;
  if (!candidates || event.author.isBot || event.isDirect || !event.text.trim()) return [];
  const personas = services.personas.list().filter((persona) => voiceIds(persona, event.platform).includes(event.author.id));
  if (personas.length === 0) return [];
  if (consent && (await consent.isOptedOut(event.platform, event.author.id))) return [];
  const captured: string[] = [];
  for (const persona of personas) {
    try {
      const draft = await candidates.capture({
        persona,
        platform: event.platform,
        ref: `${event.platform}:${event.spaceId ?? 'direct'}/${event.channelId}`,
        author: event.author,
        messageId: event.messageId,
        text: event.text,
        timestamp: event.timestamp,
        permalink: event.permalink,
        context: event.history.filter((turn) => turn.messageId !== event.messageId),
      });
      if (draft) captured.push(persona.id);
    } catch (error) {
      // Capture is a side effect of chatting: a store failure must not stop the reply.
      log.error({ err: error, persona: persona.id, messageId: event.messageId }, 'capture failed');
    }
  }
  return captured;
}
