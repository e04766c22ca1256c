/**
 * The workflow validator function ("JIT Admin record is current"): refuses a transition unless
 * the issue property the expression validators read is exactly what the core says now.
 *
 * Forge passes a validator function the issue key, the from/to status ids and the validator's
 * configuration, but not the transitioning user, so this function cannot say whether that user
 * may take the step; the expression validators can (they see `user`), but only by trusting the
 * issue property, which anyone who may edit the issue can rewrite, and which ages as time moves
 * (a request passes its approval deadline before the timer ticks it). This function closes both:
 * it recomputes the gate from storage at the time of the transition and compares. A mismatch is
 * rewritten and refused, and anything it cannot check is refused: it fails closed.
 */
import type { GrantStore, PolicyStore, Ports } from '../ports';
import { mirror, propertyIsCurrent } from './dispatch';

/** What Forge expects back from a validator function. */
export interface ValidatorResult {
  result: boolean;
  errorMessage?: string;
}

/** The fields of Forge's validator payload this handler reads. */
interface ValidatorEvent {
  issue?: { key?: string };
}

const refuse = (errorMessage: string): ValidatorResult => ({ result: false, errorMessage });

export async function onValidate(ports: Pick<Ports, 'jira' | 'clock' | 'log'> & { store: GrantStore & PolicyStore }, raw: unknown): Promise<ValidatorResult> {
  const issueKey = (raw && typeof raw === 'object' ? (raw as ValidatorEvent) : {}).issue?.key;
  if (typeof issueKey !== 'string' || !issueKey) return refuse('JIT Admin could not tell which issue this transition is on.');
  try {
    // Grants are keyed by the issue id (a move changes the key), and Forge passes only the key: ask
    // Jira for the id, never the issue property, which anyone who may edit the issue can rewrite.
    const issue = await ports.jira.issue(issueKey);
    if (!issue) return refuse('JIT Admin could not find this issue.');
    const [stored, policyDoc, property] = await Promise.all([ports.store.grant(issue.id), ports.store.policy(), ports.jira.grantProperty(issue.id)]);
    if (!policyDoc) return refuse('JIT Admin has no policy yet: a Jira admin must save one on the JIT Admin admin page.');
    if (!stored) return refuse('There is no JIT Admin request on this issue yet: submit one in the JIT Admin panel.');
    if (propertyIsCurrent(property, stored.grant, policyDoc.policy, ports.clock.now())) return { result: true };
    ports.log.warn('issue property did not match the core; rewritten and the transition refused', { issueKey, version: stored.grant.version });
    await mirror(ports, stored.grant, policyDoc.policy);
    return refuse('JIT Admin’s record on this issue was out of date and has been refreshed. Try the transition again.');
  } catch (error) {
    ports.log.error('validator could not check the transition; refused', { issueKey, error: String(error) });
    return refuse('JIT Admin could not check this transition because Jira or its storage did not answer. Try again in a moment.');
  }
}
