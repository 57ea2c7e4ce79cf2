/**
 * HTTP-mode deliveries as Slack makes them: a POST to the app's request URL signed with
 * `X-Slack-Signature: v0=HMAC-SHA256(secret, "v0:<timestamp>:<body>")` and
 * `X-Slack-Request-Timestamp`. Options forge, age or replay a request, and add the retry
 * headers Slack sends when it redelivers an event.
 */
import { createHmac } from 'node:crypto';

export interface SignedPostOptions {
  secret: string;
  /** Unix seconds; default now. Older than 5 minutes must be refused. */
  timestamp?: number;
  /** Replaces the computed signature (a forged request). */
  signature?: string;
  /** Sets X-Slack-Retry-Num / X-Slack-Retry-Reason, as Slack's redeliveries do. */
  retryNum?: number;
}

export interface SignedRequest {
  body: string;
  contentType: string;
  headers: Record<string, string>;
}

export function signRequest(body: string, contentType: string, options: SignedPostOptions): SignedRequest {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = options.signature ?? `v0=${createHmac('sha256', options.secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  const headers: Record<string, string> = {
    'content-type': contentType,
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signature,
  };
  if (options.retryNum) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  return { body, contentType, headers };
}

/** An Events API callback as JSON. */
export function signedEvent(callback: Record<string, unknown>, options: SignedPostOptions): SignedRequest {
  return signRequest(JSON.stringify(callback), 'application/json', options);
}

/** A slash command as Slack posts it: form-encoded fields. */
export function signedCommand(fields: Record<string, string>, options: SignedPostOptions): SignedRequest {
  return signRequest(new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded', options);
}

export async function send(url: string, request: SignedRequest): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  return { status: response.status, text: await response.text() };
}
