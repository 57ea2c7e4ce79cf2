/**
 * Corpus documents → fixed-length training rows. Each document is tokenized with the
 * bundled tokenizer and followed by `<|endoftext|>`; the documents are concatenated into
 * one stream and cut into rows of seq_len tokens (standard LM pretraining: no padding, every
 * token a target). The tokenized streams are cached as raw Int32 files so a resumed run
 * does not spend minutes re-tokenizing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Tokenizer } from '../modelfmt/tokenizer.js';
import type { PackedRow } from '../training/trainer/packing.js';
import type { CorpusDocument } from './corpus.js';

export function tokenizeDocuments(documents: readonly CorpusDocument[], tokenizer: Tokenizer, endOfTextId: number): Int32Array {
  const parts: number[][] = [];
  let total = 0;
  for (const document of documents) {
    const ids = tokenizer.encode(document.text);
    ids.push(endOfTextId);
    parts.push(ids);
    total += ids.length;
  }
  const stream = new Int32Array(total);
  let offset = 0;
  for (const ids of parts) {
    stream.set(ids, offset);
    offset += ids.length;
  }
  return stream;
}

/** Reads the cached stream, or builds and caches it. */
export function cachedTokenStream(file: string, build: () => Int32Array): Int32Array {
  if (existsSync(file)) {
    const bytes = readFileSync(file);
    return new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }
  const stream = build();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, new Uint8Array(stream.buffer, stream.byteOffset, stream.byteLength));
  return stream;
}

/** Consecutive rows of seqLen tokens; the incomplete tail is dropped. */
export function streamToRows(stream: Int32Array, seqLen: number): PackedRow[] {
  const rows: PackedRow[] = [];
  const everyToken = new Uint8Array(seqLen).fill(1);
  for (let start = 0; start + seqLen <= stream.length; start += seqLen) {
    rows.push({ ids: stream.subarray(start, start + seqLen), targets: everyToken, used: seqLen });
  }
  return rows;
}
