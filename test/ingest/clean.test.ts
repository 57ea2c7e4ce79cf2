import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanRules, cleanText, dedupeKey } from '../../src/ingest/index.ts';
import { adaPersona } from './helpers.ts';

const rules = cleanRules(adaPersona(), { users: { '111': 'Ada Lovelace', U0CB: 'Charles Babbage' }, channels: { '901': 'general', '77': 'Curators' } });

function clean(text: string) {
  const result = cleanText(text, rules);
  assert.ok('text' in result, `"${text}" was dropped: ${JSON.stringify(result)}`);
  return result;
}

test('NFKC folds compatibility characters and whitespace is tidied', () => {
  assert.equal(clean('ﬁne  ＡＢＣ\u200b  ①\r\n\r\n\r\n\r\nnext ').text, 'fine ABC 1\n\nnext');
});

test('e-mail addresses, phone numbers and IP addresses are redacted and counted', () => {
  const { text, redactions } = clean('Mail ada.l+notes@example.co.uk or call +44 20 7946 0958 or (555) 123-4567 from 192.168.0.12 or 2001:db8::8a2e:370:7334.');
  assert.equal(text, 'Mail [email] or call [phone] or [phone] from [ip] or [ip].');
  assert.deepEqual(redactions, { email: 1, phone: 2, ip: 2 });
});

test('ordinary numbers, dates, prices and times survive the phone and IP rules', () => {
  const text = 'On 2024-01-31 at 10:30:15 it cost 12.50 13.75, about 1 000 000 people, version 1.2, room 42.';
  assert.equal(clean(text).text, text);
});

test('payment cards are redacted only when the Luhn checksum holds', () => {
  const { text, redactions } = clean('Card 4111 1111 1111 1111 and 5500-0000-0000-0004, order 4111111111111112, user 1000000000000000009.');
  assert.equal(text, 'Card [card] and [card], order 4111111111111112, user 1000000000000000009.');
  assert.deepEqual(redactions, { card: 2 });
});

test('API keys and tokens are redacted by prefix, JWT shape and entropy', () => {
  const secrets = [
    'sk-proj-Ab3dEf6hIj9kLm2nOp5q',
    'xoxb-123456789012-abcdefABCDEF',
    'ghp_0123456789abcdefghijABCDEFGHIJ012345',
    'AKIAIOSFODNN7EXAMPLE',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    'q8Zr2LmV7tXw4YpK9sB3nF6hJ1cD5gA0', // no known prefix: caught by entropy
    'wJalrXUtnFEMI/K7MDENG/bPxRfiCY1EXAMPLEKEY', // base64 with slashes
  ];
  for (const secret of secrets) {
    const { text, redactions } = clean(`token: ${secret} ok`);
    assert.equal(text, 'token: [secret] ok', secret);
    assert.deepEqual(redactions, { secret: 1 });
  }
  const words = 'internationalisation_of_everything and Mississippi_riverboat_captain_1850 at github.com/ada/engine/blob/main/notes2024.md';
  assert.equal(clean(words).text, words, 'long low-entropy words stay');
});

test('platform mentions become display names, or placeholders when unknown', () => {
  assert.equal(clean('Hi <@111> and <@!111>, see <#901>; ping <@&77>').text, 'Hi @Ada Lovelace and @Ada Lovelace, see #general; ping @Curators');
  assert.equal(clean('Who is <@999>? Try <#555> or <@&556>').text, 'Who is [user]? Try [channel] or [role]');
  const slack = clean('<@U0CB> <@U0ZZ|zed> in <#C0GEN|general> <!here> <!channel> — <https://example.com|the site> &amp; <https://x.org>');
  assert.equal(slack.text, '@Charles Babbage @zed in #general @here @channel — the site & https://x.org');
  assert.equal(slack.redactions.mention, 5);
  assert.equal(clean('nice <:ada_smile:12345> at <t:1700000000:R>').text, 'nice :ada_smile: at [time]');
});

test('the block list drops the whole sample, matching whole words in any case', () => {
  const blocking = cleanRules(adaPersona({ block_list: ['secret plan', 'Voldemort'] }));
  assert.deepEqual(cleanText('The SECRET  plan is ready', blocking), { dropped: 'blocked' });
  assert.deepEqual(cleanText('voldemort!', blocking), { dropped: 'blocked' });
  assert.ok('text' in cleanText('Voldemorts and secret planning are fine', blocking));
});

test('texts outside min_chars..max_chars, or empty after cleaning, are dropped', () => {
  const limits = cleanRules(adaPersona({ min_chars: 5, max_chars: 20 }));
  assert.deepEqual(cleanText('ok', limits), { dropped: 'too_short' });
  assert.deepEqual(cleanText('x'.repeat(21), limits), { dropped: 'too_long' });
  assert.deepEqual(cleanText(' \u200b \n ', limits), { dropped: 'empty' });
  assert.ok('text' in cleanText('just right', limits));
});

test('dedupeKey matches near-duplicates and separates different texts', () => {
  assert.equal(dedupeKey('Hello, World!!'), dedupeKey('hello   world'));
  assert.equal(dedupeKey('Ｈｅｌｌｏ world.'), dedupeKey('hello world'));
  assert.notEqual(dedupeKey('hello world'), dedupeKey('hello there world'));
  assert.notEqual(dedupeKey('🙂'), dedupeKey('🙃'));
  assert.match(dedupeKey('x'), /^[0-9a-f]{32}$/);
});
