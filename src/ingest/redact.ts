/**
 * Redaction of personal data and secrets: e-mail addresses, phone numbers, payment cards
 * (Luhn-checked), IPv4/IPv6 addresses and API keys / tokens (known prefixes, JWTs, long
 * high-entropy strings). Hand-written rather than a library because it sits on the ingest
 * hot path (≥ 60,000 messages/s): every pattern is compiled once and guarded by a cheap
 * character test, so a message without digits never meets the number patterns.
 */
import { isIPv6 } from 'node:net';
import { HAS_AT, HAS_COLON, HAS_DIGIT, HAS_DOT, LONG_RUN, scanText } from './scan.js';

export type Counts = Record<string, number>;

/** Adds one `kind` to `counts`, creating the record on first use (most texts need none). */
export function bump(counts: Counts | undefined, kind: string, by = 1): Counts {
  const out = counts ?? {};
  out[kind] = (out[kind] ?? 0) + by;
  return out;
}

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
/** Runs of token characters long enough to hold a key; ordinary prose has none. */
const TOKEN_RUN = /[A-Za-z0-9_+=./-]{20,}/g;
/** The parts of a run that the entropy test looks at (dots separate JWT parts, domains). */
const LONG_PART = /[A-Za-z0-9_+=/-]{24,}/g;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;
const WEBHOOK = /https:\/\/(?:hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+|(?:canary\.|ptb\.)?discord(?:app)?\.com\/api\/webhooks\/\d+\/[\w-]+)/g;
// Bounded like RFC 5321 (64-character local part, 63-character labels) so a long blob stays linear.
const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b/g;
const IPV4 = /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\d|\.\d)/g;
const IPV6_CANDIDATE = /(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?(?![\w:])/g;
const IPV6_HINT = /::|[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:/;
const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?!\d)/g;
const PHONE = /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]\d{2,4}){1,5}(?![\w])|\+\d{8,15}(?!\w)/g;
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
const ifIpv6 = (cand: string) => (cand.length >= 6 && isIPv6(cand.split('%')[0]) ? toIp() : cand);
const ifPhone = (cand: string) => (looksPhone(cand) ? toPhone() : cand);
const ifCard = (cand: string) => {
  const digits = cand.replace(/\D/g, '');
  // Card numbers start with 2–6 (Mastercard, Amex/Diners/JCB, Visa, Mastercard, Discover).
  const issuer = digits.charCodeAt(0) >= 50 && digits.charCodeAt(0) <= 54;
  return issuer && digits.length >= 13 && digits.length <= 19 && luhnValid(digits) ? toCard() : cand;
};
const inTokenRun = (run: string) => {
  const out = run.replace(KNOWN_SECRET, toSecret);
  return out.length >= 24 ? out.replace(LONG_PART, ifSecret) : out;
};

/**
 * Redacts secrets, e-mails, IP addresses, cards and phones; returns the text and what was
 * replaced. `flags` (from scanText) rules out patterns that cannot match.
 */
export function redact(text: string, counts: Counts | undefined, flags = scanText(text)): { text: string; counts: Counts | undefined } {
  found = counts;
  let out = text;
  if (flags & LONG_RUN) {
    out = out.replace(TOKEN_RUN, inTokenRun);
    if (out.includes('-----BEGIN')) out = out.replace(PRIVATE_KEY, toSecret);
    if (out.includes('https://')) out = out.replace(WEBHOOK, toSecret);
  }
  if (flags & HAS_AT) out = out.replace(EMAIL, toEmail);
  if (flags & HAS_COLON && IPV6_HINT.test(out)) out = out.replace(IPV6_CANDIDATE, ifIpv6);
  if (flags & HAS_DIGIT) {
    if (flags & HAS_DOT) out = out.replace(IPV4, toIp);
    out = out.replace(CARD, ifCard).replace(PHONE, ifPhone);
  }
  const result = { text: out, counts: found };
  found = undefined;
  return result;
}
