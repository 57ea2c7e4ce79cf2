/**
 * A store's identity: a random id written once, when the store is created. It tells a
 * store that lost its data apart from one that is merely new. A Redis server restarted
 * without persistence comes back empty and, without this, a running job would "promote"
 * into the empty store as if nothing happened; after every reconnect the id is read again
 * and, if it is gone, every store call fails with one clear error.
 *
 * With a registry file (DATA_DIR/stores.json: where each known store lives and its id),
 * opening also refuses a store that this installation has used before but is now empty,
 * and, outside the first run, refuses to create a new empty store at an address never
 * used before (a typo in STORE_URL) unless told to (STORE_CREATE=1).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { PersonaError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export const IDENTITY_KEY = 'store:identity';

export interface StoreIdentity {
  id: string;
  createdAt: number;
}

export interface IdentityOptions {
  /** JSON file remembering the stores this installation has used (`where` → id). */
  registry?: string;
  /** Create a new store at an address the registry does not know (STORE_CREATE=1). */
  create?: boolean;
}

/** What identity needs of a freshly opened store (raw access, before any identity check). */
export interface IdentityAccess {
  read(): Promise<StoreIdentity | undefined>;
  write(identity: StoreIdentity): Promise<void>;
  isEmpty(): Promise<boolean>;
}

function readRegistry(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

function remember(path: string, where: string, id: string): void {
  const known = readRegistry(path);
  if (known[where] === id) return;
  writeFileAtomic(path, `${JSON.stringify({ ...known, [where]: id }, null, 2)}\n`);
}

export function lostDataError(where: string, id: string): PersonaError {
  return new PersonaError(
    'store_unavailable',
    `The store at ${where} lost its data (its identity ${id} is gone: a Redis server restarted without persistence, or the data was deleted); stopping. Restore it from a backup, or remove it from the registry (DATA_DIR/stores.json) to start over.`,
    { store: where, id },
  );
}

/** Reads the store's identity, creating it for a new store; refuses lost and unexpected stores. */
export async function establishIdentity(access: IdentityAccess, where: string, options: IdentityOptions): Promise<StoreIdentity> {
  const known = options.registry ? readRegistry(options.registry) : {};
  let identity = await access.read();
  if (!identity) {
    const empty = await access.isEmpty();
    if (empty && known[where]) throw lostDataError(where, known[where]);
    if (empty && options.registry && Object.keys(known).length > 0 && !options.create) {
      throw new PersonaError(
        'config_invalid',
        `STORE_URL names a store that does not exist yet (${where}); this installation has used ${Object.keys(known).join(', ')}. Check STORE_URL for a typo, or set STORE_CREATE=1 once to create a new empty store there.`,
        { field: 'STORE_URL', store: where },
      );
    }
    identity = { id: randomUUID(), createdAt: Date.now() };
    await access.write(identity);
  }
  if (options.registry) remember(options.registry, where, identity.id);
  return identity;
}
