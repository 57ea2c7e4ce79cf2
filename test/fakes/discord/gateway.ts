/**
 * The fake's WebSocket gateway (protocol v10, JSON, no compression): HELLO → IDENTIFY →
 * READY + one GUILD_CREATE per guild, heartbeat ACKs, `op:0` dispatches with increasing `s`,
 * and RESUME (op 6) that replays what the client missed and ends with RESUMED. Dispatches
 * sent while no client is connected are kept for the resume, as Discord does.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

interface Frame {
  op: number;
  d: unknown;
  s?: number | null;
  t?: string | null;
}

export interface GatewayHooks {
  /** READY's `d` (user, guilds, application, session id filled in by the gateway). */
  ready(): Record<string, unknown>;
  /** Full guild objects sent after READY. */
  guilds(): unknown[];
  resumeUrl(): string;
}

export class FakeGateway {
  readonly wss = new WebSocketServer({ noServer: true });
  readonly sessionId = 'fake-session-1';
  readonly identifies: unknown[] = [];
  readonly resumes: { seq: number; session_id: string }[] = [];
  private readonly log: Frame[] = [];
  private seq = 0;
  private socket: WebSocket | undefined;

  constructor(private readonly hooks: GatewayHooks) {}

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
  }

  /** Sends (or keeps for a resume) an event to the bot. */
  dispatch(type: string, data: unknown): void {
    this.seq += 1;
    const frame: Frame = { op: 0, t: type, s: this.seq, d: data };
    this.log.push(frame);
    if (this.socket?.readyState === 1 && this.identified) this.socket.send(JSON.stringify(frame));
  }

  /** Closes the connection like a Discord-side failure; 4000 (unknown error) asks the client to resume. */
  drop(code = 4000): void {
    this.identified = false;
    this.socket?.close(code, 'fake gateway dropped the connection');
    this.socket = undefined;
  }

  get connected(): boolean {
    return this.socket?.readyState === 1 && this.identified;
  }

  close(): void {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }

  private identified = false;

  private accept(ws: WebSocket): void {
    this.socket = ws;
    this.identified = false;
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41250 }, s: null, t: null }));
    ws.on('message', (raw) => this.receive(ws, JSON.parse(String(raw)) as Frame));
  }

  private receive(ws: WebSocket, frame: Frame): void {
    if (frame.op === 1) ws.send(JSON.stringify({ op: 11, d: null }));
    else if (frame.op === 2) this.identify(ws, frame.d);
    else if (frame.op === 6) this.resume(ws, frame.d as { seq: number; session_id: string });
  }

  private identify(ws: WebSocket, data: unknown): void {
    this.identifies.push(data);
    this.identified = true;
    this.dispatch('READY', { v: 10, session_id: this.sessionId, resume_gateway_url: this.hooks.resumeUrl(), shard: [0, 1], ...this.hooks.ready() });
    for (const guild of this.hooks.guilds()) this.dispatch('GUILD_CREATE', guild);
    void ws;
  }

  private resume(ws: WebSocket, data: { seq: number; session_id: string }): void {
    this.resumes.push(data);
    if (data.session_id !== this.sessionId) {
      ws.send(JSON.stringify({ op: 9, d: false }));
      return;
    }
    this.identified = true;
    for (const frame of this.log.filter((f) => (f.s ?? 0) > data.seq)) ws.send(JSON.stringify(frame));
    this.dispatch('RESUMED', {});
  }
}
