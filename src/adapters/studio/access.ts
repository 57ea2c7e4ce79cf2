/**
 * Who may use the studio. By default it listens on 127.0.0.1 and answers only connections
 * from this computer whose Host header names this computer, so a web page on another site
 * cannot reach a local studio through DNS rebinding. With STUDIO_TOKEN set it may listen
 * elsewhere, and every request must carry the token: a `studio_token` cookie (set by opening
 * `/?token=…` once) or an `Authorization: Bearer …` header. In both modes a state-changing
 * request sent by another web site (cross-site form posts) is refused.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { timingSafeEqual } from 'node:crypto';
import { PersonaError } from '../../errors.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const LOCAL_HOSTS = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const COOKIE = 'studio_token';

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host) || host === 'localhost';
}

/** Refuses to start an unprotected studio on a non-local address. */
export function checkStudioBinding(host: string, token: string | undefined): void {
  if (!isLoopbackHost(host) && !token) {
    throw new PersonaError('config_invalid', `STUDIO_HOST is ${host}, which other computers can reach: set STUDIO_TOKEN too, or keep STUDIO_HOST=127.0.0.1.`, {
      field: 'STUDIO_HOST',
    });
  }
}

function sameToken(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Browsers say where a request comes from: Sec-Fetch-Site, or at least Origin on POSTs. */
function crossSite(c: Context): boolean {
  if (SAFE_METHODS.has(c.req.method)) return false;
  const site = c.req.header('sec-fetch-site');
  if (site) return site !== 'same-origin' && site !== 'none';
  const origin = c.req.header('origin');
  if (!origin) return false; // not a browser (curl, scripts): nothing to forge
  try {
    return new URL(origin).host !== c.req.header('host');
  } catch {
    return true;
  }
}

/** A refusal as JSON for the API, as a short page for someone who opened the address in a browser. */
function refuse(c: Context, status: 401 | 403, sentence: string): Response {
  if (c.req.path.startsWith('/api/')) return c.json({ error: sentence, code: 'forbidden' }, status);
  const text = sentence.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return c.html(`<!doctype html><html lang="en"><meta charset="utf-8"><title>Persona Studio</title><p>${text}</p></html>`, status);
}

function localOnly(c: Context): Response | undefined {
  const remote = getConnInfo(c).remote.address ?? '';
  if (!LOOPBACK.test(remote)) return refuse(c, 403, 'The studio only accepts connections from this computer (set STUDIO_TOKEN to allow others).');
  if (!LOCAL_HOSTS.test(c.req.header('host') ?? '')) return refuse(c, 403, 'Unexpected Host header: open the studio at http://127.0.0.1.');
  return undefined;
}

/** A valid `?token=` sets the cookie; a page load is then redirected so the token leaves the address bar. */
function tokenOnly(c: Context, token: string): Response | undefined | 'set' {
  if (sameToken(c.req.query('token'), token)) {
    setCookie(c, COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/' });
    return 'set';
  }
  const bearer = c.req.header('authorization')?.replace(/^Bearer /, '');
  if (sameToken(getCookie(c, COOKIE), token) || sameToken(bearer, token)) return undefined;
  return refuse(c, 401, 'This studio needs its token: open it once as /?token=YOUR_STUDIO_TOKEN.');
}

export function accessControl(token: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    const decision = token ? tokenOnly(c, token) : localOnly(c);
    if (decision instanceof Response) return decision;
    if (crossSite(c)) return refuse(c, 403, 'Requests sent by other web sites are refused.');
    if (decision === 'set' && c.req.method === 'GET' && !c.req.path.startsWith('/api/')) {
      const url = new URL(c.req.url);
      url.searchParams.delete('token');
      return c.redirect(`${url.pathname}${url.search}`, 302);
    }
    return next();
  };
}
