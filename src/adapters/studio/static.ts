/**
 * The page and its libraries, served from disk with no CDN: the app's own files from
 * ./web and a fixed list of browser builds from node_modules (Preact, htm, uPlot), which
 * the page loads through an import map. Only listed files are served.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';

const require = createRequire(import.meta.url);
const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), 'web');

/** A file inside an installed package (not every package exports its package.json or dist files). */
function packageFile(pkg: string, file: string): string {
  const dir = (require.resolve.paths(pkg) ?? []).map((base) => join(base, pkg)).find((candidate) => existsSync(join(candidate, 'package.json')));
  if (!dir) throw new Error(`The studio needs the npm package ${pkg}; run npm ci.`);
  return join(dir, file);
}

const VENDOR: Record<string, string> = {
  'preact.js': packageFile('preact', 'dist/preact.module.js'),
  'preact-hooks.js': packageFile('preact', 'hooks/dist/hooks.module.js'),
  'htm.js': packageFile('htm', 'dist/htm.module.js'),
  'uplot.js': packageFile('uplot', 'dist/uPlot.esm.js'),
  'uplot.css': packageFile('uplot', 'dist/uPlot.min.css'),
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const SAFE_NAME = /^[a-z0-9-]+(\/[a-z0-9-]+)*\.(js|css|svg)$/;

export function staticRoutes(): Hono {
  const app = new Hono();
  const send = (file: string) =>
    new Response(readFileSync(file), { headers: { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' } });
  app.get('/', () => send(join(WEB_DIR, 'index.html')));
  app.get('/vendor/:name', (c) => {
    const name = c.req.param('name');
    const file = Object.hasOwn(VENDOR, name) ? VENDOR[name] : undefined; // not `__proto__` & co.
    return file ? send(file) : c.notFound();
  });
  app.get('/app/*', (c) => {
    const name = c.req.path.slice('/app/'.length);
    return SAFE_NAME.test(name) ? send(join(WEB_DIR, name)) : c.notFound();
  });
  return app;
}
