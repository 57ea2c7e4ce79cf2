/**
 * Redaction gaps found by an attack pass (issue #18): invisible characters that split a
 * secret, shapes the redactor did not know, phrases that name a password or a birth date,
 * and a 20 MB line that overflowed the stack.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanRules, cleanText } from '../../src/ingest/index.ts';
import { adaPersona } from './helpers.ts';

const rules = cleanRules(adaPersona({ max_chars: 100_000_000 }));

function clean(text: string): { text: string; redactions: Record<string, number> } {
  const result = cleanText(text, rules);
  assert.ok('text' in result, `"${text}" was dropped: ${JSON.stringify(result)}`);
  return result;
}

test('zero-width, word-joiner, BOM and control characters cannot hide a secret from the redactor', () => {
  const hidden: Array<[string, string]> = [
    ['key sk-abcdef1234567890\u200babcdef1234567890 ok', 'key [secret] ok'],
    ['mail mara.q\u2060@example.com ok', 'mail [email] ok'],
    ['call 415-555\u200b-0134 ok', 'call [phone] ok'],
    ['id AKIA\u200bIOSFODNN7EXAMPLE ok', 'id [secret] ok'],
    ['host 192.168\u200b.1.23 ok', 'host [ip] ok'],
    ['mail mara\ufeff.q@exa\u200cmple.com ok', 'mail [email] ok'],
    ['card 4111\u00851111\x001111\x9f1111 ok', 'card [card] ok'],
  ];
  for (const [input, expected] of hidden) assert.equal(clean(input).text, expected, JSON.stringify(input));
});

test('IBANs, phone numbers without separators, international e-mail and AWS secret keys are redacted', () => {
  const cases: Array<[string, string, string]> = [
    ['pay DE89 3704 0044 0532 0130 00 now', 'pay [iban] now', 'iban'],
    ['pay GB82WEST12345698765432 now', 'pay [iban] now', 'iban'],
    ['ring +49 30 901820 now', 'ring [phone] now', 'phone'],
    ['ring +4915112345678 now', 'ring [phone] now', 'phone'],
    ['ring 4155550134 now', 'ring [phone] now', 'phone'],
    ['ring 14155550134 now', 'ring [phone] now', 'phone'],
    ['write mära@exämple.de now', 'write [email] now', 'email'],
    ['aws wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY now', 'aws [secret] now', 'secret'],
  ];
  for (const [input, expected, kind] of cases) {
    const { text, redactions } = clean(input);
    assert.equal(text, expected, input);
    assert.equal(redactions[kind], 1, `${input}: ${JSON.stringify(redactions)}`);
  }
});

test('passwords given in words are redacted, the label stays', () => {
  assert.equal(clean('My password is hunter2.').text, 'My password is [secret].');
  assert.equal(clean('password: "correct horse battery"').text, 'password: [secret]');
  assert.equal(clean('Passwort: Geheim123 bitte').text, 'Passwort: [secret] bitte');
  assert.equal(clean('aws_secret_access_key = abc/DEF+ghi').text, 'aws_secret_access_key = [secret]');
  assert.equal(clean('the pin is 4821, ok?').text, 'the pin is [secret], ok?');
});

test('dates of birth and street addresses with a house number are redacted; plain dates and numbers stay', () => {
  assert.equal(clean('I was born on 4 March 1990 in Leeds.').text, 'I was born on [dob] in Leeds.');
  assert.equal(clean('DOB: 04/03/1990').text, 'DOB: [dob]');
  assert.equal(clean('Send it to 221B Baker Street, London.').text, 'Send it to [address], London.');
  assert.equal(clean('Ich wohne in der Hauptstraße 5 in Berlin.').text, 'Ich wohne in der [address] in Berlin.');
  const ordinary = 'On 2024-01-31 the 1700000000 Unix time, 12 apples, order 4111111111111112 and 2,500 people.';
  assert.equal(clean(ordinary).text, ordinary);
});

test('a 20 MB line without spaces is cleaned without overflowing the stack', () => {
  for (const line of ['aB3'.repeat(7_000_000), '1-'.repeat(2_500_000), `-----BEGIN RSA PRIVATE KEY-----${'x'.repeat(5_000_000)}`]) {
    const result = cleanText(line, rules);
    assert.ok('text' in result || 'dropped' in result);
  }
  assert.equal(clean(`a -----BEGIN RSA PRIVATE KEY-----\n${'MIIEpAIBAAKCAQEA'.repeat(4)}\n-----END RSA PRIVATE KEY----- b`).text, 'a [secret] b');
});

test('display names are redacted too: in mentions and as speakers', async () => {
  const { cleanSpeaker } = await import('../../src/ingest/clean.ts');
  const named = cleanRules(adaPersona(), { users: { '42': 'Bob (AKIA\u200bIOSFODNN7EXAMPLE)' } });
  const mention = cleanText('Ask <@42> about it', named);
  assert.ok('text' in mention && mention.text === 'Ask @Bob ([secret]) about it', JSON.stringify(mention));
  assert.equal(cleanSpeaker('Mara mara.q\u2060@example.com'), 'Mara [email]');
});
