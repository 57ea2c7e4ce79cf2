/** The store: one interface (`Store`) over embedded SQLite or Redis. The only user of keyv. */
export { openStore, withStore, type OpenOptions } from './open.js';
export type { ConditionalWrite, Store, StoreEntry, SetMember, WriteBatch } from './types.js';
