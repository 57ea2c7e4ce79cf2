/**
 * The review state of a sample is a fold of its decisions: start from the state it arrived
 * in and apply every decision that was not reverted, in order. Reverting any decision (a
 * removed Slack reaction) is therefore exact even when later decisions exist.
 */
import type { Decision, ReviewView, SampleState } from './types.js';

export function foldDecisions(initialState: SampleState, history: Decision[]): ReviewView {
  const view: ReviewView = { state: initialState, exemplary: false };
  for (const decision of history) {
    if (decision.reverted) continue;
    switch (decision.action) {
      case 'approve':
        view.state = 'approved';
        break;
      case 'reject':
        view.state = 'rejected';
        view.exemplary = false;
        break;
      case 'edit':
        view.state = 'approved';
        view.editedText = decision.text;
        break;
      case 'exemplary':
        view.state = 'approved';
        view.exemplary = true;
        break;
      case 'unexemplary':
        view.exemplary = false;
        break;
    }
    view.decidedBy = decision.by;
    view.decidedVia = decision.via;
    view.decidedAt = decision.at;
  }
  return view;
}

/** The text that goes into the dataset: a curator's edit wins over the original. */
export function effectiveText(sample: { text: string; editedText?: string }): string {
  return sample.editedText ?? sample.text;
}
