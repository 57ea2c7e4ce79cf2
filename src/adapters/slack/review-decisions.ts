/**
 * Curators decide in the review channel by reacting to a candidate's message: ✅ approve,
 * ❌ reject, ✏️ edit (the curator's reply in the message's thread becomes the corrected
 * text, whichever comes first), ⭐ exemplary. Removing the reaction takes the decision back.
 * Reactions by anyone else are ignored and counted. After every applied change the message
 * is re-rendered with the outcome. Bad input (a message that is not a candidate, an edit of
 * a rejected candidate, a curation conflict) is logged and changes nothing.
 */
import { logger } from '../../log.js';
import type { SlackClient } from './bolt-app.js';
import type { Curators } from './curators.js';
import type { DecisionResult, ReviewAction, ReviewCandidate, ReviewDecision, ReviewStore } from './slack-ports.js';
import { renderReviewMessage } from './review-message.js';

const log = logger('slack');

export const REACTION_ACTIONS: Record<string, ReviewAction> = {
  white_check_mark: 'approve',
  x: 'reject',
  pencil2: 'edit',
  star: 'exemplary',
};

export interface CuratorReaction {
  user: string;
  reaction: string;
  channel: string;
  ts: string;
  added: boolean;
  eventId: string;
}

export interface ThreadReply {
  user: string;
  text: string;
  channel: string;
  threadTs: string;
  eventId: string;
}

export class ReviewDecisions {
  /** Decision reactions by people who are not curators (ignored). */
  ignoredReactions = 0;

  constructor(
    private readonly client: SlackClient,
    private readonly review: ReviewStore,
    private readonly curators: Curators,
    /** Undefined for a persona that no longer exists: its candidates are not decided here. */
    private readonly personaName: (personaId: string) => string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns false when the reaction is not a decision on a review message (so it may be feedback). */
  async onReaction(reaction: CuratorReaction): Promise<boolean> {
    // Skin-tone variants arrive as `name::skin-tone-2`.
    const action = REACTION_ACTIONS[reaction.reaction.replace(/::skin-tone-\d$/, '')];
    if (!action) return false;
    const candidate = await this.review.byReviewMessage(reaction.channel, reaction.ts);
    if (!candidate) return false;
    if (this.isOrphan(candidate)) return true;
    if (!(await this.curators.isCurator(reaction.user))) {
      this.ignoredReactions += 1;
      log.info(
        { user: reaction.user, reaction: reaction.reaction, candidate: candidate.id, ignored: this.ignoredReactions },
        'ignored a review reaction by a non-curator',
      );
      return true;
    }
    const decision = this.decision(candidate, action, reaction.user, reaction.channel, reaction.ts, reaction.eventId);
    if (!reaction.added) {
      await this.apply(candidate, reaction, () => this.review.revert(decision));
    } else if (action !== 'edit') {
      await this.apply(candidate, reaction, () => this.review.decide(decision));
    } else if (!this.isRejected(candidate)) {
      decision.text = await this.latestThreadReply(reaction.channel, reaction.ts, reaction.user);
      if (decision.text === undefined) {
        await this.render(candidate, reaction.channel, reaction.ts, `✏️ <@${reaction.user}>: reply in this thread with the corrected text`);
      } else {
        await this.apply(candidate, reaction, () => this.review.decide(decision));
      }
    }
    return true;
  }

  /** A curator's thread reply under a candidate they marked ✏️ is the corrected text. */
  async onThreadReply(reply: ThreadReply): Promise<void> {
    const candidate = await this.review.byReviewMessage(reply.channel, reply.threadTs);
    if (!candidate || !reply.text.trim() || this.isOrphan(candidate)) return;
    if (!(await this.curators.isCurator(reply.user))) return;
    if (this.isRejected(candidate)) return;
    if (!(await this.hasReacted(reply.channel, reply.threadTs, reply.user, 'pencil2'))) {
      log.debug({ candidate: candidate.id, user: reply.user }, 'thread reply without ✏️: discussion, not an edit');
      return;
    }
    const decision = this.decision(candidate, 'edit', reply.user, reply.channel, reply.threadTs, reply.eventId);
    decision.text = reply.text.trim();
    await this.apply(candidate, { channel: reply.channel, ts: reply.threadTs }, () => this.review.decide(decision));
  }

  private decision(candidate: ReviewCandidate, action: ReviewAction, by: string, channel: string, ts: string, eventId: string): ReviewDecision {
    return { candidateId: candidate.id, action, by, at: this.now(), where: `slack:${channel}/${ts}`, eventId };
  }

  private async apply(candidate: ReviewCandidate, message: { channel: string; ts: string }, change: () => Promise<DecisionResult>): Promise<void> {
    const result = await change();
    if (!result.applied) {
      log.warn({ candidate: candidate.id, reason: result.reason }, 'review decision not applied');
      return;
    }
    await this.render(result.candidate, message.channel, message.ts);
  }

  private isOrphan(candidate: ReviewCandidate): boolean {
    if (this.personaName(candidate.persona) !== undefined) return false;
    log.warn({ candidate: candidate.id, persona: candidate.persona }, 'ignored a review event for an unknown persona');
    return true;
  }

  private isRejected(candidate: ReviewCandidate): boolean {
    if (candidate.status !== 'rejected') return false;
    log.info({ candidate: candidate.id }, 'ignored an edit of a rejected candidate');
    return true;
  }

  private async render(candidate: ReviewCandidate, channel: string, ts: string, note?: string): Promise<void> {
    const message = renderReviewMessage(candidate, this.personaName(candidate.persona) ?? candidate.persona, note);
    try {
      await this.client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
    } catch (error) {
      // The decision is stored; a stale message is cosmetic.
      log.warn({ err: error, candidate: candidate.id }, 'could not mark the review message with the outcome');
    }
  }

  private async latestThreadReply(channel: string, ts: string, user: string): Promise<string | undefined> {
    const answer = await this.client.conversations.replies({ channel, ts, limit: 200 });
    const replies = (answer.messages ?? []).filter((message) => message.ts !== ts && message.user === user && message.text?.trim());
    return replies.at(-1)?.text?.trim();
  }

  private async hasReacted(channel: string, ts: string, user: string, name: string): Promise<boolean> {
    const answer = await this.client.reactions.get({ channel, timestamp: ts, full: true });
    return Boolean(answer.message?.reactions?.some((reaction) => reaction.name === name && reaction.users?.includes(user)));
  }
}
