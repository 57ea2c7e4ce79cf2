/**
 * Redaction by what the words around a value say it is: a password or key given in a
 * sentence (`my password is hunter2`, `password: hunter2`), a date of birth (`born on
 * 4 March 1990`, `DOB: 04/03/1990`) and a street address with a house number (`221B Baker
 * Street`, `Hauptstraße 5`). The label stays, the value becomes a placeholder, so the
 * sentence still reads naturally in the persona's style. A bare date or a street name
 * without a number is not personal data on its own and stays (see the README).
 */
import { bump, type Counts } from './redact-counts.js';

const CREDENTIAL =
  /(\b(?:passwords?|passwort|kennwort|passwd|pwd|passphrase|passcode|pin(?: code)?|(?:aws[ _-]?)?secret(?:[ _-]?access)?[ _-]?key|api[ _-]?key|access[ _-]?token)\s*(?:(?:is|was|=|:)\s*:?\s*))("[^"\n]{1,200}"|'[^'\n]{1,200}'|[^\s"']{1,200}?(?=[.,;!?)]*(?:\s|$)))/giu;
/** Cheap test before the credential pattern: one of its label words. */
const CREDENTIAL_HINT = /pass|pwd|pin|key|token|kennwort/i;

const MONTH = '(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\\.?';
const DATE = `(?:\\d{1,2}[./-]\\d{1,2}[./-]\\d{2,4}|\\d{4}-\\d{1,2}-\\d{1,2}|\\d{1,2}(?:st|nd|rd|th)?\\.? (?:of )?${MONTH},? \\d{4}|${MONTH} \\d{1,2}(?:st|nd|rd|th)?,? \\d{4})`;
const BIRTH_DATE = new RegExp(`(\\b(?:born(?: on)?|date of birth|d\\.?o\\.?b\\.?|birth ?date|birthday(?: is)?|geboren(?: am)?)\\s*:?\\s*)${DATE}`, 'gi');

const STREET_SUFFIX = '(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Boulevard|Blvd|Drive|Dr|Court|Ct|Place|Pl|Way|Terrace|Crescent|Close|Square|Sq)';
const STREET = new RegExp(
  `\\b\\d{1,5}[A-Za-z]? (?:[A-Z][a-z]{1,20} ){1,3}${STREET_SUFFIX}\\b\\.?` +
    '|\\b[A-ZÄÖÜ][a-zäöüß]{1,30}(?:straße|strasse|weg|gasse|allee|platz|ring|damm) \\d{1,4}[a-z]?\\b',
  'g',
);

/** Passwords and keys given in words; with `digits`, also dates of birth and street addresses. */
export function redactPhrases(text: string, digits: number, counts: Counts | undefined): { text: string; counts: Counts | undefined } {
  let c = counts;
  let out = text;
  if (CREDENTIAL_HINT.test(out)) {
    out = out.replace(CREDENTIAL, (_, label: string) => {
      c = bump(c, 'secret');
      return `${label}[secret]`;
    });
  }
  if (digits) {
    out = out.replace(BIRTH_DATE, (_, label: string) => {
      c = bump(c, 'dob');
      return `${label}[dob]`;
    });
    out = out.replace(STREET, () => {
      c = bump(c, 'address');
      return '[address]';
    });
  }
  return { text: out, counts: c };
}
