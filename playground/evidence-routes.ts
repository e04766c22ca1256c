/**
 * The playground's evidence-pack endpoints: a person acting in the emulated org (so an elevated
 * person's actions land in its audit log), the org's audit-log access (Atlassian Guard or not),
 * the audit log itself, and the files attached to an issue (listed on the issue page, downloaded
 * from here).
 *
 *   POST /__playground/org-action  {as, action, subject?}   → 200 {event}; 403 unless `as` holds org admin now
 *   GET  /__playground/audit-log                           → {available, events}
 *   POST /__playground/audit-log   {available}             → {available}
 *   GET  /__playground/attachments/{id}                    → the file, as Jira serves its content
 */
import type { LocalApp } from './local-app';

export type EvidenceRouteAnswer = { status: number; json: unknown } | { status: number; text: string; headers: Record<string, string> };

/** `addOrgAdmin` (with `subject`) and the recorded-only actions of the org emulator. */
export const ORG_ACTIONS = ['addOrgAdmin', 'createApiKey', 'updateAuthenticationPolicy', 'deleteUser', 'createGroup', 'exportUsers'] as const;

const refusal = (status: number, code: string, message: string): EvidenceRouteAnswer => ({ status, json: { error: { code, message } } });

/** The attachments of an issue as the issue page lists them (without their content). */
export function attachmentList(app: LocalApp, key: string) {
  return app.jira.attachments(key).map((a) => ({
    id: a.id,
    filename: a.filename,
    mimeType: a.mimeType,
    size: a.size,
    author: a.author,
    created: new Date(a.created).toISOString(),
    url: `/__playground/attachments/${encodeURIComponent(a.id)}`,
  }));
}

/**
 * Answers an evidence endpoint, or null when `method pathname` is none of them. `body` is the
 * parsed JSON body of a POST; `people` the accounts the playground knows.
 */
export function evidenceRoute(app: LocalApp, method: string, pathname: string, body: Record<string, unknown> | null, people: Record<string, string>): EvidenceRouteAnswer | null {
  const route = `${method} ${pathname.replace(/\/+$/, '')}`;
  if (route === 'POST /__playground/org-action') {
    const as = body?.as;
    const action = body?.action;
    const subject = body?.subject;
    if (typeof as !== 'string' || !people[as]) return refusal(400, 'BAD_REQUEST', `\`as\` must be one of: ${Object.keys(people).join(', ')}`);
    if (typeof action !== 'string' || !(ORG_ACTIONS as readonly string[]).includes(action)) return refusal(400, 'BAD_REQUEST', `\`action\` must be one of: ${ORG_ACTIONS.join(', ')}`);
    if (subject !== undefined && (typeof subject !== 'string' || subject.length > 200)) return refusal(400, 'BAD_REQUEST', '`subject` must be a string of at most 200 characters');
    if (action === 'addOrgAdmin' && (typeof subject !== 'string' || !people[subject])) return refusal(400, 'BAD_REQUEST', '`addOrgAdmin` needs `subject`: the account to make an org admin');
    try {
      return { status: 200, json: { event: app.org.act(as, action as (typeof ORG_ACTIONS)[number], subject as string | undefined) } };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return /not an organization admin/.test(message) ? refusal(403, 'NOT_ORG_ADMIN', message) : refusal(409, 'ORG_REFUSED', message);
    }
  }
  if (route === 'GET /__playground/audit-log') return { status: 200, json: { available: app.org.auditLogAvailable(), events: app.org.auditEvents() } };
  if (route === 'POST /__playground/audit-log') {
    if (typeof body?.available !== 'boolean') return refusal(400, 'BAD_REQUEST', 'send `{"available": true|false}` (false: the org has no Atlassian Guard)');
    app.org.setAuditLogAvailable(body.available);
    return { status: 200, json: { available: body.available } };
  }
  const file = /^GET \/__playground\/attachments\/([^/]+)$/.exec(route);
  if (file) {
    const id = decodeURIComponent(file[1]!);
    for (const issue of app.jira.exportSnapshot().issues) {
      const found = app.jira.attachments(issue.key).find((a) => a.id === id);
      if (found) {
        return {
          status: 200,
          text: found.content,
          headers: { 'content-type': `${found.mimeType}; charset=utf-8`, 'content-disposition': `inline; filename="${found.filename.replace(/["\r\n]/g, '_')}"` },
        };
      }
    }
    return refusal(404, 'NOT_FOUND', `there is no attachment \`${id}\``);
  }
  return null;
}
