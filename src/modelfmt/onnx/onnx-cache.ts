/**
 * Bookkeeping of the ONNX cache (DATA_DIR/onnx-cache/<key>/model.onnx, plus model.onnx_data
 * for large models: the exports folder-graph.ts writes for folders without a current graph of
 * their own; an entry is its whole folder, so pruning removes both files). Each entry
 * records the folder it was exported from in source.json, rewritten whenever serving loads
 * the entry; `pruneOnnxCache`, run when `persona serve` starts, removes entries whose folder
 * is gone (a removed persona, a deleted Hub snapshot) or that no load has used for
 * ONNX_CACHE_MAX_IDLE_DAYS (a replaced base gets a new key, so its old export is never used
 * again). A pruned entry that is needed after all is exported again on the next load.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';

/** The record beside each cached model.onnx: which folder it came from; its mtime is the last use. */
export const ONNX_CACHE_SOURCE = 'source.json';

/** Entries unused for longer are removed at serve start. */
export const ONNX_CACHE_MAX_IDLE_DAYS = 30;

const DAY_MS = 86_400_000;

/** Records that `cachedOnnx` (exported from `modelDir`) is in use now; returns `cachedOnnx`. */
export function markOnnxCacheUse(cachedOnnx: string, modelDir: string): string {
  writeFileAtomic(join(dirname(cachedOnnx), ONNX_CACHE_SOURCE), `${JSON.stringify({ dir: realpathSync(modelDir) })}\n`);
  return cachedOnnx;
}

export interface PrunedOnnxEntry {
  key: string;
  reason: 'source gone' | 'unused';
}

export function pruneOnnxCache(cacheDir: string, options: { maxIdleDays?: number; now?: number } = {}): PrunedOnnxEntry[] {
  if (!existsSync(cacheDir)) return [];
  const maxIdleMs = (options.maxIdleDays ?? ONNX_CACHE_MAX_IDLE_DAYS) * DAY_MS;
  const now = options.now ?? Date.now();
  const pruned: PrunedOnnxEntry[] = [];
  for (const entry of readdirSync(cacheDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(cacheDir, entry.name);
    const reason = staleReason(dir, now, maxIdleMs);
    if (!reason) continue;
    rmSync(dir, { recursive: true, force: true });
    pruned.push({ key: entry.name, reason });
  }
  return pruned;
}

function staleReason(dir: string, now: number, maxIdleMs: number): PrunedOnnxEntry['reason'] | undefined {
  const record = join(dir, ONNX_CACHE_SOURCE);
  if (existsSync(record) && !existsSync(recordedSource(record) ?? dir)) return 'source gone';
  return now - lastUse(dir, record) > maxIdleMs ? 'unused' : undefined;
}

function recordedSource(record: string): string | undefined {
  try {
    const { dir } = JSON.parse(readFileSync(record, 'utf8')) as { dir?: unknown };
    return typeof dir === 'string' ? dir : undefined;
  } catch {
    return undefined; // an unreadable record: the entry is judged by its age alone
  }
}

/** The record's mtime; for entries without one (older exports, or one being written now), the newest file's. */
function lastUse(dir: string, record: string): number {
  if (existsSync(record)) return statSync(record).mtimeMs;
  // A temp file renamed away between the listing and the stat counts as nothing.
  return Math.max(statSync(dir).mtimeMs, ...readdirSync(dir).map((name) => statSync(join(dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0));
}
