/**
 * Writes a file so readers see either the old bytes or the new ones, never half a file: the
 * data goes to a temporary name beside the target (same directory, so the rename cannot cross
 * file systems), then is renamed over it. The temporary name is `<target>.tmp-<n>-<pid>`:
 * concurrent writers in one or several processes never share one, and the pid comes last so
 * the clean-up after a killed writer (`removeStaleTemps`) can tell whether its writer is
 * still alive. Folders built beside their target (model folders) use the same scheme with a
 * leading dot, `.tmp-<name>-<n>-<pid>`, so listings of versions never see them. Hand-written: node:fs has no atomic write, and the npm package
 * for it (write-file-atomic) adds ownership and queueing options we do not need.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { processAlive } from './process.js';

let counter = 0;

/** A fresh temporary name for writing `target` (`<target>.tmp-<n>-<pid>`), for writers that produce the file themselves. */
export function temporaryNameFor(target: string): string {
  counter += 1;
  return `${target}.tmp-${counter}-${process.pid}`;
}

/** A fresh hidden temporary folder name beside `target` (`.tmp-<name>-<n>-<pid>`), for folders built and then renamed into place. */
export function temporaryFolderFor(target: string): string {
  counter += 1;
  return join(dirname(target), `.tmp-${basename(target)}-${counter}-${process.pid}`);
}

/**
 * Clean-up after a process that was killed while writing: the temp files and folders in `dir`
 * starting with `prefix` whose writer (the last `-<pid>` of the name) is no longer alive are
 * removed (their names are returned). A live writer's temp (another process training the
 * same persona) is left alone.
 */
export function removeStaleTemps(dir: string, prefix: string): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/-(\d+)$/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || processAlive(pid)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

export interface AtomicWriteOptions {
  /** fsync the data before the rename, so a power loss cannot leave an empty file under the real name. */
  fsync?: boolean;
}

/**
 * Writes all of `bytes` to `fd`, at `position` or else at the file's current offset: one
 * write(2) moves at most ~2 GiB on Linux, and exported models are larger.
 */
export function writeFully(fd: number, bytes: Uint8Array, position?: number): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, position === undefined ? null : position + done);
}

/**
 * Produces `file` atomically from a writer that writes the file itself (an exporter, a
 * streamed writer): `write` gets a temporary name beside `file`, which is renamed into place
 * when it returns; when it throws, the temporary file is removed and `file` is left as it was.
 */
export function replaceAtomically(file: string, write: (temporary: string) => void): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = temporaryNameFor(file);
  try {
    write(temporary);
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** Writes `data` to `file` atomically, creating its directory when missing. */
export function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  replaceAtomically(file, (temporary) => {
    const fd = openSync(temporary, 'w');
    try {
      writeFully(fd, typeof data === 'string' ? Buffer.from(data) : data);
      if (options.fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
}
