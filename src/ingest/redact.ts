/**
 * Redaction of personal data and secrets: e-mail addresses (internationalised too), phone
 * numbers (with or without separators), payment cards (Luhn-checked), IBANs (mod-97
 * checked), IPv4/IPv6 addresses, API keys / tokens (known prefixes, JWTs, AWS secret keys,
 * long high-entropy strings) and the phrases in redact-phrases.ts (passwords, dates of
 * birth, street addresses). Hand-written rather than a library because it sits on the
 * ingest hot path (≥ 60,000 messages/s): every pattern is compiled once and guarded by a
 * cheap character test, so a message without digits never meets the number patterns.
 *
 * The text must already be normalised (cleanText strips invisible characters and folds
 * line endings first), or a zero-width space splits a key in two and both halves pass.
 * Every quantifier over a character class is bounded: V8 overflows its stack on a
 * `{20,}` run of millions of characters (a 20 MB line without spaces).
 */
import { isIPv6 } from 'node:net';
import { bump, type Counts } from './redact-counts.js';
import { redactPhrases } from './redact-phrases.js';
import { HAS_AT, HAS_COLON, HAS_DIGIT, HAS_DOT, LONG_RUN, scanText } from './scan.js';

export { bump, type Counts } from './redact-counts.js';

/** Keys with a known shape, searched only inside long runs of token characters. */
const KNOWN_SECRET = new RegExp(
  String.raw`\b(?:sk-(?:proj-|ant-|live-)?[A-Za-z0-9_-]{16,}` +
    String.raw`|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}` +
    String.raw`|xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}` +
    String.raw`|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_-]{20,}` +
    String.raw`|(?:AKIA|ASIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}|hf_[A-Za-z0-9]{30,}|npm_[A-Za-z0-9]{36}` +
    String.raw`|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}` +
    String.raw`|[MN][A-Za-z\d_-]{23,27}\.[A-Za-z\d_-]{6,7}\.[A-Za-z\d_-]{27,40})`,
  'g',
);
/** Runs of token characters long enough to hold a key (longer runs are taken in slices). */
const TOKEN_RUN = /[A-Za-z0-9_+=./-]{20,4096}/g;
/** The parts of a run that the entropy test looks at (dots separate JWT parts, domains). */
const LONG_PART = /[A-Za-z0-9_+=/-]{24,4096}/g;
/** AWS secret access keys: 40 characters of base64 (checked by looksAwsSecret). */
const AWS_SECRET = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/g;
const PRIVATE_KEY_BEGIN = /-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----/g;
const PRIVATE_KEY_END = /-----END [A-Z ]{0,40}PRIVATE KEY-----/g;
const WEBHOOK =
  /https:\/\/(?:hooks\.slack\.com\/services\/[A-Za-z0-9/_-]{1,512}|(?:canary\.|ptb\.)?discord(?:app)?\.com\/api\/webhooks\/\d{1,30}\/[\w-]{1,512})/g;
