/**
 * Character cards inside PNG images: the card JSON, UTF-8 then base64, in a tEXt chunk named
 * `chara` (Character Card V2) or `ccv3` (V3). The chunks are read and written with the
 * png-chunks-* packages (the only importer); a card exported without an avatar gets a plain
 * placeholder image, built here from IHDR/IDAT/IEND with node:zlib (a few lines, so no image
 * library is needed for one grey square).
 */
import { deflateSync } from 'node:zlib';
import { decode as decodeText, encode as encodeText } from 'png-chunk-text';
import encodeChunks from 'png-chunks-encode';
import extractChunks from 'png-chunks-extract';
import { PersonaError } from '../errors.js';

export type CardChunk = 'chara' | 'ccv3';

/** The card chunks of a PNG (JSON text already decoded from base64); throws when the file is not a readable PNG. */
export function readCardChunks(png: Uint8Array, file: string): Partial<Record<CardChunk, string>> {
  let chunks: Array<{ name: string; data: Uint8Array }>;
  try {
    chunks = extractChunks(png);
  } catch (error) {
    throw new PersonaError('input_malformed', `${file} is not a readable PNG image (${(error as Error).message}).`, { file });
  }
  const found: Partial<Record<CardChunk, string>> = {};
  for (const chunk of chunks) {
    if (chunk.name !== 'tEXt') continue;
    const { keyword, text } = decodeText(chunk.data);
    if (keyword === 'chara' || keyword === 'ccv3') found[keyword] = Buffer.from(text, 'base64').toString('utf8');
  }
  return found;
}

/** `png` with its card chunks replaced by one `keyword` chunk holding `json`. */
export function writeCardChunk(png: Uint8Array, keyword: CardChunk, json: string): Uint8Array {
  const chunks = extractChunks(png).filter((chunk) => !(chunk.name === 'tEXt' && ['chara', 'ccv3'].includes(decodeText(chunk.data).keyword)));
  const card = encodeText(keyword, Buffer.from(json, 'utf8').toString('base64'));
  chunks.splice(chunks.length - 1, 0, card); // before IEND
  return encodeChunks(chunks);
}

/** A `size`×`size` grey PNG, for a card whose persona has no avatar image. */
export function placeholderPng(size = 64): Uint8Array {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale, deflate, no filter method variants, no interlace
  const rows = Buffer.alloc(size * (size + 1), 0x9a);
  for (let y = 0; y < size; y++) rows[y * (size + 1)] = 0; // each scanline starts with filter type 0
  return encodeChunks([
    { name: 'IHDR', data: header },
    { name: 'IDAT', data: deflateSync(rows) },
    { name: 'IEND', data: new Uint8Array(0) },
  ]);
}
