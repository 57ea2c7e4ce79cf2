/**
 * Persona Studio: the local web app `persona serve` starts on http://127.0.0.1:STUDIO_PORT.
 * Hono routes under /api (JSON, plus server-sent events for chat and training progress),
 * the page from ./web, and in front of everything: access control (access.ts), headers that
 * forbid framing and confine the page to its own scripts (hardening.ts), and a size limit
 * and parse check on every JSON body.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { PersonaError } from '../../errors.js';
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

export interface Studio {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function studioApp(deps: StudioDeps): Hono {
  const app = new Hono();
  app.use('*', securityHeaders());
  app.use('*', accessControl(deps.core.config.STUDIO_TOKEN));
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

export async function startStudio(deps: StudioDeps): Promise<Studio> {
  const { STUDIO_HOST: host, STUDIO_PORT: port, STUDIO_TOKEN: token } = deps.core.config;
  checkStudioBinding(host, token);
  const app = studioApp(deps);
  const server: ServerType = await new Promise((resolve, reject) => {
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
  const actualPort = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${actualPort}/`,
    port: actualPort,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
