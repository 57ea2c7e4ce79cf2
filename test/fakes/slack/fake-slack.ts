/**
 * A protocol-level fake of Slack on 127.0.0.1, for driving the real Bolt app in tests:
 * - the Web API over HTTP (`POST /api/<method>`, form-encoded, answers from web-api.ts),
 *   with injectable 429 + Retry-After answers and a log of every call;
 * - a Socket Mode WebSocket (`apps.connections.open` hands out its ws:// URL; the server
 *   says `{"type":"hello"}` first, then sends envelopes and waits for their acks);
 * - HTTP mode deliveries are in signed-requests.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { webApiMethods, type ApiResult, type Params } from './web-api.js';
import { FakeWorkspace, type SlackEvent } from './workspace.js';

export interface ApiCall {
  method: string;
  params: Params;
  /** performance.now() when the fake received it. */
  at: number;
  /** HTTP status the fake answered with. */
  status: number;
}

interface PendingAck {
  resolve: (payload: Record<string, unknown>) => void;
  timer: NodeJS.Timeout;
}

export class FakeSlack {
  readonly workspace = new FakeWorkspace();
  readonly calls: ApiCall[] = [];
  private readonly rateLimits = new Map<string, number[]>();
  private readonly server: Server;
  private readonly sockets: WebSocketServer;
  private readonly pendingAcks = new Map<string, PendingAck>();
  private readonly methods = webApiMethods(this.workspace, () => `ws://127.0.0.1:${this.port}/socket`);
  private socket?: WebSocket;
  private envelopeSeq = 0;
  private eventSeq = 0;
  private connectedWaiters: Array<() => void> = [];

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.sockets = new WebSocketServer({ server: this.server, path: '/socket' });
    this.sockets.on('connection', (socket) => this.accept(socket));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** What SLACK_API_URL is set to. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /** The next `count` calls to `method` are answered 429 with `Retry-After: retryAfterSeconds`. */
  rateLimit(method: string, retryAfterSeconds: number, count = 1): void {
    this.rateLimits.set(method, [...(this.rateLimits.get(method) ?? []), ...Array<number>(count).fill(retryAfterSeconds)]);
  }

  callsTo(method: string): ApiCall[] {
    return this.calls.filter((call) => call.method === method && call.status === 200);
  }

  /** Resolves once a Socket Mode client has connected and been greeted. */
  waitForSocket(timeoutMs = 5000): Promise<void> {
    if (this.socket) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no Socket Mode connection')), timeoutMs);
      this.connectedWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The Events API callback body Slack wraps an event in (HTTP body or Socket Mode payload). */
  eventCallback(event: SlackEvent, eventId = this.nextEventId()): Record<string, unknown> {
    return {
      token: 'verification-token',
      team_id: this.workspace.teamId,
      api_app_id: 'AFAKE',
      event,
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: this.workspace.teamId, user_id: this.workspace.botUserId, is_bot: true }],
    };
  }

  nextEventId(): string {
    this.eventSeq += 1;
    return `Ev${String(this.eventSeq).padStart(8, '0')}`;
  }

  /** Sends one Socket Mode envelope and resolves with the app's ack payload. */
  sendEnvelope(type: 'events_api' | 'slash_commands', payload: Record<string, unknown>, retryAttempt = 0): Promise<Record<string, unknown>> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('no Socket Mode client connected'));
    this.envelopeSeq += 1;
    const envelopeId = `env-${this.envelopeSeq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingAcks.delete(envelopeId);
        reject(new Error(`envelope ${envelopeId} was not acked`));
      }, 5000);
      this.pendingAcks.set(envelopeId, { resolve, timer });
      socket.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: type === 'slash_commands',
          ...(type === 'events_api' ? { retry_attempt: retryAttempt, retry_reason: retryAttempt ? 'timeout' : '' } : {}),
        }),
      );
    });
  }

  async stop(): Promise<void> {
    for (const pending of this.pendingAcks.values()) clearTimeout(pending.timer);
    for (const client of this.sockets.clients) client.terminate();
    await new Promise<void>((resolve) => this.sockets.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    this.socket = socket;
    socket.on('message', (data) => this.onAck(String(data)));
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
    });
    socket.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'AFAKE' } }));
    for (const waiter of this.connectedWaiters.splice(0)) waiter();
  }

  private onAck(text: string): void {
    const message = JSON.parse(text) as { envelope_id?: string; payload?: Record<string, unknown> };
    const pending = message.envelope_id ? this.pendingAcks.get(message.envelope_id) : undefined;
    if (!pending || !message.envelope_id) return;
    clearTimeout(pending.timer);
    this.pendingAcks.delete(message.envelope_id);
    pending.resolve(message.payload ?? {});
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
    const params = Object.fromEntries(new URLSearchParams(await readBody(req)));
    const waits = this.rateLimits.get(method);
    const retryAfter = waits?.shift();
    if (retryAfter !== undefined) {
      this.calls.push({ method, params, at: performance.now(), status: 429 });
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfter) });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    this.calls.push({ method, params, at: performance.now(), status: 200 });
    const answer: ApiResult = this.methods[method]?.(params) ?? { ok: false, error: 'unknown_method' };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
