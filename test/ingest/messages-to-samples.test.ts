import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMonologueSamples, buildSamples, draftFromChat, type BuildStats, type Message } from '../../src/ingest/index.ts';
import { adaPersona } from './helpers.ts';

const source = { type: 'discord', ref: 'discord:900/901' } as const;
const MINUTE = 60_000;

let clock = 0;
function msg(speaker: string, text: string, minutesLater = 1, extra: Partial<Message> = {}): Message {
  clock += minutesLater * MINUTE;
  return { speaker, text, timestamp: clock, position: String(clock / MINUTE), ...extra };
}

test('consecutive messages of one speaker within the merge gap become one turn', () => {
  clock = 0;
  const conversation = [msg('Charles', 'Are you there?'), msg('Ada', 'Yes.'), msg('Ada', 'Working on the notes.'), msg('Ada', 'Much later thought.', 10)];
  const drafts = buildSamples(adaPersona({ merge_gap_seconds: 120 }), conversation, source);
  assert.deepEqual(
    drafts.map((d) => d.text),
    ['Yes.\nWorking on the notes.', 'Much later thought.'],
  );
  assert.equal(drafts[0].source.position, '2', 'a merged turn keeps the position of its first message');
  assert.deepEqual(drafts[1].context, [
    { speaker: 'Charles', text: 'Are you there?' },
    { speaker: 'Ada', text: 'Yes.\nWorking on the notes.', isPersona: true },
  ]);
});

test('only the persona voices become targets, matched by name (any case) or platform id', () => {
  clock = 0;
  const conversation = [
    msg('Charles', 'Hello all.'),
    msg('ADA LOVELACE', 'Hello Charles.', 5),
    msg('Mary', 'Hi!', 5),
    msg('someone', 'Ada here, from my phone.', 5, { speakerId: '111' }),
    msg('Ada', 'I am a bot pretending.', 5, { isBot: true }),
  ];
  const drafts = buildSamples(adaPersona(), conversation, source);
  assert.deepEqual(
    drafts.map((d) => [d.speaker, d.text]),
    [
      ['ADA LOVELACE', 'Hello Charles.'],
      ['someone', 'Ada here, from my phone.'],
    ],
  );
  assert.ok(drafts.every((d) => d.kind === 'conversation' && d.persona === 'ada'));
});

test('--speaker overrides the voices', () => {
  clock = 0;
  const conversation = [msg('Charles', 'Hello all.'), msg('Ada', 'Hello Charles.'), msg('Mary', 'Hi!')];
  const drafts = buildSamples(adaPersona(), conversation, source, { speaker: 'mary' });
  assert.deepEqual(
    drafts.map((d) => d.text),
    ['Hi!'],
  );
  assert.deepEqual(
    drafts[0].context.map((t) => t.speaker),
    ['Charles', 'Ada'],
  );
});

test('context keeps up to context_turns earlier turns and stops at a long silence', () => {
  clock = 0;
  const conversation = [
    msg('Charles', 'Yesterday we spoke.'),
    msg('Mary', 'One.', 120), // two hours later: the silence cuts the window here
    msg('Charles', 'Two.'),
    msg('Mary', 'Three.'),
    msg('Charles', 'Four.'),
    msg('Ada', 'Answer.'),
  ];
  const three = buildSamples(adaPersona({ context_turns: 3, silence_gap_seconds: 3600 }), conversation, source);
  assert.deepEqual(
    three[0].context.map((t) => t.text),
    ['Two.', 'Three.', 'Four.'],
  );
  const all = buildSamples(adaPersona({ context_turns: 10, silence_gap_seconds: 3600 }), conversation, source);
  assert.deepEqual(
    all[0].context.map((t) => `${t.speaker}: ${t.text}`),
    ['Mary: One.', 'Charles: Two.', 'Mary: Three.', 'Charles: Four.'],
  );
  const opening = buildSamples(adaPersona(), [msg('Ada', 'Good morning.', 600)], source);
  assert.equal(opening[0].kind, 'monologue', 'a turn after a silence has no context: a style sample');
});

