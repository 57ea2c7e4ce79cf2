/** `GET /health` for `persona serve`: liveness plus what is running, as JSON (off unless HEALTH_PORT is set). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type HealthReport = () => Promise<Record<string, unknown>> | Record<string, unknown>;

export async function startHealthServer(port: number, host: string, report: HealthReport): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer(async (request, response) => {
    if (request.method !== 'GET' || request.url !== '/health') {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    try {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', ...(await report()) }));
    } catch (error) {
      response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', error: (error as Error).message }));
    }
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
