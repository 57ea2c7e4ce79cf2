/**
 * Hub ids as users write them: `org/name` or `org/name@revision` (a branch, tag or commit).
 * One place knows the syntax, so the CLI, a persona's `base:` and error messages agree.
 */
import { PersonaError } from '../errors.js';

export interface HubId {
  /** `org/name` */
  repo: string;
  /** Branch, tag or 40-hex commit; `main` when the id names none. */
  revision: string;
}

export const DEFAULT_REVISION = 'main';

/** The Hub's repo name rules, loosely: letters, digits, `-`, `_`, `.`; one slash. */
const HUB_ID = /^([A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*)(?:@([^\s@]+))?$/;
const COMMIT = /^[0-9a-f]{40}$/;

export function parseHubId(text: string): HubId | undefined {
  const match = HUB_ID.exec(text.trim());
  if (!match || match[1].includes('..') || match[1].endsWith('.')) return undefined;
  return { repo: match[1], revision: match[2] ?? DEFAULT_REVISION };
}

export function requireHubId(text: string): HubId {
  const id = parseHubId(text);
  if (!id) {
    throw new PersonaError(
      'invalid_argument',
      `"${text}" is not a Hugging Face model id: write org/name or org/name@revision (e.g. HuggingFaceTB/SmolLM2-360M-Instruct).`,
      {
        field: 'id',
      },
    );
  }
  return id;
}

export function isCommitHash(revision: string): boolean {
  return COMMIT.test(revision);
}

export function formatHubId(id: HubId): string {
  return id.revision === DEFAULT_REVISION ? id.repo : `${id.repo}@${id.revision}`;
}

/** The exact command that puts `id` into the cache; error messages quote it. */
export function pullCommand(id: HubId): string {
  return `npx persona base pull ${formatHubId(id)}`;
}
