/**
 * Posts pending candidates to the review channel, one message each, oldest first, in
 * batches, paced to Slack's chat.postMessage limit (about one message per second per
 * channel). A 429 is honoured by the Web API client itself: it pauses every call for the
 * Retry-After seconds and then retries. The posted message's ts is stored with the
 * candidate, so reactions on it find their candidate and nothing is posted twice.
 */
import { logger } from '../../log.js';
import type { SlackClient } from './bolt-app.js';
import type { ReviewStore } from './slack-ports.js';
import { renderReviewMessage } from './review-message.js';

const log = logger('slack');

export interface ReviewPosterOptions {
  channel: string;
  /** Candidates fetched per batch (default 100). */
  batchSize?: number;
  /** Minimum time between two posts (default 1,100 ms). */
  minIntervalMs?: number;
  /** How often to look for new candidates (default 15 s). */
  pollMs?: number;
  /** Known personas by id → name; candidates of personas that no longer exist are not posted. */
  personaNames: () => Map<string, string>;
}

export class ReviewPoster {
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<number> | undefined;
  private stopped = false;
  private lastPostAt = -Infinity;
  private readonly batchSize: number;
  private readonly minIntervalMs: number;

  constructor(
    private readonly client: SlackClient,
    private readonly review: ReviewStore,
    private readonly options: ReviewPosterOptions,
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.minIntervalMs = options.minIntervalMs ?? 1100;
  }

  start(): void {
    void this.drain();
    this.timer = setInterval(() => void this.drain(), this.options.pollMs ?? 15_000);
    this.timer.unref();
  }

  /** Posts everything pending now; concurrent calls share one run. Resolves with how many were posted. */
  drain(): Promise<number> {
    this.draining ??= this.postBacklog().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.draining?.catch(() => undefined);
  }

  private async postBacklog(): Promise<number> {
    let posted = 0;
    try {
      while (!this.stopped) {
        const names = this.options.personaNames();
        const batch = await this.review.unposted(this.batchSize, [...names.keys()]);
        if (batch.length === 0) break;
        for (const candidate of batch) {
          if (this.stopped) break;
          await this.pace();
          const message = renderReviewMessage(candidate, names.get(candidate.persona) ?? candidate.persona);
          const answer = await this.client.chat.postMessage({ channel: this.options.channel, text: message.text, blocks: message.blocks, unfurl_links: false });
          this.lastPostAt = performance.now();
          await this.review.markPosted(candidate.id, { channel: answer.channel ?? this.options.channel, ts: answer.ts ?? '' });
          posted += 1;
        }
      }
    } catch (error) {
      // The client already retried (and waited out any 429); try again on the next poll.
      log.error({ err: error, posted }, 'posting the review queue stopped; will retry');
    }
    if (posted > 0) log.info({ posted }, 'posted candidates to the review channel');
    return posted;
  }

  private async pace(): Promise<void> {
    const wait = this.lastPostAt + this.minIntervalMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
