/**
 * One file into the cache: stream it into blobs/<etag>.incomplete (appending from the
 * length already there, so an interrupted pull resumes with a Range request, also across
 * runs), retry a dropped connection from where it stopped, then check the whole file against
 * the hash the Hub advertises before renaming it to blobs/<etag> and linking it into the
 * snapshot. A file that fails the check is deleted and never linked. @huggingface/hub's own
 * downloadFileToCacheDir neither resumes nor verifies, hence this file.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config/config.js';
import { PersonaError } from '../errors.js';
import { blobPath, linkIntoSnapshot } from './cache.js';
import { isTransient, openFileStream, type HubAccess, type RepoFile } from './hub-api.js';
import type { HubId } from './hub-id.js';

/** Attempts per file within one pull; each resumes where the previous one stopped. */
const ATTEMPTS = 4;
const RETRY_DELAY_MS = 250;

/** One pull: where from, which repo and commit, and the cache it writes. */
export interface PullContext {
  config: Config;
  access: HubAccess;
  id: HubId;
  commit: string;
}

export interface FileTarget extends PullContext {
  file: RepoFile;
}

/** Called with the number of new bytes written, as they arrive. */
export type OnBytes = (bytes: number) => void;

/** Ensures the verified file is in the cache and linked into the snapshot; returns the bytes downloaded. */
export async function fetchIntoCache(target: FileTarget, onBytes: OnBytes = () => {}): Promise<number> {
  const { config, id, commit, file } = target;
  const blob = blobPath(config, id.repo, file.etag);
  let downloaded = 0;
  if (!(existsSync(blob) && statSync(blob).size === file.size)) {
    downloaded = await downloadWithRetries(target, `${blob}.incomplete`, onBytes);
    await verify(target, `${blob}.incomplete`);
    renameSync(`${blob}.incomplete`, blob);
  }
  linkIntoSnapshot(config, id.repo, commit, file.path, file.etag);
  return downloaded;
}

/** Stores bytes already in memory (e.g. config.json, read before deciding to pull) the same checked way. */
export async function storeIntoCache(target: FileTarget, bytes: Uint8Array): Promise<void> {
  const { config, id, commit, file } = target;
  const blob = blobPath(config, id.repo, file.etag);
  mkdirSync(dirname(blob), { recursive: true });
  await pipeline(Readable.from([bytes]), createWriteStream(`${blob}.incomplete`));
  await verify(target, `${blob}.incomplete`);
  renameSync(`${blob}.incomplete`, blob);
  linkIntoSnapshot(config, id.repo, commit, file.path, file.etag);
}

async function downloadWithRetries(target: FileTarget, partial: string, onBytes: OnBytes): Promise<number> {
  mkdirSync(dirname(partial), { recursive: true });
  const { size } = target.file;
  let downloaded = 0;
  for (let attempt = 1; ; attempt++) {
    let offset = existsSync(partial) ? statSync(partial).size : 0;
    if (offset > size) {
      rmSync(partial); // a server that ignored Range appended a whole copy: start over
      offset = 0;
    }
    if (offset === size) return downloaded;
    if (attempt > ATTEMPTS) throw asPersonaError(new Error(`the server stopped at byte ${offset} of ${size}`), target);
    try {
      downloaded += await appendFrom(target, partial, offset, onBytes);
    } catch (error) {
      if (attempt === ATTEMPTS || !isTransient(error)) throw asPersonaError(error, target);
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * attempt));
    }
  }
}

async function appendFrom(target: FileTarget, partial: string, offset: number, onBytes: OnBytes): Promise<number> {
  const stream = await openFileStream(target.access, target.id, target.commit, target.file, offset);
  let written = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      written += chunk.length;
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(stream as import('node:stream/web').ReadableStream<Uint8Array>),
      counter,
      createWriteStream(partial, { flags: offset > 0 ? 'a' : 'w' }),
    );
  } catch (error) {
    if (written === 0) throw error;
    // Bytes that arrived before the drop are kept: the next attempt asks for the rest.
    throw Object.assign(new Error(`connection lost after ${written} bytes`), { cause: error });
  }
  return written;
}

async function verify(target: FileTarget, partial: string): Promise<void> {
  const { file, access, id } = target;
  const size = statSync(partial).size;
  const actual = size === file.size ? await hashOf(partial, file) : undefined;
  if (actual === file.etag) return;
  rmSync(partial, { force: true });
  const got = actual === undefined ? `${size} bytes instead of ${file.size}` : `${file.hash} ${actual} instead of ${file.etag}`;
  throw new PersonaError(
    'model_corrupt',
    `${access.hubUrl}/${id.repo}: ${file.path} arrived corrupt (${got}); it was deleted and not linked into the cache, run the pull again.`,
    { repo: id.repo, file: file.path },
  );
}

/** sha256 of the content for LFS files; git's blob id (sha1 of "blob <size>\0" + content) for the rest. */
async function hashOf(path: string, file: RepoFile): Promise<string> {
  const hash = file.hash === 'sha256' ? createHash('sha256') : createHash('sha1').update(`blob ${file.size}\0`);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function asPersonaError(error: unknown, target: FileTarget): unknown {
  if (error instanceof PersonaError) return error;
  const reason = (error as Error)?.message ?? String(error);
  return new PersonaError(
    'hub_unreachable',
    `Downloading ${target.file.path} of ${target.id.repo} from ${target.access.hubUrl} failed ${ATTEMPTS} times (${reason}); run the pull again to resume where it stopped.`,
    { repo: target.id.repo, file: target.file.path },
    { cause: error },
  );
}
