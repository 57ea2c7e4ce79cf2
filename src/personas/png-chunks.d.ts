/** Typings for the small PNG chunk packages (they ship none); only src/personas/card-png.ts imports them. */
declare module 'png-chunks-extract' {
  export default function extractChunks(data: Uint8Array): Array<{ name: string; data: Uint8Array }>;
}
declare module 'png-chunks-encode' {
  export default function encodeChunks(chunks: Array<{ name: string; data: Uint8Array }>): Uint8Array;
}
declare module 'png-chunk-text' {
  export function encode(keyword: string, content: string): { name: 'tEXt'; data: Uint8Array };
  export function decode(data: Uint8Array | { name: string; data: Uint8Array }): { keyword: string; text: string };
}
