/**
 * The review channel over the real curation store: candidates are curation samples, Slack
 * decisions are curation decisions (`via: 'slack'`, applied once per event id, reverted
 * exactly), and the Slack message that shows a sample is remembered beside it under
 * adapter-owned keys — `slack:review:<channel>:<ts>` → sample id, `slack:posted:<id>` → the
 * message, and the set `idx:slack:posted` — written in one batch.
 */
import { countSamples, decide, getSample, listSamples, revertDecision, type DecisionOutcome, type SampleRecord } from '../../curation/index.js';
import { isPersonaError } from '../../errors.js';
import type { Store } from '../../store/index.js';
import type { PersonaDirectory } from '../middleware/index.js';
import type { DatasetCounts, DecisionResult, OnceGuard, ReviewCandidate, ReviewDecision, ReviewStore } from './slack-ports.js';

const reviewMessageKey = (channel: string, ts: string) => `slack:review:${channel}:${ts}`;
const postedKey = (sampleId: string) => `slack:posted:${sampleId}`;
const POSTED_SET = 'idx:slack:posted';

export class StoreReview implements ReviewStore {
  constructor(
    private readonly store: Store,
    private readonly personas: PersonaDirectory,
  ) {}

  async unposted(limit: number, personaIds: string[]): Promise<ReviewCandidate[]> {
    const posted = new Set(await this.store.members(POSTED_SET));
    const pending = (await Promise.all(personaIds.map((id) => listSamples(this.store, id, 'pending')))).flat();
    return pending
      .filter((sample) => !posted.has(sample.id))
      .sort((a, b) => a.createdAt - b.createdAt)
      .slice(0, limit)
      .map(toCandidate);
  }

  async markPosted(candidateId: string, message: { channel: string; ts: string }): Promise<void> {
    await this.store.write({
      set: [
        { key: reviewMessageKey(message.channel, message.ts), value: candidateId },
        { key: postedKey(candidateId), value: message },
      ],
      add: [{ set: POSTED_SET, member: candidateId }],
    });
  }

  async byReviewMessage(channel: string, ts: string): Promise<ReviewCandidate | undefined> {
    const id = await this.store.get<string>(reviewMessageKey(channel, ts));
    const sample = id ? await getSample(this.store, id) : undefined;
    return sample ? toCandidate(sample) : undefined;
  }

  decide(decision: ReviewDecision): Promise<DecisionResult> {
    return outcome(() =>
      decide(this.store, {
        sampleId: decision.candidateId,
        action: decision.action,
        by: decision.by,
        via: 'slack',
        where: decision.where,
        eventId: decision.eventId,
        text: decision.text,
        at: decision.at,
      }),
    );
  }

  revert(decision: ReviewDecision): Promise<DecisionResult> {
    return outcome(() =>
      revertDecision(this.store, { sampleId: decision.candidateId, action: decision.action, by: decision.by, eventId: decision.eventId, at: decision.at }),
    );
  }

  async counts(personaId?: string): Promise<DatasetCounts> {
    const ids = personaId ? [personaId] : this.personas.list().map((persona) => persona.id);
    const total: DatasetCounts = { pending: 0, approved: 0, rejected: 0, exemplary: 0, edited: 0 };
    for (const id of ids) {
      const [counts, approved] = await Promise.all([countSamples(this.store, id), listSamples(this.store, id, 'approved')]);
      total.pending += counts.pending;
      total.approved += counts.approved;
      total.rejected += counts.rejected;
      total.exemplary += counts.exemplary;
      total.edited += approved.filter((sample) => sample.editedText !== undefined).length;
    }
    return total;
  }
}

/** The store's atomic set-if-absent with a TTL, as the adapter's once-only guard. */
export function storeOnceGuard(store: Store): OnceGuard {
  return { claim: (key, ttlMs) => store.setIfAbsent(key, Date.now(), ttlMs) };
}

function toCandidate(sample: SampleRecord): ReviewCandidate {
  return {
    id: sample.id,
    persona: sample.persona,
    context: sample.context,
    text: sample.text,
    editedText: sample.editedText,
    source: sample.source,
    status: sample.state,
    exemplary: sample.exemplary,
    decidedBy: sample.decidedVia === 'slack' ? sample.decidedBy : undefined,
    decidedAt: sample.decidedAt,
  };
}

async function outcome(change: () => Promise<DecisionOutcome>): Promise<DecisionResult> {
  try {
    const result = await change();
    if (result.applied) return { applied: true, candidate: toCandidate(result.sample) };
    return { applied: false, reason: result.reason === 'duplicate' ? 'duplicate' : 'conflict', candidate: toCandidate(result.sample) };
  } catch (error) {
    if (isPersonaError(error, 'sample_not_found')) return { applied: false, reason: 'not_found' };
    throw error;
  }
}
