/**
 * The health port of `persona serve` (off unless HEALTH_PORT is set): `GET /health`, liveness
 * plus what is running as JSON, and `GET /metrics`, Prometheus text. Each adapter reports
 * itself through the adapter contract (`PlatformAdapter.health`): `adapters` lists them with
 * `ok` and a sentence, and `status` is `degraded` while any of them is not ok. The answer is
 * 200 either way: the process is alive and says what is wrong.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AdapterHealth, PlatformAdapter } from '../adapters/types.js';

export type HealthReport = () => Promise<Record<string, unknown>> | Record<string, unknown>;
export type MetricsReport = () => Promise<{ contentType: string; body: string }>;

export interface HealthSources {
  /** The adapters this process runs (none in a trainer-only worker). */
  adapters: readonly PlatformAdapter[];
  /** Everything else worth showing (training queue, loaded models, personas). */
  report: HealthReport;
  metrics?: MetricsReport;
}

/** The `/health` body: liveness, each adapter's own report, then the rest. */
export async function healthBody({ adapters, report }: HealthSources): Promise<Record<string, unknown>> {
  const reports: AdapterHealth[] = adapters.map((adapter) => adapter.health());
  return { status: reports.every((r) => r.ok) ? 'ok' : 'degraded', adapters: reports, ...(await report()) };
}

export async function startHealthServer(port: number, host: string, sources: HealthSources): Promise<{ port: number; close(): Promise<void> }> {
  const { metrics } = sources;
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
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await healthBody(sources)));
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
