/**
 * The Hugging Face cache layout, exactly as Python's huggingface_hub writes it, so both
 * share one cache:
 *
 *   $HF_HOME/hub/models--org--name/
 *     refs/main                      the commit `main` pointed at when last pulled
 *     blobs/<etag>                   file contents: sha256 for LFS files, git sha1 otherwise
 *     blobs/<etag>.incomplete        a download in progress (resumed from its length)
 *     snapshots/<commit>/<file>      relative symlink to ../../blobs/<etag>
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { Config } from '../config/config.js';
import { isCommitHash, type HubId } from './hub-id.js';

const REPO_PREFIX = 'models--';
const SEPARATOR = '--';

export function hubCacheDir(config: Config): string {
  return join(config.HF_HOME, 'hub');
}

export function repoFolder(config: Config, repo: string): string {
  return join(hubCacheDir(config), REPO_PREFIX + repo.split('/').join(SEPARATOR));
}

export function blobPath(config: Config, repo: string, etag: string): string {
  return join(repoFolder(config, repo), 'blobs', etag);
}

export function snapshotDir(config: Config, repo: string, commit: string): string {
  return join(repoFolder(config, repo), 'snapshots', commit);
}

/** The commit a revision points at in the cache (a commit hash names itself), if known. */
export function readRef(config: Config, id: HubId): string | undefined {
  if (isCommitHash(id.revision)) return id.revision;
  const file = join(repoFolder(config, id.repo), 'refs', id.revision);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/** Records which commit a branch or tag resolved to (no ref is written for a commit hash). */
export function writeRef(config: Config, id: HubId, commit: string): void {
  if (isCommitHash(id.revision)) return;
  const file = join(repoFolder(config, id.repo), 'refs', id.revision);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, commit);
}

/** Refs (branch or tag names, possibly nested like `refs/pr/1`) by the commit they point at. */
export function readRefs(config: Config, repo: string): Map<string, string[]> {
  const byCommit = new Map<string, string[]>();
  const root = join(repoFolder(config, repo), 'refs');
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const commit = readFileSync(path, 'utf8').trim();
        byCommit.set(commit, [...(byCommit.get(commit) ?? []), relative(root, path)]);
      }
    }
  };
  walk(root);
  return byCommit;
}

/** Links a verified blob into a snapshot: a relative symlink, or a copy where symlinks are refused. */
export function linkIntoSnapshot(config: Config, repo: string, commit: string, file: string, etag: string): string {
  const target = join(snapshotDir(config, repo, commit), file);
  const blob = blobPath(config, repo, etag);
  mkdirSync(dirname(target), { recursive: true });
  if (existsSync(target) || isDanglingLink(target)) rmSync(target);
  try {
    symlinkSync(relative(dirname(target), blob), target);
  } catch {
    copyFileSync(blob, target);
  }
  return target;
}

function isDanglingLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The repo and commit of a snapshot folder of this cache (models--org--name/snapshots/<commit>), or undefined for any other folder. */
export function snapshotOf(config: Config, dir: string): { repo: string; commit: string } | undefined {
  const parts = relative(hubCacheDir(config), dir).split(sep);
  if (parts.length !== 3 || !parts[0].startsWith(REPO_PREFIX) || parts[1] !== 'snapshots' || !isCommitHash(parts[2])) return undefined;
  return { repo: repoOfFolder(parts[0]), commit: parts[2] };
}

function repoOfFolder(name: string): string {
  return name.slice(REPO_PREFIX.length).split(SEPARATOR).join('/');
}

/** `org/name` of every model repo in the cache. */
export function cachedRepos(config: Config): string[] {
  const dir = hubCacheDir(config);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name.startsWith(REPO_PREFIX))
    .map((entry) => repoOfFolder(entry.name))
    .sort();
}

/** Commits with a snapshot folder in the cache. */
export function cachedCommits(config: Config, repo: string): string[] {
  const dir = join(repoFolder(config, repo), 'snapshots');
  return existsSync(dir) ? readdirSync(dir).filter(isCommitHash).sort() : [];
}
