/**
 * The kill switch: once a policy change takes effect, every open grant is checked against it.
 * Removing a person from a target's requesters, removing a target, or taking a service account
 * from its owner ends their open grants at once — requested and approved ones without access,
 * active ones with a revoke of the grant's own copy of the access — instead of leaving them to
 * activate or run to their window end.
 *
 * The core decides (`policyCheck`, one grant at a time, with the requester's groups looked up by
 * `dispatch`); a grant the policy still allows is a no-op that writes nothing. The admin page's
 * save calls `applyPolicyToOpenGrants` right after the new policy is stored; the sweep sends the
 * same event to every grant its core run lists as `ineligible`, so a check cut short here (out of
 * time, storage unavailable) is finished within five minutes.
 */
import type { Ports } from '../ports';
import { dispatch } from './dispatch';

export interface PolicyApplied {
  /** Grants checked. */
  checked: number;
  /** Grants the current policy no longer allowed, now ended (or being revoked). */
  ended: string[];
  /** Grants left for the next sweep (the invocation ran out of time, or the check failed). */
  deferred: string[];
}

/**
 * Sends `policyCheck` to `grantIds`, or to every open grant that has not ended when none are
 * given. Never throws (the caller's own change is already saved): whatever fails is left to the
 * sweep and logged.
 */
export async function applyPolicyToOpenGrants(ports: Ports, grantIds?: readonly string[]): Promise<PolicyApplied> {
  const out: PolicyApplied = { checked: 0, ended: [], deferred: [] };
  let ids: readonly string[];
  try {
    ids = grantIds ?? (await ports.store.openGrants()).filter((s) => s.grant.status !== 'ended').map((s) => s.grant.id);
  } catch (error) {
    ports.log.warn('could not list the open grants to apply the policy to; the next sweep does it', { error: String(error) });
    return out;
  }
  for (const grantId of ids) {
    if (ports.clock.now() >= ports.deadline) {
      out.deferred.push(grantId);
      continue;
    }
    try {
      const result = await dispatch(ports, { grantId, event: { type: 'policyCheck' }, actor: null, source: 'system' });
      out.checked++;
      if (result.ok && result.changed) out.ended.push(grantId);
    } catch (error) {
      out.deferred.push(grantId);
      ports.log.warn('policy check of a grant failed; the next sweep repeats it', { grantId, error: String(error) });
    }
  }
  if (out.ended.length || out.deferred.length) ports.log.info('policy applied to open grants', { ...out });
  return out;
}
