/** The actor of an event: the platform's account id, with the groups the policy may refer to. */
import type { Actor } from '../decision/core';
import type { Ports } from '../ports';

/**
 * Looks up the account's groups. A failed lookup yields no groups, which can only make the
 * core refuse more (eligibility by group fails closed), never grant more.
 */
export async function actorFor(ports: Ports, accountId: string): Promise<Actor> {
  try {
    return { accountId, groupIds: await ports.jira.userGroups(accountId) };
  } catch (e) {
    ports.log.warn('could not read the groups of the actor; deciding without them', { accountId, error: String(e) });
    return { accountId, groupIds: [] };
  }
}