// Bounded like RFC 5321 (64-character local part, 63-character labels) so a long blob stays
// linear; letters and digits of any script (RFC 6531: `mära@exämple.de`).
const EMAIL = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]{1,64}@[\p{L}\p{N}-]{1,63}(?:\.[\p{L}\p{N}-]{1,63}){0,8}\.\p{L}{2,24}(?![\p{L}\p{N}_])/gu;
/** ISO 13616: country, check digits, 11–30 letters and digits, grouped by four or not (mod-97 checked). */
const IBAN = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])/g;
const IPV4 = /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\d|\.\d)/g;
const IPV6_CANDIDATE = /(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?(?![\w:])/g;
const IPV6_HINT = /::|[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:/;
const CARD = /(?<![\d+-])\d(?:[ -]?\d){12,18}(?!\d)/g;
// International numbers (`+49 30 901820`, `+4915112345678`) take groups of any size; local
// ones need separators (`415-555-0134`), except a bare North American number (BARE_PHONE).
const PHONE = /(?<![\w+])(?:\+\d{1,3}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,6})){1,6}|(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]\d{2,4}){1,5})(?!\w)/g;
/** `4155550134`, `14155550134`: area codes start at 2, so Unix times (1…) and ids stay. */
const BARE_PHONE = /(?<![\w.,+-])1?[2-9]\d{9}(?!\w|[.,]\d)/g;
const DATE_LIKE = /^(?:\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$/;

/** Luhn checksum: true for numbers that can be payment cards. */
function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** ISO 7064 mod 97-10, the IBAN check: true for the number of a real account. */
function ibanValid(compact: string): boolean {
  if (compact.length < 15 || compact.length > 34) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let rest = 0;
  for (const ch of rearranged) {
    const c = ch.charCodeAt(0);
    const value = c <= 57 ? c - 48 : c - 55; // A = 10 … Z = 35
    rest = (value > 9 ? rest * 100 + value : rest * 10 + value) % 97;
  }
  return rest === 1;
}

/** Shannon entropy in bits per character. */
function entropy(text: string): number {
  const freq = new Map<string, number>();
  for (const ch of text) freq.set(ch, (freq.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of freq.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** 0 lower-case, 1 upper-case, 2 digit, 3 anything else. */
function charClass(c: number): number {
  if (c >= 97 && c <= 122) return 0;
  if (c >= 65 && c <= 90) return 1;
  return c >= 48 && c <= 57 ? 2 : 3;
}

/**
 * A long token that looks random (keys, session ids): it has digits, its characters are
 * varied, and it switches often between lower case, upper case and digits — which
 * identifiers made of words (`Mississippi_riverboat_1850`) do not.
 */
function looksSecret(token: string): boolean {
  let digits = 0;
  let switches = 0;
  let last = -1;
  for (let i = 0; i < token.length; i++) {
    const cls = charClass(token.charCodeAt(i));
    if (cls === 2) digits++;
    if (cls === 3) continue;
    if (last !== -1 && cls !== last) switches++;
    last = cls;
  }
  return digits >= 2 && switches >= Math.max(4, token.length / 6) && entropy(token) >= 3.5;
}

/** A 40-character base64 run with both cases, a `/` or `+`, and no word-like regularity. */
function looksAwsSecret(token: string): boolean {
  return /[/+]/.test(token) && /[a-z]/.test(token) && /[A-Z]/.test(token) && entropy(token) >= 4;
}

function looksPhone(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '').length;
  if (digits < 7 || digits > 15) return false;
  if (candidate.startsWith('+') || candidate.includes('(')) return true;
  if (DATE_LIKE.test(candidate)) return false;
  const separators = candidate.match(/[ .-]/g) ?? [];
  if (separators.some((s) => s !== separators[0])) return false; // "12.50 13.75" is two prices
  const groups = candidate.split(/[ .-]/);
  // 1 000 000 / 123.456.789: thousands separators, not a phone number.
  return !groups.slice(1).every((g) => g.length === 3);
}

// The replacement callbacks are made once: `found` collects the counts of the current call
// (redact is synchronous, so one module-level record is safe) without a closure per message.
let found: Counts | undefined;
const replaceWith = (kind: string, token: string) => () => {
  found = bump(found, kind);
  return token;
};
const toSecret = replaceWith('secret', '[secret]');
const toEmail = replaceWith('email', '[email]');
const toIp = replaceWith('ip', '[ip]');
const toCard = replaceWith('card', '[card]');
const toPhone = replaceWith('phone', '[phone]');
const ifSecret = (part: string) => (looksSecret(part) ? toSecret() : part);
const ifAwsSecret = (part: string) => (looksAwsSecret(part) ? toSecret() : part);
const toIban = replaceWith('iban', '[iban]');
const ifIban = (cand: string) => (ibanValid(cand.replace(/ /g, '')) ? toIban() : cand);
const ifIpv6 = (cand: string) => (cand.length >= 6 && isIPv6(cand.split('%')[0]) ? toIp() : cand);
const ifPhone = (cand: string) => (looksPhone(cand) ? toPhone() : cand);
const ifCard = (cand: string) => {
  const digits = cand.replace(/\D/g, '');
  // Card numbers start with 2–6 (Mastercard, Amex/Diners/JCB, Visa, Mastercard, Discover).
  const issuer = digits.charCodeAt(0) >= 50 && digits.charCodeAt(0) <= 54;
  return issuer && digits.length >= 13 && digits.length <= 19 && luhnValid(digits) ? toCard() : cand;
};
const inTokenRun = (run: string) => {
  let out = run.replace(KNOWN_SECRET, toSecret);
  if (out.length >= 40) out = out.replace(AWS_SECRET, ifAwsSecret);
  return out.length >= 24 ? out.replace(LONG_PART, ifSecret) : out;
};

/** Private key blocks, to their END line or the end of the text (found by index: no regex over the body). */
function redactPrivateKeys(text: string): string {
  let out = '';
  let at = 0;
  PRIVATE_KEY_BEGIN.lastIndex = 0;
  for (let begin = PRIVATE_KEY_BEGIN.exec(text); begin; begin = PRIVATE_KEY_BEGIN.exec(text)) {
    PRIVATE_KEY_END.lastIndex = begin.index + begin[0].length;
    const end = PRIVATE_KEY_END.exec(text);
    out += `${text.slice(at, begin.index)}${toSecret()}`;
    at = end ? end.index + end[0].length : text.length;
    PRIVATE_KEY_BEGIN.lastIndex = at;
  }
  return at === 0 ? text : out + text.slice(at);
}

/**
 * Redacts secrets, e-mails, IP addresses, cards, IBANs, phones and the phrases of
 * redact-phrases.ts; returns the text and what was replaced. `flags` (from scanText) rules
 * out patterns that cannot match.
 */
export function redact(text: string, counts: Counts | undefined, flags = scanText(text)): { text: string; counts: Counts | undefined } {
  found = counts;
  let out = text;
  if (flags & LONG_RUN) {
    out = out.replace(TOKEN_RUN, inTokenRun);
    if (out.includes('-----BEGIN')) out = redactPrivateKeys(out);
    if (out.includes('https://')) out = out.replace(WEBHOOK, toSecret);
  }
  if (flags & HAS_AT) out = out.replace(EMAIL, toEmail);
  if (flags & HAS_COLON && IPV6_HINT.test(out)) out = out.replace(IPV6_CANDIDATE, ifIpv6);
  const phrases = redactPhrases(out, flags & HAS_DIGIT, found);
  out = phrases.text;
  found = phrases.counts;
  if (flags & HAS_DIGIT) {
    if (flags & HAS_DOT) out = out.replace(IPV4, toIp);
    out = out.replace(IBAN, ifIban).replace(CARD, ifCard).replace(PHONE, ifPhone).replace(BARE_PHONE, toPhone);
  }
  const result = { text: out, counts: found };
  found = undefined;
  return result;
}
