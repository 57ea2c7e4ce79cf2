/**
 * Which parts of the product this process runs (PERSONA_ROLES): `bots` (Discord, Slack, the
 * studio), `scheduler` (cron triggers), `trainer` (takes training jobs), `generator` (generates
 * replies; bots without it send their replies to generator workers, src/app/remote-engine.ts).
 * One process runs them all by default; splitting them across processes or machines needs the
 * shared queues, so it needs a Redis store.
 */
import type { Config } from '../config/config.js';
import { PersonaError } from '../errors.js';
import { sharedQueueUrl } from '../scheduler/bullmq-queue.js';

export const ROLES = ['bots', 'scheduler', 'trainer', 'generator'] as const;
export type Role = (typeof ROLES)[number];

export function serveRoles(config: Config, requested: readonly string[] = config.PERSONA_ROLES): Set<Role> {
  if (requested.length === 0) return new Set(ROLES);
  const unknown = requested.filter((role) => !(ROLES as readonly string[]).includes(role));
  if (unknown.length) {
    throw new PersonaError('config_invalid', `PERSONA_ROLES has unknown role "${unknown[0]}": choose from ${ROLES.join(', ')}.`, { field: 'PERSONA_ROLES' });
  }
  const roles = new Set(requested as Role[]);
  if (roles.size < ROLES.length && !sharedQueueUrl(config.storeUrl)) {
    throw new PersonaError(
      'config_invalid',
      `PERSONA_ROLES=${requested.join(',')} runs only part of the product, which needs the shared job queue: set STORE_URL to a redis:// URL (or leave PERSONA_ROLES empty to run everything in one process).`,
      { field: 'PERSONA_ROLES' },
    );
  }
  return roles;
}
