/**
 * `npm run bench:ingest`: 100,000 synthetic chat messages (one DiscordChatExporter JSON
 * file) parsed, cleaned, built into samples and stored in a fresh SQLite store through the
 * real code path (`runIngest`, as `persona ingest` runs it). Two cases: a channel of 10
 * speakers, one of them the persona; and a two-person chat where every other message is the
 * persona's, so that half the messages become stored samples with context (the store's
 * worst case). Prints messages/s by wall clock and per CPU-second (the
 * development machines are shared, so both are reported), then records the figures in
 * docs/benchmarks.md. Target: ≥ 20,000 messages/s on 2 cores.
 *
 *   npm run bench:ingest                    100,000 messages
 *   npm run bench:ingest -- 20000           another count
 *   npm run bench:ingest -- --no-write      do not update docs/benchmarks.md
 */
import { writeBenchmarkSection } from './lib/benchmarks-doc.js';
import { Rng } from '../src/util/random.js';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIngest } from '../src/curation/index.js';
import { parsePersona } from '../src/personas/load.js';
import { openStore } from '../src/store/index.js';

const args = process.argv.slice(2);
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
const TARGET = 20_000;

const WORDS = 'the a we our nation people will must shall freedom work peace today time great new hope plan world help river city morning letter friend'.split(
  ' ',
);
const EXTRAS = [
  ' mail me at ada@example.com',
  ' call +1 555 123 4567',
  ' hey <@1000000000000000003>',
  ' see https://example.com/x?y=1',
  '',
  '',
  '',
  '',
  '',
  '',
];

/** Deterministic, so every run measures the same messages. */
function generator(seed: number): (n: number) => number {
  const rng = new Rng(seed);
  return (n) => rng.int(n);
}

function discordExport(n: number, speakers: number): string {
  const random = generator(42);
  const messages = Array.from({ length: n }, (_, i) => {
    const author = speakers === 2 ? i % 2 : random(speakers);
    const text = Array.from({ length: 4 + random(20) }, () => WORDS[random(WORDS.length)]).join(' ') + EXTRAS[random(EXTRAS.length)];
    return {
      id: String(1_000_000_000_000_000_000n + BigInt(i)),
      type: 'Default',
      timestamp: new Date(1_700_000_000_000 + i * 30_000).toISOString(),
      content: text,
      author: {
        id: String(1_000_000_000_000_000_000n + BigInt(author)),
        name: `user${author}`,
        nickname: author === 0 ? 'Ada' : `User ${author}`,
        isBot: false,
      },
    };
  });
  return JSON.stringify({ guild: { id: '1', name: 'bench' }, channel: { id: '2', name: 'general' }, messages });
}

interface Figures {
  speakers: number;
  messages: number;
  samplesStored: number;
  duplicates: number;
  redactions: number;
  seconds: number;
  messagesPerSecond: number;
  messagesPerCpuSecond: number;
  storeMB: number;
}

async function runCase(speakers: number): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  try {
    writeFileSync(join(dir, 'channel.json'), discordExport(count, speakers));
    const persona = parsePersona('id: ada\nname: Ada\nvoices:\n  discord_ids: ["1000000000000000000"]\n', 'ada.yaml');
    const storePath = join(dir, 'persona.sqlite');
    const store = await openStore(`sqlite://${storePath}`);
    const cpuStart = process.cpuUsage();
    const started = performance.now();
    const summary = await runIngest(store, persona, ['channel.json'], { root: dir });
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    await store.close();

    const wallRate = Math.round(count / seconds);
    const cpuRate = Math.round(count / cpuSeconds);
    const redactions = Object.values(summary.redactions).reduce((a, b) => a + b, 0);
    const figures = {
      speakers,
      messages: count,
      samplesStored: summary.added,
      duplicates: summary.duplicates,
      redactions,
      seconds: Number(seconds.toFixed(2)),
      messagesPerSecond: wallRate,
      messagesPerCpuSecond: cpuRate,
      storeMB: Number((statSync(storePath).size / 1e6).toFixed(1)),
    };
    console.log(JSON.stringify(figures));
    console.log(
      `${speakers} speakers: ${count} messages → ${summary.added} samples in ${seconds.toFixed(2)} s: ${wallRate} messages/s (${cpuRate} per CPU-second; target ${TARGET})`,
    );
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const load = loadavg()[0];
const results = [await runCase(10), await runCase(2)];
if (!args.includes('--no-write')) writeDocs(results);

function writeDocs(results: Figures[]): void {
  const [f] = results;
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  writeBenchmarkSection('ingest', [
    '## bench:ingest',
    '',
    `\`npm run bench:ingest\` (scripts/bench-ingest.ts): ${f.messages.toLocaleString('en')} synthetic DiscordChatExporter messages (e-mails, phones, mentions and URLs sprinkled in) parsed, cleaned, built into samples and stored in a fresh SQLite store through \`runIngest\`, as \`persona ingest\` runs it. Case "10 speakers": one of them is the persona; case "2 speakers": every other message is the persona's, so half the messages become stored samples with context. Target: ≥ ${TARGET.toLocaleString('en')} messages/s on 2 cores.`,
    '',
    `Measured ${when} UTC with node ${process.version} on ${cpus().length} cores (${cpus()[0].model.trim()}), load average ${load.toFixed(1)} at start — the machine is shared with other work, so the rate per CPU-second is the figure to compare.`,
    '',
    '| case | messages | samples stored | duplicates | redactions | seconds | messages/s | messages per CPU-second | store MB |',
    '|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.speakers} speakers | ${r.messages} | ${r.samplesStored} | ${r.duplicates} | ${r.redactions} | ${r.seconds} | ${r.messagesPerSecond} | ${r.messagesPerCpuSecond} | ${r.storeMB} |`,
    ),
    '',
    ...results.map(
      (r) =>
        `- ${r.speakers} speakers: target ${r.messagesPerSecond >= TARGET ? 'met' : 'missed'} by wall clock, ${r.messagesPerCpuSecond >= TARGET ? 'met' : 'missed'} per CPU-second (ingest is one thread: on an idle machine wall clock ≈ CPU time).`,
    ),
  ]);
}
