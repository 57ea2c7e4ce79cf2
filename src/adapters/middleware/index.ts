/**
 * Shared adapter middleware: what Discord, Slack and the studio all use. Start from
 * `ChatMiddleware` (one per process) and `ChatServices` (ports.ts); `StreamRenderer` and
 * `splitMessage` help an adapter render a streamed reply within its length limit.
 * The real implementations of the ports are wired in src/app/chat-services.ts: adapters
 * declare what they need, the app decides what provides it.
 */
export * from './ports.js';
export { ChatMiddleware, USER_MESSAGES, type ChatMiddlewareOptions, type ChatOutcome, type ChatRequestOptions, type OpenReply } from './pipeline.js';
export { BotCommands, type CommandContext } from './bot-commands.js';
export { AdapterState, InMemoryState, type SentReply } from './state.js';
export { StreamRenderer, type MessageSink, type StreamOptions } from './stream.js';
export { splitMessage } from './reply-split.js';
export { RateLimiter, DEFAULT_RATE_LIMITS, type RateLimitOptions, type WindowLimit } from './rate-limit.js';
export { ReplyQueue, type ReplyQueueOptions } from './reply-queue.js';
export { routeEvent, boundChannels, type Route, type RouteReason } from './routing.js';
export { promptTurns, type MemoryOptions } from './conversation-window.js';
export { captureVoice, voiceIds } from './capture.js';
export { ratingOf } from './feedback-reactions.js';
