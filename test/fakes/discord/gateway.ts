/**
 * The fake's WebSocket gateway (protocol v10, JSON, no compression): HELLO → IDENTIFY →
 * READY + one GUILD_CREATE per guild, heartbeat ACKs, `op:0` dispatches with increasing `s`,
 * and RESUME (op 6) that replays what the client missed and ends with RESUMED. Dispatches
 * sent while no client is connected are kept for the resume, as Discord does.
 *
 * Sharding: each IDENTIFY names `shard: [id, count]` and gets its own session (sequence,
 * replay log); a guild's events go to shard (guild_id >> 22) % count, direct messages to
 * shard 0, as Discord routes them. An unsharded client is shard [0, 1].
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
  /** READY's `d` for a shard (user, guilds, application; session id filled in by the gateway). */
  ready(shard: number, shardCount: number): Record<string, unknown>;
  /** Full guild objects sent after READY, for a shard. */
  guilds(shard: number, shardCount: number): unknown[];
  resumeUrl(): string;
}

interface Session {
  id: string;
  shard: number;
  log: Frame[];
  seq: number;
  socket?: WebSocket;
  identified: boolean;
}

/** Which shard receives a guild's events (Discord's formula); DMs (no guild) go to shard 0. */
export function shardOf(guildId: string | undefined, shardCount: number): number {
  return guildId ? Number((BigInt(guildId) >> 22n) % BigInt(shardCount)) : 0;
}

export class FakeGateway {
  readonly wss = new WebSocketServer({ noServer: true });
  readonly identifies: unknown[] = [];
  readonly resumes: { seq: number; session_id: string }[] = [];
  /** Every dispatch with the shard it was delivered to (or kept for). */
  readonly delivered: { shard: number; type: string; data: unknown }[] = [];
  private readonly sessions = new Map<number, Session>();
  private shardCount = 1;

  constructor(private readonly hooks: GatewayHooks) {}

  /** Session id of shard 0 (the unsharded client's). */
  get sessionId(): string {
    return this.session(0).id;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
  }

  /** Sends (or keeps for a resume) an event to the shard that owns `guildId` (shard 0 without one). */
  dispatch(type: string, data: unknown, guildId?: string): void {
    this.send(this.session(shardOf(guildId, this.shardCount)), type, data);
  }

  /** Closes shard 0's connection like a Discord-side failure; 4000 (unknown error) asks the client to resume. */
  drop(code = 4000): void {
    const session = this.session(0);
    session.identified = false;
    session.socket?.close(code, 'fake gateway dropped the connection');
    session.socket = undefined;
  }

  get connected(): boolean {
    const session = this.session(0);
    return session.socket?.readyState === 1 && session.identified;
  }

  close(): void {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }

  private session(shard: number): Session {
    let session = this.sessions.get(shard);
    if (!session) {
      session = { id: `fake-session-${shard + 1}`, shard, log: [], seq: 0, identified: false };
      this.sessions.set(shard, session);
    }
    return session;
  }

  private send(session: Session, type: string, data: unknown): void {
    session.seq += 1;
    const frame: Frame = { op: 0, t: type, s: session.seq, d: data };
    session.log.push(frame);
    this.delivered.push({ shard: session.shard, type, data });
    if (session.socket?.readyState === 1 && session.identified) session.socket.send(JSON.stringify(frame));
  }

  private accept(ws: WebSocket): void {
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41250 }, s: null, t: null }));
    ws.on('message', (raw) => this.receive(ws, JSON.parse(String(raw)) as Frame));
  }

  private receive(ws: WebSocket, frame: Frame): void {
    if (frame.op === 1) ws.send(JSON.stringify({ op: 11, d: null }));
    else if (frame.op === 2) this.identify(ws, frame.d as { shard?: [number, number] });
    else if (frame.op === 6) this.resume(ws, frame.d as { seq: number; session_id: string });
  }

  private identify(ws: WebSocket, data: { shard?: [number, number] }): void {
    this.identifies.push(data);
    const [shard, count] = data.shard ?? [0, 1];
    this.shardCount = count;
    const session = this.session(shard);
    session.socket = ws;
    session.identified = true;
    this.send(session, 'READY', {
      v: 10,
      session_id: session.id,
      resume_gateway_url: this.hooks.resumeUrl(),
      shard: [shard, count],
      ...this.hooks.ready(shard, count),
    });
    for (const guild of this.hooks.guilds(shard, count)) this.send(session, 'GUILD_CREATE', guild);
  }

  private resume(ws: WebSocket, data: { seq: number; session_id: string }): void {
    this.resumes.push(data);
    const session = [...this.sessions.values()].find((s) => s.id === data.session_id);
    if (!session) {
      ws.send(JSON.stringify({ op: 9, d: false }));
      return;
    }
    session.socket = ws;
    session.identified = true;
    for (const frame of session.log.filter((f) => (f.s ?? 0) > data.seq)) ws.send(JSON.stringify(frame));
    this.send(session, 'RESUMED', {});
  }
}
