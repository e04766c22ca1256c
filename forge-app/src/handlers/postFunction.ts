/**
 * Workflow post-functions: a transition on the request issue becomes a lifecycle event. The
 * actor is the transition's `atlassianId`; a refusal is commented on the issue by the core's
 * own comment action (the transition itself has already happened in Jira). The workflow
 * validators (`validator.ts`) stop such transitions first where an admin configured them. The grant
 * is the issue's id (`issue.id`), which survives a move to another project; the key is only logged.
 */
import type { Ports } from '../ports';
import { dispatch } from './dispatch';
import { actorFor } from './identity';

export type TransitionEvent = 'approve' | 'reject' | 'complete' | 'revoke' | 'approveExtension';

/** The fields of Forge's post-function event this handler reads. */
interface PostFunctionEvent {
  issue?: { key?: string; id?: string | number };
  atlassianId?: string;
  transition?: { transitionName?: string; executionId?: string };
}

export type TransitionOutcome = { done: true; ok: boolean; code?: string } | { done: false; retryAfterSeconds: number; reason: string };

export async function onTransition(ports: Ports, raw: unknown, event: TransitionEvent): Promise<TransitionOutcome> {
  const e = (raw && typeof raw === 'object' ? raw : {}) as PostFunctionEvent;
  const issueId = typeof e.issue?.id === 'string' || typeof e.issue?.id === 'number' ? String(e.issue.id) : '';
  const issueKey = e.issue?.key;
  const accountId = e.atlassianId;
  if (!issueId || !accountId) {
    ports.log.warn('post-function event without an issue id or atlassianId; ignored', { event });
    return { done: true, ok: false, code: 'INVALID_EVENT' };
  }
  try {
    const actor = await actorFor(ports, accountId);
    const result = await dispatch(ports, { grantId: issueId, event: { type: event }, actor, source: 'workflow' });
    ports.log.info('transition handled', { issueId, issueKey, event, ok: result.ok, ...(result.ok ? {} : { code: result.error.code }) });
    return result.ok ? { done: true, ok: true } : { done: true, ok: false, code: result.error.code };
  } catch (error) {
    // Storage or Jira was unavailable: nothing was decided, so ask Forge to deliver it again.
    ports.log.error('transition could not be handled; asking for a retry', { issueId, issueKey, event, error: String(error) });
    return { done: false, retryAfterSeconds: 30, reason: String(error) };
  }
}
