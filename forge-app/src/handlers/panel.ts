/**
 * The issue panel's resolver calls. Identity and issue come from the platform context; the
 * payload only carries the form's fields, which the core validates.
 */
import { core, type Event } from '../decision/core';
import type { Ports } from '../ports';
import type { PanelCall, PanelData, Result } from '../shared/types';
import { dispatch, iso, NO_POLICY } from './dispatch';
import { actorFor, requesterFor } from './identity';

/** Timeline records per answer: the newest page; older pages on request (`timelineBefore`). */
export const TIMELINE_PAGE = 50;

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
  /** Where the call comes from, for the audit trail: the issue panel, or the portal's request page. */
  source?: 'panel' | 'portal';
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
  let before: number | undefined;
  if (call === 'getView') {
    const t = (payload as { timelineBefore?: unknown } | undefined)?.timelineBefore;
    if (t !== undefined && (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 1)) {
      return { ok: false, error: { code: 'INVALID_INPUT', message: 'must be a positive whole number (a seq)', path: 'payload.timelineBefore' } };
    }
    before = t as number | undefined;
  } else {
    const result = await dispatch(ports, { grantId: issueId, event: toEvent(call, { issueId, issueKey }, payload), actor, source: context.source ?? 'panel' });
    if (!result.ok) return { ok: false, error: result.error };
  }
  return panelData(ports, issueId, issueKey, actor, before);
}

/**
 * The panel's data: the core's view for this viewer, and one page of the grant's history (the
 * newest, or the one before `before`), with the counts of refusals recorded once per period.
 */
async function panelData(
  ports: Ports,
  grantId: string,
  issueKey: string,
  viewer: { accountId: string; groupIds?: string[] },
  before?: number,
): Promise<Result<PanelData>> {
  const [stored, policyDoc, page] = await Promise.all([
    ports.store.grant(grantId),
    ports.store.policy(),
    ports.store.auditForGrantPage(grantId, { beforeSeq: before, limit: TIMELINE_PAGE }),
  ]);
  if (!policyDoc) return { ok: false, error: NO_POLICY };
  const grant = stored?.grant ?? null;
  // Someone else looking at an open grant: the core judges approvals against the requester's
  // eligibility now, so it gets the requester's groups, as `decide` will.
  const requester = grant && grant.status !== 'ended' && grant.requester !== viewer.accountId ? await requesterFor(ports, grant.requester) : null;
  const now = iso(ports.clock.now());
  const answer = core.view({ policy: policyDoc.policy, grant, viewer, now, requester });
  if (!answer.ok) return { ok: false, error: answer.error };
  const { ok: _ok, ...view } = answer;
  const timeline = page.records.slice().reverse();
  const refusalCounts = await ports.store.refusalCounts(coalesceKeys(timeline));
  return {
    ok: true,
    data: { issueKey, view, timeline, ...(page.nextBeforeSeq !== undefined ? { timelineBefore: page.nextBeforeSeq } : {}), refusalCounts, now },
  };
}

/** The coalescing keys of the refusals among `records` (their counts live beside the chain). */
export function coalesceKeys(records: Array<{ details?: Record<string, unknown> }>): string[] {
  return records.map((r) => r.details?.coalesceKey).filter((k): k is string => typeof k === 'string');
}

/**
 * Builds the core event from the call and the payload's own fields only. Values are passed as
 * they came, `null` included (a wrong type or a `null` reaches the core, which names the field:
 * a `NaN` duration arrives here as `null` and must not turn into the default); only fields left
 * out are left out. Anything else in the payload, such as an `accountId`, is ignored. The issue
 * comes from the platform context.
 */
export function toEvent(call: Exclude<PanelCall, 'getView'>, issue: { issueId: string; issueKey: string }, payload: unknown): Event {
  const p = (payload && typeof payload === 'object' ? payload : {}) as Record<string, unknown>;
  const pick = (...keys: string[]) => Object.fromEntries(keys.filter((k) => p[k] !== undefined).map((k) => [k, p[k]]));
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
