/**
 * An in-memory ReviewStore with the curation rules the Slack adapter relies on (decisions
 * applied once per event id, revert restores the previous state, edits keep the original),
 * used until the curation module is wired in. Also a CandidateSink, so chat capture lands here.
 */
import type { CandidateSink, CapturedMessage } from '../../../src/adapters/middleware/index.ts';
import type {
  DatasetCounts,
  DecisionResult,
  ReviewCandidate,
  ReviewDecision,
  ReviewStore,
} from '../../../src/adapters/slack/ports.ts';
import type { SampleDraft } from '../../../src/ingest/types.ts';

interface Entry {
  candidate: ReviewCandidate;
  createdAt: number;
  posted?: { channel: string; ts: string };
  /** Previous states, for revert. */
  history: { action: string; by: string; before: ReviewCandidate }[];
}

export class MemoryReview implements ReviewStore, CandidateSink {
  readonly entries = new Map<string, Entry>();
  private readonly appliedEvents = new Set<string>();
  private seq = 0;

  add(candidate: Omit<ReviewCandidate, 'status' | 'exemplary'>): ReviewCandidate {
    const full: ReviewCandidate = { ...candidate, status: 'pending', exemplary: false };
    this.seq += 1;
    this.entries.set(full.id, { candidate: full, createdAt: this.seq, history: [] });
    return full;
  }

  get(id: string): ReviewCandidate | undefined {
    return this.entries.get(id)?.candidate;
  }

  async capture(message: CapturedMessage): Promise<SampleDraft | null> {
    const draft: SampleDraft = {
      id: `${message.ref}:${message.messageId}`,
      persona: message.persona.id,
      kind: 'conversation',
      context: message.context.map((turn) => ({ speaker: turn.speaker.name, text: turn.text })),
      text: message.text,
      speaker: message.author.name,
      source: { type: 'slack', ref: message.ref, position: message.messageId, url: message.permalink, timestamp: message.timestamp },
      dedupeKey: message.text,
      redactions: {},
    };
    this.add({ id: draft.id, persona: draft.persona, context: draft.context, text: draft.text, source: draft.source });
    return draft;
  }

  async unposted(limit: number, personaIds: string[]): Promise<ReviewCandidate[]> {
    return [...this.entries.values()]
      .filter((entry) => !entry.posted && entry.candidate.status === 'pending' && personaIds.includes(entry.candidate.persona))
      .sort((a, b) => a.createdAt - b.createdAt)
      .slice(0, limit)
      .map((entry) => entry.candidate);
  }

  async markPosted(candidateId: string, message: { channel: string; ts: string }): Promise<void> {
    const entry = this.entries.get(candidateId);
    if (entry) entry.posted = message;
  }

  async byReviewMessage(channel: string, ts: string): Promise<ReviewCandidate | undefined> {
    return [...this.entries.values()].find((entry) => entry.posted?.channel === channel && entry.posted.ts === ts)?.candidate;
  }

  async decide(decision: ReviewDecision): Promise<DecisionResult> {
    const entry = this.entries.get(decision.candidateId);
    if (!entry) return { applied: false, reason: 'not_found' };
    if (this.appliedEvents.has(decision.eventId)) return { applied: false, reason: 'duplicate', candidate: entry.candidate };
    const before = entry.candidate;
    if (decision.action === 'edit' && before.status === 'rejected') return { applied: false, reason: 'conflict', candidate: before };
    this.appliedEvents.add(decision.eventId);
    entry.history.push({ action: decision.action, by: decision.by, before });
    const decided = { decidedBy: decision.by, decidedAt: decision.at };
    if (decision.action === 'approve') entry.candidate = { ...before, status: 'approved', ...decided };
    if (decision.action === 'reject') entry.candidate = { ...before, status: 'rejected', ...decided };
    if (decision.action === 'edit') entry.candidate = { ...before, status: 'approved', editedText: decision.text, ...decided };
    if (decision.action === 'exemplary') entry.candidate = { ...before, exemplary: true };
    return { applied: true, candidate: entry.candidate };
  }

  async revert(decision: ReviewDecision): Promise<DecisionResult> {
    const entry = this.entries.get(decision.candidateId);
    if (!entry) return { applied: false, reason: 'not_found' };
    if (this.appliedEvents.has(decision.eventId)) return { applied: false, reason: 'duplicate', candidate: entry.candidate };
    const index = entry.history.map((step) => step.action === decision.action && step.by === decision.by).lastIndexOf(true);
    if (index < 0) return { applied: false, reason: 'conflict', candidate: entry.candidate };
    this.appliedEvents.add(decision.eventId);
    entry.candidate = entry.history[index].before;
    entry.history.splice(index);
    return { applied: true, candidate: entry.candidate };
  }

  async counts(personaId?: string): Promise<DatasetCounts> {
    const all = [...this.entries.values()].map((entry) => entry.candidate).filter((candidate) => !personaId || candidate.persona === personaId);
    const approved = all.filter((candidate) => candidate.status === 'approved');
    return {
      pending: all.filter((candidate) => candidate.status === 'pending').length,
      approved: approved.length,
      rejected: all.filter((candidate) => candidate.status === 'rejected').length,
      exemplary: approved.filter((candidate) => candidate.exemplary).length,
      edited: approved.filter((candidate) => candidate.editedText !== undefined).length,
    };
  }
}
