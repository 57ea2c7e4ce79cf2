/**
 * How a candidate looks in the review channel: persona, the turns before it, the candidate
 * reply (and the curator's correction), where it came from, and its current outcome. The
 * message is always rendered from the candidate's state, so posting and marking an outcome
 * (chat.update) are the same function.
 */
import type { types } from '@slack/bolt';
import type { ContextTurn } from '../../ingest/types.js';
import type { ReviewCandidate } from './slack-ports.js';

/** Slack's section text limit is 3,000 characters; stay well under it. */
const SECTION_LIMIT = 2800;
const CONTEXT_TURNS_SHOWN = 6;

export const REVIEW_HELP = 'React ✅ approve · ❌ reject · ✏️ edit (reply in this thread with the corrected text) · ⭐ exemplary';

export interface RenderedMessage {
  text: string;
  blocks: types.KnownBlock[];
}

export function renderReviewMessage(candidate: ReviewCandidate, personaName: string, note?: string): RenderedMessage {
  const outcome = outcomeLine(candidate);
  const blocks: types.KnownBlock[] = [section(`*${escape(personaName)}* (\`${candidate.persona}\`) · candidate \`${candidate.id}\``)];
  if (candidate.context.length > 0) blocks.push(section(contextText(candidate.context)));
  blocks.push(section(`*${escape(personaName)}:* ${escape(candidate.text)}`));
  if (candidate.editedText !== undefined) blocks.push(section(`*Corrected:* ${escape(candidate.editedText)}`));
  blocks.push(contextBlock(sourceLine(candidate)));
  blocks.push(contextBlock([outcome, note].filter(Boolean).join(' · ')));
  return { text: `${personaName}: ${truncate(candidate.editedText ?? candidate.text, 200)} — ${outcome}`, blocks };
}

export function outcomeLine(candidate: ReviewCandidate): string {
  const by = candidate.decidedBy ? ` by <@${candidate.decidedBy}>` : '';
  const star = candidate.exemplary ? ' ⭐ exemplary' : '';
  if (candidate.status === 'approved') return `${candidate.editedText !== undefined ? '✏️ Approved with a correction' : '✅ Approved'}${by}${star}`;
  if (candidate.status === 'rejected') return `❌ Rejected${by}`;
  return `⏳ Pending${star} — ${REVIEW_HELP}`;
}

function contextText(turns: ContextTurn[]): string {
  const shown = turns.slice(-CONTEXT_TURNS_SHOWN);
  const skipped = turns.length - shown.length;
  const lines = shown.map((turn) => `> *${escape(turn.speaker)}:* ${escape(truncate(turn.text, 400))}`);
  return truncate([skipped > 0 ? `_…${skipped} earlier turn(s)_` : '', ...lines].filter(Boolean).join('\n'), SECTION_LIMIT);
}

function sourceLine(candidate: ReviewCandidate): string {
  const { source } = candidate;
  const link = source.url ? ` · <${source.url}|open>` : '';
  return `Source: ${source.type} \`${escape(source.ref)}\` (${escape(source.position)})${link}`;
}

function section(text: string): types.SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, SECTION_LIMIT) } };
}

function contextBlock(text: string): types.ContextBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(text, SECTION_LIMIT) }] };
}

/** Slack mrkdwn control characters; user text must not turn into links or mentions. */
export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
