/**
 * Who may use the studio. By default it listens on 127.0.0.1 and answers only connections
 * from this computer. With STUDIO_TOKEN set it may listen elsewhere, and every request must
 * carry the token (a `studio_token` cookie, set by opening `/?token=…` once, or an
 * `Authorization: Bearer …` header). Host headers are checked too, so a web page on another
 * site cannot reach a local studio through DNS rebinding.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { timingSafeEqual } from 'node:crypto';
import { PersonaError } from '../../errors.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const LOCAL_HOSTS = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/;

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host) || host === 'localhost';
}

/** Refuses to start an unprotected studio on a non-local address. */
export function checkStudioBinding(host: string, token: string | undefined): void {
  if (!isLoopbackHost(host) && !token) {
    throw new PersonaError('config_invalid', `STUDIO_HOST is ${host}, which other computers can reach: set STUDIO_TOKEN too, or keep STUDIO_HOST=127.0.0.1.`, { field: 'STUDIO_HOST' });
  }
}

function sameToken(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function accessControl(token: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    const remote = getConnInfo(c).remote.address ?? '';
    if (!token) {
      if (!LOOPBACK.test(remote)) return c.json({ error: 'The studio only accepts connections from this computer (set STUDIO_TOKEN to allow others).' }, 403);
      if (!LOCAL_HOSTS.test(c.req.header('host') ?? '')) return c.json({ error: 'Unexpected Host header: open the studio at http://127.0.0.1.' }, 403);
      return next();
    }
    const fromQuery = c.req.query('token');
    if (sameToken(fromQuery, token)) {
      setCookie(c, 'studio_token', token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      return next();
    }
    const bearer = c.req.header('authorization')?.replace(/^Bearer /, '');
    if (sameToken(getCookie(c, 'studio_token'), token) || sameToken(bearer, token)) return next();
    return c.json({ error: 'This studio needs its token: open it once as /?token=YOUR_STUDIO_TOKEN.' }, 401);
  };
}
