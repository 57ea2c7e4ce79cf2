/**
 * What every studio response and request goes through besides access control:
 *
 * - Headers: no framing by any other page (`X-Frame-Options: DENY` and CSP `frame-ancestors
 *   'none'`: a framing page once got a click on "Approve" through), and a Content Security
 *   Policy for the whole app: scripts, styles, fetches and images from the studio itself
 *   only. The page's one inline script, its import map, is allowed by its hash.
 * - JSON bodies: at most MAX_JSON_BYTES (a 9.5 MB chat body blocked the event loop for 6 s,
 *   a 20 MB feedback body was stored verbatim), parsed once here so that invalid JSON or a
 *   bare value answers 400 with a sentence instead of a 500 from inside a route.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { PersonaError } from '../../errors.js';

/** Largest JSON body any studio route accepts (chat with 100 turns, a persona file, feedback). */
export const MAX_JSON_BYTES = 1024 * 1024;

const INDEX_HTML = join(dirname(fileURLToPath(import.meta.url)), 'web', 'index.html');

/** CSP hashes of the inline scripts of index.html (the import map), so nothing else inline runs. */
function inlineScriptHashes(): string[] {
  const html = readFileSync(INDEX_HTML, 'utf8');
  return [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`);
}

export function contentSecurityPolicy(): string {
  return [
    "default-src 'self'",
    `script-src 'self' ${inlineScriptHashes().join(' ')}`,
    // Preact and uPlot set element styles; CSP cannot tell those from injected style attributes.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(): MiddlewareHandler {
  const csp = contentSecurityPolicy();
  return async (c, next) => {
    await next();
    c.res.headers.set('Content-Security-Policy', csp);
    c.res.headers.set('X-Frame-Options', 'DENY');
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    c.res.headers.set('Referrer-Policy', 'no-referrer');
  };
}

/** JSON request bodies: size-limited, and parsed here so a malformed one is a 400 with a sentence. */
export function jsonBodies(): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: MAX_JSON_BYTES,
    // The rest of the body is never read, so the connection cannot carry another request: close it.
    onError: (c) =>
      c.json({ error: `The request body is larger than ${MAX_JSON_BYTES / 2 ** 20} MB.`, code: 'invalid_argument' }, 413, { connection: 'close' }),
  });
  return async (c, next) => {
    if (!(c.req.header('content-type') ?? '').includes('json')) return next();
    return limit(c, async () => {
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        throw new PersonaError('invalid_argument', 'The request body is not valid JSON.', { field: 'body' });
      }
      if (body === null || typeof body !== 'object') throw new PersonaError('invalid_argument', 'The request body must be a JSON object.', { field: 'body' });
      await next();
    });
  };
}
