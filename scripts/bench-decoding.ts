/**
 * Decoding benchmark: do replies loop, and which sampling settings keep a persona's voice?
 * Each example persona (fdr, jfk, reagan) answers held-out prompts built from its validation
 * windows (scripts/lib/sotu-personas.ts): the window's first sentence as the persona's own
 * earlier turn, then "Interviewer: Please, go on."; the rest of the window is the reference.
 * Every decoding setting answers the same prompts with the same seeds, through the engine
 * the bots use (InferenceEngine.replyAs: prompt renderer, logits processors, stop strings).
 * Models: the persona models bench:fidelity wrote (scratch/bench-fidelity/models.json) when
 * present, else the bundled base.
 *
 * Metrics (words, lower-cased): distinct-1/2 (distinct n-grams ÷ all, over all replies),
 * repeated 4-grams (4-grams that already occurred in the same reply ÷ all), looping replies
 * (a reply with a 4-gram seen three times or more), words per reply, length ratio and
 * vocabulary overlap against the held-out reference (src/evaluation/style.ts), other-speaker
 * cuts, and decode speed.
 *
 *   npm run bench:decoding [-- --prompts 6] [--max-new-tokens 60] [--record]
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { repeatedNgrams, styleMetrics, words } from '../src/evaluation/style.js';
import { InferenceEngine } from '../src/inference/engine.js';
import type { GenerationParams } from '../src/inference/generation-params.js';
import { personaSchema } from '../src/personas/schema.js';
import { writeBenchmarkSection } from './lib/benchmarks-doc.js';
import { sotuPersona } from './lib/sotu-personas.js';

const { values } = parseArgs({
  options: {
    personas: { type: 'string', default: 'fdr,jfk,reagan' },
    prompts: { type: 'string', default: '6' },
    'max-new-tokens': { type: 'string', default: '60' },
    models: { type: 'string', default: 'scratch/bench-fidelity/models.json' },
    record: { type: 'boolean', default: false },
  },
});

const { bad_words: _bad, stop: _stop, max_new_tokens: _max, ...PERSONA_DEFAULTS } = personaSchema.parse({ id: 'defaults', name: 'Defaults' }).sampling;
const OFF = { repetition_penalty: 1, repetition_penalty_window: 0, no_repeat_ngram_size: 0, dry_multiplier: 0, top_k: 0, top_p: 1, min_p: 0 };
const SETTINGS: Record<string, Partial<GenerationParams>> = {
  'greedy, no penalty': { ...OFF, temperature: 0 },
  'greedy, repetition_penalty 1.1 (old greedy)': { ...OFF, temperature: 0, repetition_penalty: 1.1 },
  'greedy, no_repeat_ngram_size 3': { ...OFF, temperature: 0, no_repeat_ngram_size: 3 },
  'greedy, DRY 0.8': { ...OFF, temperature: 0, dry_multiplier: 0.8 },
  'greedy, DRY 0.8 + rep 1.1 window 64': { ...OFF, temperature: 0, dry_multiplier: 0.8, repetition_penalty: 1.1, repetition_penalty_window: 64 },
  'T 0.8, top_k 40, top_p 0.95, rep 1.1 (old default)': { ...OFF, temperature: 0.8, top_k: 40, top_p: 0.95, repetition_penalty: 1.1 },
  'T 0.8, min_p 0.05, rep 1.1 window 64': { ...OFF, temperature: 0.8, min_p: 0.05, repetition_penalty: 1.1, repetition_penalty_window: 64 },
  'T 0.8, min_p 0.05, DRY 0.8': { ...OFF, temperature: 0.8, min_p: 0.05, dry_multiplier: 0.8 },
  'T 0.8, min_p 0.05, DRY 0.8 + rep 1.1 window 64': {
    ...OFF,
    temperature: 0.8,
    min_p: 0.05,
    dry_multiplier: 0.8,
    repetition_penalty: 1.1,
    repetition_penalty_window: 64,
  },
  'T 0.7, min_p 0.1, DRY 0.8 + rep 1.1 window 64': {
    ...OFF,
    temperature: 0.7,
    min_p: 0.1,
    dry_multiplier: 0.8,
    repetition_penalty: 1.1,
    repetition_penalty_window: 64,
  },
  'persona file defaults, greedy': { ...PERSONA_DEFAULTS, temperature: 0 },
  'persona file defaults': PERSONA_DEFAULTS,
};

const config = loadConfig({ root: process.cwd(), env: { LOG_LEVEL: 'silent' } });
const trained: Record<string, string> = existsSync(values.models) ? JSON.parse(readFileSync(values.models, 'utf8')) : {};
const personas = values.personas.split(',').map((id) => sotuPersona(id));
const engine = new InferenceEngine(config, {
  resolveCurrent: (p) => (trained[p.id] ? { version: 'bench', dir: trained[p.id] } : { version: 'base', dir: config.BASE_MODEL_DIR }),
});
const promptCount = Number(values.prompts);
const maxNewTokens = Number(values['max-new-tokens']);
const load = loadavg()[0];
const started = new Date();

interface Case {
  persona: (typeof personas)[number]['persona'];
  turns: { speaker: string; text: string }[];
  reference: string;
}
const cases: Case[] = personas.flatMap(({ persona, dataset }) =>
  dataset.validation.slice(0, promptCount).map((window) => {
    const [opening, ...rest] = window.text.match(/[^.!?]+[.!?]+\s*/g) ?? [window.text];
    return {
      persona,
      turns: [
        { speaker: persona.name, text: opening.trim() },
        { speaker: 'Interviewer', text: 'Please, go on.' },
      ],
      reference: rest.join('').trim() || window.text,
    };
  }),
);

