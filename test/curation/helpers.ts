/** Sample drafts for curation and dataset tests, built with ingest's own id and dedupe functions. */
import { dedupeKey, sampleId } from '../../src/ingest/index.ts';
import type { CandidateDraft } from '../../src/curation/index.ts';
import type { ContextTurn } from '../../src/ingest/types.ts';

export function draft(
  persona: string,
  position: string,
  text: string,
  extra: { context?: ContextTurn[]; ref?: string; speaker?: string; author?: CandidateDraft['author'] } = {},
): CandidateDraft {
  const ref = extra.ref ?? 'transcripts/test.txt';
  const out: CandidateDraft = {
    id: sampleId(persona, ref, position),
    persona,
    kind: extra.context?.length ? 'conversation' : 'monologue',
    context: extra.context ?? [],
    text,
    speaker: extra.speaker ?? 'Test Speaker',
    source: { type: extra.author ? 'discord' : 'file', ref, position },
    dedupeKey: dedupeKey(text),
    redactions: {},
  };
  if (extra.author) out.author = extra.author;
  return out;
}
