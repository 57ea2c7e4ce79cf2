/**
 * Persona Studio: the local web app `persona serve` starts on http://127.0.0.1:STUDIO_PORT.
 * Hono routes under /api (JSON, plus server-sent events for chat and training progress),
 * the page from ./web, and in front of everything: access control (access.ts), headers that
 * forbid framing and confine the page to its own scripts (hardening.ts), and a size limit
 * and parse check on every JSON body. The routes receive the narrow ports of ports.ts, which
 * src/app builds; `StudioServer` is the studio's PlatformAdapter (start, stop, health).
 */
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { PersonaError } from '../../errors.js';
import { LifecycleAdapter } from '../adapter-lifecycle.js';
import { accessControl, checkStudioBinding } from './access.js';
import { jsonBodies, securityHeaders } from './hardening.js';
import type { StudioDeps } from './deps.js';
import { handleError } from './error-response.js';
import { chatRoutes } from './routes/chat.js';
import { datasetRoutes } from './routes/dataset.js';
import { MAX_UPLOAD_BYTES, personaRoutes } from './routes/personas.js';
import { reviewRoutes } from './routes/review.js';
import { trainingRoutes } from './routes/training.js';
import { staticRoutes } from './static.js';

export function studioApp(deps: StudioDeps): Hono {
  const app = new Hono();
  app.use('*', securityHeaders());
  app.use('*', accessControl(deps.data.config.STUDIO_TOKEN));
  app.use('/api/*', jsonBodies());
  app.onError(handleError);
  app.get('/api/info', (c) => c.json({ maxUploadBytes: MAX_UPLOAD_BYTES }));
  app.route('/api/personas', personaRoutes(deps));
  app.route('/api/dataset', datasetRoutes(deps));
  app.route('/api/review', reviewRoutes(deps));
  app.route('/api/chat', chatRoutes(deps));
  app.route('/api/training', trainingRoutes(deps));
  app.route('/', staticRoutes());
  return app;
}

/** The studio as a PlatformAdapter: `start` listens on STUDIO_HOST:STUDIO_PORT, `stop` closes every connection. */
export class StudioServer extends LifecycleAdapter<ServerType> {
  constructor(private readonly deps: StudioDeps) {
    super('studio', 'STUDIO_HOST, STUDIO_PORT and STUDIO_TOKEN');
  }

  /** The port it listens on (after `start`; STUDIO_PORT=0 picks a free one). */
  get port(): number | undefined {
    const address = this.connection?.address();
    return address && typeof address === 'object' ? (address as AddressInfo).port : undefined;
  }

  get url(): string | undefined {
    if (this.port === undefined) return undefined;
    const host = this.deps.data.config.STUDIO_HOST;
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.port}/`;
  }

  protected async open(): Promise<ServerType> {
    const { STUDIO_HOST: host, STUDIO_PORT: port, STUDIO_TOKEN: token } = this.deps.data.config;
    checkStudioBinding(host, token);
    const app = studioApp(this.deps);
    return new Promise<ServerType>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
      s.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EADDRINUSE') return reject(error);
        reject(
          new PersonaError(
            'config_invalid',
            `Port ${port} on ${host} is already in use (another persona serve?): stop that program or set STUDIO_PORT to a free port.`,
            { field: 'STUDIO_PORT' },
          ),
        );
      });
    });
  }

  protected close(server: ServerType): Promise<void> {
    return new Promise<void>((resolve) => {
      server.close(() => resolve());
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    });
  }

  protected report(server: ServerType): { ok: boolean; detail: string } {
    return { ok: server.listening, detail: `listening on ${this.url}` };
  }
}
