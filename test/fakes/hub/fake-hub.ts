/**
 * A fake Hugging Face Hub on 127.0.0.1 speaking the protocol @huggingface/hub uses:
 *
 * - GET /api/models/:org/:name/revision/:rev → { id, sha, gated, … } (404 RepoNotFound / RevisionNotFound)
 * - GET /api/models/:org/:name/tree/:rev → [{ type, path, size, oid, lfs: { oid, size, pointerSize } }]
 * - GET /:org/:name/resolve/:rev/:file → regular files served directly (ETag = git blob sha1);
 *   LFS files (*.safetensors) 302 to /cdn/<sha256> with X-Linked-Etag / X-Linked-Size;
 *   X-Repo-Commit on both; 404 EntryNotFound; gated repos 401 without a token, 403 with a wrong one.
 * - GET /cdn/:sha256 → the bytes, honouring Range (206 + Content-Range).
 *
 * Faults for the tests: drop the connection once after N bytes of a file, serve a file with
 * one byte flipped. Every request is recorded (path, Range, Authorization).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface FakeRepo {
  files: Map<string, Buffer>;
  /** Sub-folders the tree lists as directories (never fetched by a pull). */
  folders?: string[];
  gated?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  range?: string;
  authorization?: string;
  accept?: string;
}

const LFS = /\.(safetensors|bin|gguf|onnx)$/;

export function gitBlobSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export class FakeHub {
  readonly requests: RecordedRequest[] = [];
  /** Token that opens gated repos. */
  readonly token = 'hf_fake_reader';
  /** Commit every repo's `main` points at. */
  readonly commit = 'a'.repeat(39) + '1';
  /** The next response for this file stops after `afterBytes` body bytes and the socket is destroyed. */
  dropOnce: { file: string; afterBytes: number } | undefined;
  /** Files served with one byte flipped (the tree still advertises the true hash). */
  readonly corrupt = new Set<string>();
  private server: Server | undefined;
  private readonly byHash = new Map<string, { repo: string; file: string }>();

  constructor(readonly repos: Record<string, FakeRepo>) {
    for (const [repo, { files }] of Object.entries(repos))
      for (const [file, content] of files) if (LFS.test(file)) this.byHash.set(sha256(content), { repo, file });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Requests for a file's bytes (resolve or CDN), e.g. to prove no weight was fetched. */
  contentRequests(file: string): RecordedRequest[] {
    const hashes = [...this.byHash].filter(([, where]) => where.file === file).map(([hash]) => hash);
    return this.requests.filter((r) => (r.path.includes(`/resolve/`) ? r.path.endsWith(`/${file}`) : hashes.some((h) => r.path.startsWith(`/cdn/${h}`))));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    this.requests.push({ method: req.method ?? 'GET', path, range: req.headers.range, authorization: req.headers.authorization, accept: req.headers.accept });
    const revision = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(path);
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/.exec(path);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(path);
    const stored = cdn ? this.byHash.get(cdn[1]) : undefined;
    if (revision) this.revision(res, revision[1], revision[2]);
    else if (tree) this.tree(res, tree[1], tree[2]);
    else if (resolve) this.resolve(req, res, resolve[1], resolve[2], resolve[3]);
    else if (cdn && stored) this.serveBytes(req, res, stored.file, this.repos[stored.repo].files.get(stored.file) as Buffer, { ETag: `"${cdn[1]}"` });
    else json(res, 404, { error: 'Not found' });
  }

  private knownRevision(res: ServerResponse, repo: string, revision: string): FakeRepo | undefined {
    const found = this.repos[repo];
    if (!found) json(res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
    else if (revision !== 'main' && revision !== 'HEAD' && revision !== this.commit)
      json(res, 404, { error: `Invalid rev id: ${revision}` }, { 'X-Error-Code': 'RevisionNotFound' });
    else return found;
  }

  private revision(res: ServerResponse, repo: string, revision: string): void {
    const found = this.knownRevision(res, repo, revision);
    if (!found) return;
    const siblings = [...found.files.keys()].map((rfilename) => ({ rfilename }));
    json(res, 200, {
      _id: `id-${repo}`,
      id: repo,
      sha: this.commit,
      private: false,
      gated: found.gated ? 'manual' : false,
      downloads: 0,
      likes: 0,
      lastModified: '2026-01-01T00:00:00.000Z',
      siblings,
    });
  }

  private tree(res: ServerResponse, repo: string, revision: string): void {
    const found = this.knownRevision(res, repo, revision);
    if (!found) return;
    const files = [...found.files].map(([path, content]) => ({
      type: 'file',
      path,
      size: content.length,
      oid: gitBlobSha1(content),
      ...(LFS.test(path) ? { lfs: { oid: sha256(content), size: content.length, pointerSize: 134 } } : {}),
    }));
    const folders = (found.folders ?? []).map((path) => ({ type: 'directory', path, size: 0, oid: gitBlobSha1(Buffer.from(path)) }));
    json(res, 200, [...folders, ...files]);
  }

  private resolve(req: IncomingMessage, res: ServerResponse, repo: string, revision: string, file: string): void {
    const found = this.knownRevision(res, repo, revision);
    if (!found) return;
    if (found.gated && req.headers.authorization !== `Bearer ${this.token}`) {
      const status = req.headers.authorization ? 403 : 401;
      json(
        res,
        status,
        { error: `Access to model ${repo} is restricted. You must have access to it and be authenticated to access it. Please log in.` },
        { 'X-Error-Code': 'GatedRepo' },
      );
      return;
    }
    const content = found.files.get(file);
    if (!content) {
      json(res, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
      return;
    }
    const common = { 'X-Repo-Commit': this.commit };
    if (LFS.test(file)) {
      const hash = sha256(content);
      res.writeHead(302, {
        ...common,
        Location: `${this.url}/cdn/${hash}`,
        'X-Linked-Etag': `"${hash}"`,
        'X-Linked-Size': String(content.length),
        ETag: `"${gitBlobSha1(content)}"`,
        'Content-Length': '0',
      });
      res.end();
      return;
    }
    this.serveBytes(req, res, file, content, { ...common, ETag: `"${gitBlobSha1(content)}"` });
  }

  private serveBytes(req: IncomingMessage, res: ServerResponse, file: string, original: Buffer, headers: Record<string, string>): void {
    const content = this.corrupt.has(file) ? flipByte(original) : original;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Math.min(Number(range[2]), content.length - 1) : content.length - 1;
    const body = content.subarray(start, end + 1);
    const status = range ? 206 : 200;
    res.writeHead(status, {
      ...headers,
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(body.length),
      'Accept-Ranges': 'bytes',
      ...(range ? { 'Content-Range': `bytes ${start}-${end}/${content.length}` } : {}),
    });
    const drop = this.dropOnce?.file === file && body.length > this.dropOnce.afterBytes ? this.dropOnce : undefined;
    if (!drop) {
      res.end(body);
      return;
    }
    this.dropOnce = undefined;
    res.write(body.subarray(0, drop.afterBytes), () => setTimeout(() => req.socket.destroy(), 20));
  }
}

function flipByte(content: Buffer): Buffer {
  const copy = Buffer.from(content);
  copy[copy.length - 1] ^= 0xff;
  return copy;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Every file of a model folder (top level only) as a repo's content. */
export function repoFromFolder(dir: string, extra: Record<string, string | Buffer> = {}): FakeRepo {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(dir)) if (statSync(join(dir, name)).isFile()) files.set(name, readFileSync(join(dir, name)));
  for (const [name, content] of Object.entries(extra)) files.set(name, Buffer.from(content));
  return { files };
}