const table: string[] = [];
for (const [label, overrides] of Object.entries(SETTINGS)) {
  const replies: { text: string; cutAtOtherSpeaker: boolean }[] = [];
  let tokens = 0;
  const t0 = performance.now();
  for (const [i, c] of cases.entries()) {
    const reply = await engine.replyAs(c.persona, c.turns, { overrides: { ...overrides, max_new_tokens: maxNewTokens, seed: 1000 + i } });
    replies.push({ text: reply.text, cutAtOtherSpeaker: reply.stoppedBy === 'stop_string' });
    tokens += reply.tokens.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  const ws = replies.map((r) => words(r.text));
  const ngrams = (n: number) => ws.flatMap((w) => w.slice(n - 1).map((_, i) => w.slice(i, i + n).join(' ')));
  const distinct = (n: number) => new Set(ngrams(n)).size / Math.max(1, ngrams(n).length);
  const loops = ws.filter((w) => {
    const counts = new Map<string, number>();
    for (let i = 0; i + 4 <= w.length; i++) counts.set(w.slice(i, i + 4).join(' '), (counts.get(w.slice(i, i + 4).join(' ')) ?? 0) + 1);
    return [...counts.values()].some((n) => n >= 3);
  }).length;
  const repeated = ws
    .map((w) => repeatedNgrams(w, 4))
    .reduce((a, g) => ({ repeated: a.repeated + g.repeated, total: a.total + g.total }), { repeated: 0, total: 0 });
  const style = styleMetrics(
    replies,
    cases.map((c) => c.reference),
  );
  const meanWords = ws.reduce((s, w) => s + w.length, 0) / ws.length;
  table.push(
    `| ${label} | ${distinct(1).toFixed(3)} | ${distinct(2).toFixed(3)} | ${(repeated.repeated / Math.max(1, repeated.total)).toFixed(3)} | ${loops}/${replies.length} | ${meanWords.toFixed(1)} | ${style.length_ratio.toFixed(2)} | ${style.vocabulary_overlap.toFixed(3)} | ${style.other_speaker_rate.toFixed(2)} | ${(tokens / seconds).toFixed(0)} |`,
  );
  console.log(table.at(-1));
  console.log(`    e.g. ${cases[0].persona.id}: ${JSON.stringify(replies[0].text.slice(0, 160))}`);
}
await engine.dispose();

const modelsLine =
  Object.keys(trained).length > 0
    ? `persona models from bench:fidelity (${values.models}: ${Object.keys(trained).join(', ')})`
    : 'the bundled base model (no bench:fidelity persona models found)';
const lines = [
  '## bench:decoding',
  '',
  `\`npm run bench:decoding -- --prompts ${promptCount} --max-new-tokens ${maxNewTokens}\` (scripts/bench-decoding.ts): ${personas.map((p) => p.persona.id).join(', ')} answer ${promptCount} held-out prompts each (a validation window's first sentence as their own turn, then "Interviewer: Please, go on."), ${maxNewTokens} new tokens at most, same seeds for every setting, through InferenceEngine.replyAs, on ${modelsLine}. Higher distinct-n and overlap, lower repeated 4-grams and looping replies (a 4-gram three times or more), length ratio closer to 1 are better.`,
  '',
  `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on the shared 2-core development machine (load average ${load.toFixed(1)} at start; tokens/s are only comparable within the run).`,
  '',
  '| setting | distinct-1 | distinct-2 | repeated 4-grams | looping replies | words/reply | length ratio | vocabulary overlap | other-speaker cuts | tokens/s |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...table,
];
if (values.record) writeBenchmarkSection('decoding', lines);
