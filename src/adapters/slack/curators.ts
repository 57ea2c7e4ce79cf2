/**
 * Who may decide: SLACK_CURATORS lists user ids (U…/W…) and/or user group ids (S…). Group
 * members are read with `usergroups.users.list` and cached for a few minutes, so adding a
 * curator in Slack takes effect without a restart. An empty list means nobody is a curator.
 */
import type { SlackClient } from './bolt-app.js';
import { logger } from '../../log.js';

const log = logger('slack');
const GROUP_CACHE_MS = 5 * 60 * 1000;

export class Curators {
  private readonly users: Set<string>;
  private readonly groups: string[];
  private groupMembers: Set<string> = new Set();
  private loadedAt = -Infinity;

  constructor(
    ids: string[],
    private readonly client: SlackClient,
    private readonly now: () => number = Date.now,
  ) {
    this.users = new Set(ids.filter((id) => !id.startsWith('S')));
    this.groups = ids.filter((id) => id.startsWith('S'));
  }

  get configured(): boolean {
    return this.users.size + this.groups.length > 0;
  }

  async isCurator(userId: string): Promise<boolean> {
    if (this.users.has(userId)) return true;
    if (this.groups.length === 0) return false;
    if (this.now() - this.loadedAt > GROUP_CACHE_MS) await this.loadGroups();
    return this.groupMembers.has(userId);
  }

  private async loadGroups(): Promise<void> {
    const members = new Set<string>();
    for (const usergroup of this.groups) {
      try {
        const answer = await this.client.usergroups.users.list({ usergroup });
        for (const user of answer.users ?? []) members.add(user);
      } catch (error) {
        // Keep the previous members: a Slack hiccup must not lock curators out.
        log.warn({ err: error, usergroup }, 'could not read the curator user group');
        return;
      }
    }
    this.groupMembers = members;
    this.loadedAt = this.now();
  }
}
