/**
 * Clean-up after a process that was killed while writing: temp files and folders carry the
 * writer's pid as their last `-<pid>` part, and those whose writer is no longer alive are
 * removed. A live writer's temp (another process training the same persona) is left alone.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../../util/process.js';

export function removeStaleTemps(dir: string, prefix: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/-(\d+)$/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}
