/**
 * The issue panel's resolver calls. Identity and issue come from the platform context; the
 * payload only carries the form's fields, which the core validates.
 */
import { core, type Event } from '../decision/core';
import type { Ports } from '../ports';
import type { PanelCall, PanelData, Result } from '../shared/types';
import { dispatch, iso, NO_POLICY } from './dispatch';
import { actorFor } from './identity';

export interface PanelContext {
  /** `context.accountId` from the platform. */
  accountId?: string;
  /**
   * `context.extension.issue.id` from the platform: the grant's id. An issue keeps its id when it
   * moves to another project; its key changes (and the old key may later name another issue).
   */
  issueId?: string;
  /** `context.extension.issue.key` from the platform, for display. */
  issueKey?: string;
}

export const PANEL_CALLS: PanelCall[] = [
  'getView',
  'submitRequest',
  'approve',
  'reject',
  'activate',
  'complete',
  'requestExtension',
  'approveExtension',
  'rejectExtension',
  'revoke',
  'cancel',
];

export async function panelCall(ports: Ports, context: PanelContext, call: PanelCall, payload: unknown): Promise<Result<PanelData>> {
  const { accountId, issueId, issueKey } = context;
  if (!accountId) return { ok: false, error: { code: 'NOT_SIGNED_IN', message: 'sign in to Jira to use JIT Admin' } };
  if (!issueId || !issueKey) return { ok: false, error: { code: 'NO_ISSUE', message: 'JIT Admin runs on a Jira issue' } };
  // @forge/resolver already turns a falsy payload into `{}`; anything else that is not a plain
  // object is refused rather than read as "no fields". getView reads nothing from it.
  if (call !== 'getView' && payload !== undefined && (payload === null || typeof payload !== 'object' || Array.isArray(payload))) {
    return { ok: false, error: { code: 'INVALID_INPUT', message: 'the payload must be an object', path: 'payload' } };
  }
  const actor = await actorFor(ports, accountId);
  if (call !== 'getView') {
    const result = await dispatch(ports, { grantId: issueId, event: toEvent(call, { issueId, issueKey }, payload), actor, source: 'panel' });
    if (!result.ok) return { ok: false, error: result.error };
  }
  return panelData(ports, issueId, issueKey, actor);
}

/** The panel's data: the core's view for this viewer, and the grant's history. */
async function panelData(ports: Ports, grantId: string, issueKey: string, viewer: { accountId: string; groupIds?: string[] }): Promise<Result<PanelData>> {
  const [stored, policyDoc, timeline] = await Promise.all([ports.store.grant(grantId), ports.store.policy(), ports.store.auditForGrant(grantId)]);
  if (!policyDoc) return { ok: false, error: NO_POLICY };
  const now = iso(ports.clock.now());
  const answer = core.view({ policy: policyDoc.policy, grant: stored?.grant ?? null, viewer, now });
  if (!answer.ok) return { ok: false, error: answer.error };
  const { ok: _ok, ...view } = answer;
  return { ok: true, data: { issueKey, view, timeline, now } };
}

/**
 * Builds the core event from the call and the payload's own fields only. Values are passed as
 * they came (a wrong type reaches the core, which names the field); anything else in the
 * payload, such as an `accountId`, is ignored. The issue comes from the platform context.
 */
export function toEvent(call: Exclude<PanelCall, 'getView'>, issue: { issueId: string; issueKey: string }, payload: unknown): Event {
  const p = (payload && typeof payload === 'object' ? payload : {}) as Record<string, unknown>;
  const pick = (...keys: string[]) => Object.fromEntries(keys.filter((k) => p[k] !== undefined && p[k] !== null).map((k) => [k, p[k]]));
  switch (call) {
    case 'submitRequest':
      return {
        type: 'submit',
        grantId: issue.issueId,
        issueKey: issue.issueKey,
        justification: '',
        ...pick('target', 'subject', 'start', 'durationMinutes', 'justification'),
      } as Event;
    case 'requestExtension':
      return { type: 'requestExtension', justification: '', ...pick('minutes', 'justification') } as Event;
    case 'reject':
    case 'revoke':
    case 'rejectExtension':
      return { type: call, ...pick('reason') } as Event;
    default:
      return { type: call } as Event;
  }
}
