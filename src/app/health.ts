/**
 * The health port of `persona serve` (off unless HEALTH_PORT is set): `GET /health`, liveness
 * plus what is running as JSON, and `GET /metrics`, Prometheus text.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type HealthReport = () => Promise<Record<string, unknown>> | Record<string, unknown>;
export type MetricsReport = () => Promise<{ contentType: string; body: string }>;

export async function startHealthServer(
  port: number,
  host: string,
  report: HealthReport,
  metrics?: MetricsReport,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer(async (request, response) => {
    if (request.method === 'GET' && request.url === '/metrics' && metrics) {
      try {
        const { contentType, body } = await metrics();
        response.writeHead(200, { 'content-type': contentType }).end(body);
      } catch (error) {
        response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(error as Error).message}\n`);
      }
      return;
    }
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
