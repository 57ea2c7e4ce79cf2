/**
 * Writes a file so readers see either the old bytes or the new ones, never half a file: the
 * data goes to a temporary name beside the target (same directory, so the rename cannot cross
 * file systems), then is renamed over it. The temporary name is `<target>.tmp-<pid>-<n>`, so
 * concurrent writers in one or several processes never share one, and a crashed writer's
 * leftover names which process left it. Hand-written: node:fs has no atomic write, and the
 * npm packages for it (write-file-atomic) add fsync/chown options we do not need.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

let counter = 0;

/** The temporary name a write of `target` uses (`<target>.tmp-<pid>-<n>`). */
export function temporaryNameFor(target: string): string {
  counter += 1;
  return `${target}.tmp-${process.pid}-${counter}`;
}

/** Writes `data` to `file` atomically, creating its directory when missing. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = temporaryNameFor(file);
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
