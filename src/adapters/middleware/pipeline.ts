/**
 * The reply orchestration every adapter runs: ignore bots → capture → route → rate-limit →
 * typing → queued generation streamed into the reply → log the reply for feedback. A failed
 * generation answers with a short apology and is logged; nothing here throws to the adapter.
 */
import { isPersonaError } from '../../errors.js';
import { logger } from '../../log.js';
import type { Persona } from '../../personas/schema.js';
import type { ChatEvent, ReactionEvent, ReplyChannel } from '../types.js';
import { captureVoice } from './capture.js';
import { BotCommands } from './bot-commands.js';
import { recordReaction } from './feedback-reactions.js';
import { promptTurns, type MemoryOptions } from './conversation-window.js';
import type { ChatServices, FeedbackRecord, GeneratedReply, ReplyRequest } from './ports.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { ReplyQueue, type ReplyQueueOptions } from './reply-queue.js';
import { routeEvent, type RouteReason } from './routing.js';
import { AdapterState } from './state.js';

const log = logger('chat');

export const USER_MESSAGES = {
  apology: 'Sorry, I could not come up with a reply just now. Please try again in a moment.',
  busy: 'I am answering a lot of people right now. Please try again in a minute.',
  /** Replies go to generator workers and none answered (scale-out): the operator's log says what to start. */
  unavailable: 'My reply generator is not reachable right now. Please try again in a little while.',
  rateLimited: (seconds: number) => `Easy there! I can answer again in ${seconds} s.`,
  channelRateLimited: (seconds: number) => `This channel is keeping me very busy. I can answer again in ${seconds} s.`,
  /** Shown when the model produced nothing printable. */
  empty: '…',
};

export interface ChatMiddlewareOptions {
  rateLimits?: RateLimitOptions;
  queue?: ReplyQueueOptions;
  memory?: MemoryOptions;
  /** Told how each routed message ended, with its latencies (metrics). */
  observe?: (observation: ReplyObservation) => void;
}

interface Latency {
  receivedAt: number;
  firstContentMs?: number;
  finalMs?: number;
}

/** A routed chat message's outcome; latencies are from the moment the middleware got the message. */
export interface ReplyObservation {
  platform: ChatEvent['platform'];
  outcome: 'replied' | 'failed' | 'rate_limited';
  firstContentMs?: number;
  finalMs?: number;
  /** The error code of a failed reply. */
  code?: string;
}

export type ChatOutcome =
  | { kind: 'ignored'; captured: string[] }
  | { kind: 'rate_limited'; personaId: string; scope: 'user' | 'channel'; notified: boolean; retryAfterMs: number; captured: string[] }
  | { kind: 'replied'; personaId: string; reason: RouteReason; messageIds: string[]; text: string; reply: GeneratedReply; captured: string[] }
  /** `error`: the failure's sentence when it has one for users (a PersonaError), for adapters that show it. */
  | { kind: 'failed'; personaId?: string; code: string; error?: string; captured: string[] };

/** Per-message options an adapter may pass along with a chat event. */
export interface ChatRequestOptions {
  /** Operator knobs for this reply (the studio); bots pass none. */
  request?: ReplyRequest;
  /** Cancels this reply (the studio's tab closed); the queue's own shutdown signal still applies. */
  signal?: AbortSignal;
}

/** Opens the reply for the chosen persona (the adapter picks webhook or plain message). */
export type OpenReply = (persona: Persona) => ReplyChannel;

export class ChatMiddleware {
  readonly state: AdapterState;
  readonly commands: BotCommands;
  readonly queue: ReplyQueue;
  private readonly limiter: RateLimiter;

  constructor(
    readonly services: ChatServices,
    private readonly options: ChatMiddlewareOptions = {},
  ) {
    this.state = new AdapterState(services.state);
    this.commands = new BotCommands(services, this.state);
    this.limiter = new RateLimiter(options.rateLimits);
    this.queue = new ReplyQueue({ concurrency: services.engine.concurrency, ...options.queue });
  }

  async handleChat(event: ChatEvent, openReply: OpenReply, options: ChatRequestOptions = {}): Promise<ChatOutcome> {
    const latency: Latency = { receivedAt: Date.now() };
    const outcome = await this.handleRouted(event, openReply, latency, options);
    if (outcome.kind !== 'ignored') {
      this.options.observe?.({
        platform: event.platform,
        outcome: outcome.kind,
        code: outcome.kind === 'failed' ? outcome.code : undefined,
        firstContentMs: latency.firstContentMs,
        finalMs: latency.finalMs,
      });
    }
    return outcome;
  }

