/**
 * Hand-run throughput check of the ingest hot path (parse + clean + build samples) on
 * 100,000 synthetic Discord messages — not a timed test, since timings on shared CI
 * machines are noise. Run: npx tsx test/ingest/throughput.manual.ts [messages]
 * Target: ≥ 60,000 messages/s, so that parse + clean + store can reach 20,000/s.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestPaths } from '../../src/ingest/index.ts';
import { parsePersona } from '../../src/personas/load.ts';

const count = Number(process.argv[2] ?? 100_000);
const words = 'the a we our nation people will must shall freedom work peace today time great new hope plan world help'.split(' ');
const extras = [' mail me at ada@example.com', ' call +1 555 123 4567', ' hey <@1000000000000000003>', ' see https://example.com/x?y=1', ' 4111 1111 1111 1111', '', '', '', '', ''];
let seed = 42;
/** mulberry32: a deterministic generator, so every run measures the same messages. */
function random(n: number): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (((t ^ (t >>> 14)) >>> 0) % n);
}

const messages = Array.from({ length: count }, (_, i) => {
  const author = random(10);
  const text = Array.from({ length: 4 + random(20) }, () => words[random(words.length)]).join(' ') + extras[random(extras.length)];
  return {
    id: String(1_000_000_000_000_000_000n + BigInt(i)),
    type: 'Default',
    timestamp: new Date(1_700_000_000_000 + i * 30_000).toISOString(),
    content: text,
    author: { id: String(1000000000000000000n + BigInt(author)), name: `user${author}`, nickname: author === 0 ? 'Ada' : `User ${author}`, isBot: false },
    mentions: [],
  };
});
const dir = mkdtempSync(join(tmpdir(), 'ingest-throughput-'));
const file = join(dir, 'channel.json');
writeFileSync(file, JSON.stringify({ guild: { id: '1', name: 'g' }, channel: { id: '2', name: 'general' }, messages }));
const persona = parsePersona('id: ada\nname: Ada\n', 'ada.yaml');

const started = performance.now();
let drafts = 0;
for await (const result of ingestPaths(persona, [file], { root: dir })) {
  drafts += result.drafts.length;
  if (process.env.VERBOSE) console.log({ ...result, drafts: result.drafts.slice(0, 2) });
}
const seconds = (performance.now() - started) / 1000;
rmSync(dir, { recursive: true, force: true });
console.log(`${count} messages → ${drafts} samples in ${seconds.toFixed(2)} s: ${Math.round(count / seconds)} messages/s`);
