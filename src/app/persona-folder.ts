/**
 * The persona folder as a running `persona serve` sees it now: the valid personas and the
 * broken files, re-read whenever a file is created, renamed, edited or removed (by
 * `persona rename|create|remove` in another process, the studio, an editor, or a replica
 * sharing the folder). `/health` reports it and the scheduler reinstalls its cron entries
 * from it, so both always agree.
 *
 * The folder is polled rather than watched: inotify does not see changes made by another
 * machine on a shared volume, and a poll costs one readdir and a stat per persona file.
 */
import { statSync } from 'node:fs';
import { logger } from '../log.js';
import { listPersonaIds, personaPath, readPersonaDir, type BrokenPersonaFile } from '../personas/load.js';
import type { Persona } from '../personas/schema.js';

/** How often the persona folder is checked for changes made elsewhere. */
export const PERSONA_DIR_POLL_MS = 2000;

export interface PersonaFolderState {
  personas: Persona[];
  broken: BrokenPersonaFile[];
}

/**
 * What changes when a persona file is created, renamed, edited or removed: names, sizes,
 * modification times and inodes. The inode catches an atomic rewrite (temporary file renamed
 * over the old one) of the same size within one tick of the file system's clock.
 */
function folderSignature(dir: string): string {
  try {
    return listPersonaIds(dir)
      .map((id) => {
        const stat = statSync(personaPath(dir, id), { throwIfNoEntry: false });
        return `${id}:${stat?.ino}:${stat?.size}:${stat?.mtimeMs}`;
      })
      .join('|');
  } catch {
    return ''; // no folder (yet): no personas
  }
}

export class PersonaFolder {
  private state: PersonaFolderState;
  private seen: string;
  private timer?: NodeJS.Timeout;
  private readonly listeners: Array<(state: PersonaFolderState) => void> = [];
  private readonly log = logger('personas');

  constructor(readonly dir: string) {
    // The signature is taken before reading, so a change made during the read is seen by the next check.
    this.seen = folderSignature(dir);
    this.state = this.read();
  }

  get current(): PersonaFolderState {
    return this.state;
  }

  /** Called with the new state after each change (not for the state at start). */
  onChange(listener: (state: PersonaFolderState) => void): void {
    this.listeners.push(listener);
  }

  /** Re-reads the folder if any persona file changed since the last read; true when it did. */
  check(): boolean {
    const now = folderSignature(this.dir);
    if (now === this.seen) return false;
    this.seen = now;
    this.state = this.read();
    for (const listener of this.listeners) {
      try {
        listener(this.state);
      } catch (error) {
        this.log.error({ err: (error as Error).message }, 'a persona folder change was not applied');
      }
    }
    return true;
  }

  /** Every file is validated (schedule included) before anything is scheduled; broken ones are reported, the rest serve. */
  private read(): PersonaFolderState {
    const state = readPersonaDir(this.dir);
    for (const { id, file, error } of state.broken) this.log.error({ persona: id, file, code: error.code, err: error.message }, 'persona file skipped: fix it');
    return state;
  }

  /** Checks the folder every `everyMs` until `stop`. */
  follow(everyMs = PERSONA_DIR_POLL_MS): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.check(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
