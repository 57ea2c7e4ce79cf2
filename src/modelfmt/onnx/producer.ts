/** Which tool wrote an ONNX file, read without loading it (re-export decisions, generator loading). */
import { closeSync, openSync, readSync } from 'node:fs';

/**
 * ModelProto's producer_name (field 2) and producer_version (field 3), read from the first
 * bytes of the file: protobuf writers emit fields in number order, so they precede the graph.
 * Undefined when the file does not start like an ONNX model.
 */
export function readProducer(file: string): { name: string; version: string } | undefined {
  const bytes = Buffer.alloc(1024);
  let length: number;
  try {
    const fd = openSync(file, 'r');
    try {
      length = readSync(fd, bytes, 0, bytes.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined; // unreadable: ONNX Runtime reports the real problem when it loads the file
  }
  const fields: Record<number, string> = {};
  let at = 0;
  const varint = () => {
    let value = 0;
    for (let shift = 0; at < length && shift < 35; shift += 7) {
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    return undefined;
  };
  while (at < length) {
    const tag = varint();
    if (tag === undefined) return undefined;
    const [field, wire] = [Math.floor(tag / 8), tag & 7];
    if (field > 6) break; // the graph (7) and later fields
    if (wire === 0 && varint() !== undefined) continue;
    const size = wire === 2 ? varint() : undefined;
    if (size === undefined || at + size > length) return undefined;
    fields[field] = bytes.toString('utf8', at, at + size);
    at += size;
  }
  return fields[2] === undefined ? undefined : { name: fields[2], version: fields[3] ?? '' };
}
