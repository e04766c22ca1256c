/** The actor of an event: the platform's account id, with the groups the policy may refer to. */
import type { Actor } from '../decision/core';
import type { Ports } from '../ports';

/**
 * Looks up the account's groups. A failed lookup yields no groups, which can only make the
 * core refuse more (eligibility by group fails closed), never grant more.
 */
export async function actorFor(ports: Pick<Ports, 'jira' | 'log'>, accountId: string): Promise<Actor> {
  try {
    return { accountId, groupIds: await ports.jira.userGroups(accountId) };
  } catch (e) {
    ports.log.warn('could not read the groups of the actor; deciding without them', { accountId, error: String(e) });
    return { accountId, groupIds: [] };
  }
}

/**
 * The grant's requester as the platform knows them now, for the core's re-checks of their
 * eligibility. Unlike `actorFor`, a failed lookup yields null rather than "no groups": the core
 * then treats eligibility through groups as unknown, and ends nothing on a guess.
 */
export async function requesterFor(ports: Pick<Ports, 'jira' | 'log'>, accountId: string): Promise<Actor | null> {
  try {
    return { accountId, groupIds: await ports.jira.userGroups(accountId) };
  } catch (e) {
    ports.log.warn('could not read the groups of the requester; their eligibility by group is unknown', { accountId, error: String(e) });
    return null;
  }
}
