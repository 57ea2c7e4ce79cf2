/**
 * Per-user and per-channel rate limits (sliding windows), so one person or one busy channel
 * cannot monopolise the model. A refusal says when to retry; only the first refusal in a
 * window asks for a notice, so a spammer gets one friendly message rather than one per spam.
 */

export interface WindowLimit {
  limit: number;
  windowMs: number;
}

export interface RateLimitOptions {
  perUser?: WindowLimit;
  perChannel?: WindowLimit;
}

export const DEFAULT_RATE_LIMITS: Required<RateLimitOptions> = {
  perUser: { limit: 5, windowMs: 30_000 },
  perChannel: { limit: 20, windowMs: 60_000 },
};

export type RateDecision = { allowed: true } | { allowed: false; scope: 'user' | 'channel'; retryAfterMs: number; notify: boolean };

class SlidingWindow {
  private readonly hits = new Map<string, number[]>();
  private readonly notified = new Map<string, number>();

  constructor(private readonly rule: WindowLimit) {}

  /** Milliseconds until `key` may act again, 0 when it may act now. */
  waitFor(key: string, now: number): number {
    const recent = (this.hits.get(key) ?? []).filter((at) => at > now - this.rule.windowMs);
    if (recent.length === 0) this.hits.delete(key);
    else this.hits.set(key, recent);
    return recent.length < this.rule.limit ? 0 : recent[0] + this.rule.windowMs - now;
  }

  take(key: string, now: number): void {
    const recent = this.hits.get(key) ?? [];
    recent.push(now);
    this.hits.set(key, recent);
  }

  /** True the first time a key is refused within one window. */
  shouldNotify(key: string, now: number): boolean {
    const last = this.notified.get(key);
    if (last !== undefined && last > now - this.rule.windowMs) return false;
    this.notified.set(key, now);
    return true;
  }
}

export class RateLimiter {
  private readonly users: SlidingWindow;
  private readonly channels: SlidingWindow;

  constructor(options: RateLimitOptions = {}) {
    this.users = new SlidingWindow(options.perUser ?? DEFAULT_RATE_LIMITS.perUser);
    this.channels = new SlidingWindow(options.perChannel ?? DEFAULT_RATE_LIMITS.perChannel);
  }

  /** Counts one request of `userId` in `channelId` when both limits allow it. */
  take(userId: string, channelId: string, now = Date.now()): RateDecision {
    const userWait = this.users.waitFor(userId, now);
    if (userWait > 0) return { allowed: false, scope: 'user', retryAfterMs: userWait, notify: this.users.shouldNotify(userId, now) };
    const channelWait = this.channels.waitFor(channelId, now);
    if (channelWait > 0) return { allowed: false, scope: 'channel', retryAfterMs: channelWait, notify: this.channels.shouldNotify(channelId, now) };
    this.users.take(userId, now);
    this.channels.take(channelId, now);
    return { allowed: true };
  }
}
