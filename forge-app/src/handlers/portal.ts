/**
 * The Jira Service Management portal's resolver (`jiraServiceManagement:portalRequestDetail`).
 * Customers on the portal never see issue panels, so the request page shows the same grant, the
 * same buttons and the same forms, from the same calls: identity is the platform's
 * `context.accountId` (portal customers are Atlassian accounts too), the request is the
 * platform's `context.extension.request.key`, and the core decides what this viewer may do
 * exactly as on the panel. Nothing in the payload names a person or an issue.
 */
import type { Ports } from '../ports';
import type { PanelCall, PanelData, Result } from '../shared/types';
import { PANEL_CALLS, panelCall } from './panel';

export interface PortalContext {
  /** `context.accountId` from the platform: the customer (or agent) looking at the request. */
  accountId?: string;
  /** `context.extension.request.key` from the platform: the request's issue key. */
  requestKey?: string;
}

/** The portal offers every call of the panel: the core, not the page, decides who may do what. */
export const PORTAL_CALLS: PanelCall[] = [...PANEL_CALLS];

export async function portalCall(ports: Ports, context: PortalContext, call: PanelCall, payload: unknown): Promise<Result<PanelData>> {
  const { accountId, requestKey } = context;
  if (!accountId) return { ok: false, error: { code: 'NOT_SIGNED_IN', message: 'sign in to the portal to use JIT Admin' } };
  if (!requestKey) return { ok: false, error: { code: 'NO_ISSUE', message: 'JIT Admin runs on a service-management request' } };
  // The portal's context names the request by key only; the grant is keyed by the issue's id,
  // which it keeps if the request moves to another project. The key is the platform's, so asking
  // Jira for its id (as the app) reveals nothing the viewer was not shown.
  const issue = await ports.jira.issue(requestKey);
  if (!issue) return { ok: false, error: { code: 'NO_ISSUE', message: `the request ${requestKey} was not found` } };
  return panelCall(ports, { accountId, issueId: issue.id, issueKey: issue.key, source: 'portal' }, call, payload);
}