test('targets are cleaned; blocked or too short targets are dropped and counted; blocked context ends the window', () => {
  clock = 0;
  const conversation = [
    msg('Charles', 'The password plan is in the drawer.'),
    msg('Mary', 'Mail me at mary@example.com.'),
    msg('Ada', 'k'),
    msg('Charles', 'Fine.'),
    msg('Ada', 'Call me on 555-123-4567.'),
    msg('Ada', 'The password plan again.', 30),
  ];
  const stats: BuildStats = { dropped: {}, redactions: {} };
  const persona = adaPersona({ block_list: ['password plan'], context_turns: 10 });
  const drafts = buildSamples(persona, conversation, source, { stats });
  assert.deepEqual(
    drafts.map((d) => d.text),
    ['Call me on [phone].'],
  );
  assert.deepEqual(
    drafts[0].context.map((t) => t.text),
    ['Mail me at [email].', 'Fine.'],
  );
  assert.deepEqual(drafts[0].redactions, { phone: 1, email: 1 });
  assert.deepEqual(stats.dropped, { too_short: 1, blocked: 1 });
  assert.deepEqual(stats.redactions, { phone: 1, email: 1 });
});

test('imported assistant turns are the persona, under the persona name', () => {
  const conversation: Message[] = [
    { speaker: 'User', text: 'Can it compose music?', position: 'L1:0' },
    { speaker: 'Assistant', text: 'It might.', position: 'L1:1', isPersona: true },
  ];
  const [draft] = buildSamples(adaPersona(), conversation, { type: 'import', ref: 'data/set.jsonl' });
  assert.equal(draft.speaker, 'Ada Lovelace');
  assert.deepEqual(draft.context, [{ speaker: 'User', text: 'Can it compose music?' }]);
});

test('monologue passages become paragraph-sized samples split on sentence boundaries', () => {
  const sentence = 'The engine weaves algebraic patterns just as the loom weaves flowers and leaves. ';
  const long = sentence.repeat(40).trim(); // ~3,300 characters
  const passages: Message[] = [
    { speaker: '', text: 'A short paragraph.', position: 'L1' },
    { speaker: '', text: long, position: 'L3' },
  ];
  const drafts = buildMonologueSamples(adaPersona(), passages, { type: 'file', ref: 'transcripts/ada/talk.txt' });
  assert.equal(drafts[0].text, 'A short paragraph.');
  const parts = drafts.slice(1);
  assert.ok(parts.length >= 3 && parts.length <= 4, `${parts.length} parts`);
  for (const part of parts) {
    assert.ok(part.text.length >= 600 && part.text.length <= 1300, `part of ${part.text.length} characters`);
    assert.ok(part.text.endsWith('leaves.'), 'split on a sentence boundary');
  }
  assert.equal(parts.map((p) => p.text).join(' '), long);
  assert.deepEqual(
    parts.map((p) => p.source.position),
    parts.map((_, k) => `L3.${k}`),
  );
  assert.ok(drafts.every((d) => d.kind === 'monologue' && d.speaker === 'Ada Lovelace' && d.context.length === 0));
});

test('draftFromChat: a live message of the persona with its context, or a reason', () => {
  const persona = adaPersona();
  const live = { type: 'discord', ref: 'discord:900/901', position: '5003', url: 'https://discord.com/channels/900/901/5003' } as const;
  const context: Message[] = [
    { speaker: 'Charles', speakerId: '222', text: 'Ask <@111>, she knows.', timestamp: 1000, position: '5001' },
    { speaker: 'Charles', speakerId: '222', text: 'Really.', timestamp: 2000, position: '5002' },
  ];
  const target: Message = { speaker: 'Ada Lovelace', speakerId: '111', text: 'I do: mail ada@example.com.', timestamp: 3000, position: '5003' };
  const draft = draftFromChat(persona, target, context, live, { users: { '111': 'Ada Lovelace' } });
  assert.ok(!('dropped' in draft));
  assert.equal(draft.text, 'I do: mail [email].');
  assert.deepEqual(draft.context, [{ speaker: 'Charles', text: 'Ask @Ada Lovelace, she knows.\nReally.' }]);
  assert.deepEqual(draft.redactions, { email: 1, mention: 1 });
  assert.deepEqual(draft.source, live);
  const alone = draftFromChat(persona, target, [], live);
  assert.ok('id' in alone && alone.id === draft.id, 'the id depends on the source only');

  const exported = buildSamples(persona, [...context, target], { type: 'discord', ref: 'discord:900/901' });
  assert.equal(exported[0].id, draft.id, 'an export of the same message gets the id of its live capture');

  assert.deepEqual(draftFromChat(persona, { ...target, speakerId: '222', speaker: 'Charles' }, [], live), { dropped: 'not_a_voice' });
  assert.deepEqual(draftFromChat(persona, { ...target, isBot: true }, [], live), { dropped: 'bot' });
  assert.deepEqual(draftFromChat(adaPersona({ block_list: ['mail'] }), target, [], live), { dropped: 'blocked' });
});
