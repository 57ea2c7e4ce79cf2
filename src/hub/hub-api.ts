/**
 * The only importer of @huggingface/hub. It speaks the Hub's protocol (revision info,
 * tree listing, resolve with redirects and Range); this file turns its answers into the few
 * facts a pull needs and its failures into PersonaErrors a user can act on. Files are
 * fetched over plain HTTP (`xet: false`), which every mirror serves and which resumes with
 * Range requests.
 */
import { downloadFile, HubApiError, listFiles, modelInfo } from '@huggingface/hub';
import type { Config } from '../config/config.js';
import { PersonaError } from '../errors.js';
import { formatHubId, type HubId } from './hub-id.js';

export interface RepoFile {
  path: string;
  size: number;
  /** Name of the blob in the cache: the LFS sha256 for LFS files, else the git blob sha1. */
  etag: string;
  /** How `etag` is checked: LFS files by sha256 of the content, others by git's blob sha1. */
  hash: 'sha256' | 'git-sha1';
}

export interface HubAccess {
  hubUrl: string;
  accessToken?: string;
}

export function hubAccess(config: Config): HubAccess {
  return { hubUrl: config.HF_ENDPOINT, accessToken: config.HF_TOKEN };
}

/** The commit a branch, tag or commit hash points at on the Hub. */
export async function resolveCommit(access: HubAccess, id: HubId): Promise<string> {
  const info = await hubCall(access, id, () => modelInfo({ ...access, name: id.repo, revision: id.revision, additionalFields: ['sha'] }));
  if (typeof info.sha !== 'string') throw new PersonaError('hub_unreachable', `${access.hubUrl} gave no commit for ${formatHubId(id)}.`, { repo: id.repo });
  return info.sha;
}

/** The files at the top of the repo at `commit` (the product uses no sub-folders). */
export async function listTopLevelFiles(access: HubAccess, id: HubId, commit: string): Promise<Map<string, RepoFile>> {
  return hubCall(access, id, async () => {
    const files = new Map<string, RepoFile>();
    for await (const entry of listFiles({ ...access, repo: id.repo, revision: commit })) {
      if (entry.type !== 'file') continue;
      const lfs = entry.lfs?.oid;
      files.set(entry.path, { path: entry.path, size: entry.lfs?.size ?? entry.size, etag: lfs ?? entry.oid ?? '', hash: lfs ? 'sha256' : 'git-sha1' });
    }
    return files;
  });
}

/** The bytes of `file` from `offset` on (a Range request when offset > 0). */
export async function openFileStream(access: HubAccess, id: HubId, commit: string, file: RepoFile, offset: number): Promise<ReadableStream<Uint8Array>> {
  const blob = await hubCall(
    access,
    id,
    () => downloadFile({ ...access, repo: id.repo, path: file.path, revision: commit, xet: false, fetch: plainHttpFetch }),
    file.path,
  );
  if (!blob)
    throw new PersonaError('model_not_found', `${access.hubUrl}/${id.repo} has no file ${file.path} at commit ${commit}.`, { repo: id.repo, file: file.path });
  return (offset > 0 ? blob.slice(offset) : blob).stream() as ReadableStream<Uint8Array>;
}

/**
 * fetch without the library's `Accept: application/vnd.xet-fileinfo+json`: with `xet: false`
 * we want what plain HTTP clients get (Python's huggingface_hub without hf_xet), a redirect to
 * the file's bytes, not the Xet reconstruction metadata.
 */
const plainHttpFetch: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  if (headers.get('accept')?.includes('xet')) headers.delete('accept');
  return fetch(input, { ...init, headers });
};

/** Whether a failure is worth another attempt from where the download stopped (connection lost, server hiccup). */
export function isTransient(error: unknown): boolean {
  if (error instanceof PersonaError) return error.code === 'hub_unreachable';
  if (error instanceof HubApiError) return error.statusCode >= 500 || error.statusCode === 429;
  return true;
}

async function hubCall<T>(access: HubAccess, id: HubId, call: () => Promise<T>, file?: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw explain(error, access, id, file);
  }
}

function explain(error: unknown, access: HubAccess, id: HubId, file?: string): unknown {
  const name = formatHubId(id);
  const details = { repo: id.repo, revision: id.revision, ...(file ? { file } : {}) };
  if (error instanceof HubApiError) {
    const status = error.statusCode;
    if (status === 401 || status === 403) {
      const fix = access.accessToken
        ? "the token in HF_TOKEN has no access: accept the model's terms on its Hub page with the account that owns the token, or use a token with read access"
        : "set HF_TOKEN (in .env or the environment) to an access token of an account that has accepted the model's terms";
      return new PersonaError(
        'hub_access_denied',
        `${access.hubUrl}/${id.repo} is gated or private (HTTP ${status}): ${fix}.`,
        { ...details, status },
        { cause: error },
      );
    }
    if (status === 404) {
      return new PersonaError(
        'model_not_found',
        `${name} does not exist on ${access.hubUrl}${file ? ` (or has no ${file})` : ''}: check the id and the revision after @.`,
        { ...details, status },
        { cause: error },
      );
    }
    return new PersonaError(
      'hub_unreachable',
      `${access.hubUrl} answered HTTP ${status} for ${name}${file ? ` (${file})` : ''}; try again later.`,
      { ...details, status },
      { cause: error },
    );
  }
  if (error instanceof PersonaError) return error;
  const reason = (error as { cause?: { code?: string } })?.cause?.code ?? (error as Error)?.message ?? String(error);
  return new PersonaError(
    'hub_unreachable',
    `Could not reach ${access.hubUrl} for ${name} (${reason}): check the network, set HF_ENDPOINT to a mirror, or set HF_HUB_OFFLINE=1 to use only the cache.`,
    details,
    { cause: error },
  );
}
