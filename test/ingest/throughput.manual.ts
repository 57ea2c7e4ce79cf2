/**
 * Hand-run throughput check of the ingest hot path (parse + clean + build samples) on
 * 100,000 synthetic Discord messages — not a timed test, since timings on shared CI
 * machines are noise. Run: npx tsx test/ingest/throughput.manual.ts [messages]
 * Target: ≥ 60,000 messages/s, so that parse + clean + store can reach 20,000/s.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanRules, cleanText, ingestPaths } from '../../src/ingest/index.ts';
import { parsePersona } from '../../src/personas/load.ts';
import { Rng } from '../../src/util/random.ts';

const count = Number(process.argv[2] ?? 100_000);
const words = 'the a we our nation people will must shall freedom work peace today time great new hope plan world help'.split(' ');
const extras = [
  ' mail me at ada@example.com',
  ' call +1 555 123 4567',
  ' hey <@1000000000000000003>',
  ' see https://example.com/x?y=1',
  ' 4111 1111 1111 1111',
  '',
  '',
  '',
  '',
  '',
];
/** Deterministic, so every run measures the same messages. */
const rng = new Rng(42);
const random = (n: number) => rng.int(n);

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

let cpuAtStart = process.cpuUsage();
/** Wall-clock rate, and the rate per CPU-second (what the machine would give with a free core). */
function rate(label: string, started: number, extra = ''): void {
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    `${label}: ${count} messages${extra} in ${seconds.toFixed(2)} s = ${Math.round(count / seconds)} messages/s (${Math.round(count / cpuSeconds)} per CPU-second)`,
  );
}

// 1. What `persona ingest` does before storing: parse, merge, clean targets and their context, build samples.
cpuAtStart = process.cpuUsage();
let started = performance.now();
let drafts = 0;
for await (const result of ingestPaths(persona, [file], { root: dir })) drafts += result.drafts.length;
rate('ingestPaths (parse + build samples)', started, ` → ${drafts} samples`);

// 2. The worst case for cleaning: every message cleaned, as if every speaker were the persona.
const rules = cleanRules(persona, { users: { '1000000000000000003': 'User 3' } });
cpuAtStart = process.cpuUsage();
started = performance.now();
let redacted = 0;
for (const message of messages) {
  const result = cleanText(message.content, rules);
  if ('text' in result && result.text !== message.content) redacted++;
}
rate('cleanText on every message', started, ` (${redacted} changed)`);
rmSync(dir, { recursive: true, force: true });