  private async handleRouted(event: ChatEvent, openReply: OpenReply, latency: Latency, options: ChatRequestOptions): Promise<ChatOutcome> {
    if (event.author.isBot) return { kind: 'ignored', captured: [] };
    const captured = await captureVoice(event, this.services);
    let route: Awaited<ReturnType<typeof routeEvent>>;
    try {
      route = await routeEvent(event, this.services.personas, this.state);
    } catch (error) {
      return this.failWithoutPersona(event, openReply, error, captured);
    }
    if (!route) return { kind: 'ignored', captured };
    const { persona, reason } = route;
    const decision = this.limiter.take(event.author.id, event.channelId);
    if (!decision.allowed) {
      const seconds = Math.ceil(decision.retryAfterMs / 1000);
      const message = decision.scope === 'user' ? USER_MESSAGES.rateLimited(seconds) : USER_MESSAGES.channelRateLimited(seconds);
      if (decision.notify) await quietly(() => openReply(persona).fail(message), event);
      return { kind: 'rate_limited', personaId: persona.id, scope: decision.scope, notified: decision.notify, retryAfterMs: decision.retryAfterMs, captured };
    }
    const reply = openReply(persona);
    await quietly(() => reply.typing(), event);
    const turns = promptTurns(persona, event, await this.state.memoryStart(event.platform, event.channelId), this.options.memory);
    try {
      const generated = await this.queue.run((shutdown) =>
        this.services.engine.reply(persona, turns, {
          signal: options.signal ? AbortSignal.any([shutdown, options.signal]) : shutdown,
          request: options.request,
          onText: (soFar) => {
            latency.firstContentMs ??= Date.now() - latency.receivedAt;
            void quietly(() => reply.update(soFar), event);
          },
        }),
      );
      const shown = generated.text.trim() ? generated.text : USER_MESSAGES.empty;
      const messageIds = (await reply.finish(shown)) ?? [];
      latency.finalMs = Date.now() - latency.receivedAt;
      await this.state.logReply(event.platform, {
        personaId: persona.id,
        channelId: event.channelId,
        reply: shown,
        context: turns,
        messageIds,
        timestamp: Date.now(),
      });
      return { kind: 'replied', personaId: persona.id, reason, messageIds, text: shown, reply: generated, captured };
    } catch (error) {
      const busy = isPersonaError(error, 'generation_busy');
      log.error({ err: error, persona: persona.id, channel: event.channelId, messageId: event.messageId }, busy ? 'reply queue full' : 'generation failed');
      const unavailable = isPersonaError(error, 'generation_unavailable');
      await quietly(() => reply.fail(busy ? USER_MESSAGES.busy : unavailable ? USER_MESSAGES.unavailable : USER_MESSAGES.apology), event);
      const known = isPersonaError(error);
      return { kind: 'failed', personaId: persona.id, code: known ? error.code : 'internal', error: known ? error.message : undefined, captured };
    }
  }

  /** Stores 👍/👎 on one of our replies; returns what was stored (null: not feedback). */
  async handleReaction(event: ReactionEvent): Promise<FeedbackRecord | null> {
    try {
      return await recordReaction(event, this.state, this.services.feedback);
    } catch (error) {
      log.error({ err: error, messageId: event.messageId }, 'storing feedback failed');
      return null;
    }
  }

  close(): void {
    this.queue.close();
    void this.services.engine.close?.();
  }

  /** A requested persona that does not exist: say so with the known ids. */
  private async failWithoutPersona(event: ChatEvent, openReply: OpenReply, error: unknown, captured: string[]): Promise<ChatOutcome> {
    if (!isPersonaError(error)) throw error;
    const fallback = this.services.personas.list()[0];
    if (fallback) await quietly(() => openReply(fallback).fail(error.message), event);
    return { kind: 'failed', code: error.code, captured };
  }
}

/** Platform calls around the generation (typing, edits, notices) must never take the bot down. */
async function quietly(call: () => Promise<unknown>, event: ChatEvent): Promise<void> {
  try {
    await call();
  } catch (error) {
    log.warn({ err: error, channel: event.channelId, messageId: event.messageId }, 'platform call failed');
  }
}
