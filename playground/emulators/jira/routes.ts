/**
 * The Jira REST v3 operations the emulator serves, as data (the single source of truth for dispatch and for the
 * conformance test, which enumerates this table against the spec).
 *
 * Adding an endpoint is a one-file change, here: one entry in `jiraRoutes` and its handler under the same
 * `operation` name in `jiraHandlers` below (`JiraHandlers` is keyed by the table, so the compiler insists). The
 * server, router, request log and fault injection take it from here; the spec subset must hold the operation
 * (scripts/refresh-specs.ts), or the OpenAPI gate refuses it before it is routed.
 *
 * Handlers get the routed request (params, query, parsed body, principal) and answer a result, or throw
 * `JiraHttpError`.
 */
import { attachmentBean, attachmentHandlers } from './attachments';
import { RouteTable, type RouteLookup } from '../../http/router';
import { isAdfDoc } from './adf';
import type { JiraModel } from './model';
import { GLOBAL_PERMISSIONS, JiraHttpError, PROJECT_PERMISSIONS, notFoundIssue, jiraDate } from './types';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface JiraRoute {
  method: HttpMethod;
  /** OpenAPI path template, exactly as in jira-platform.v3.json. */
  path: string;
  operation: string;
}

export const jiraRoutes = [
  { method: 'POST', path: '/rest/api/3/issue', operation: 'createIssue' },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}', operation: 'getIssue' },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}/comment', operation: 'getComments' },
  { method: 'POST', path: '/rest/api/3/issue/{issueIdOrKey}/comment', operation: 'addComment' },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}/transitions', operation: 'getTransitions' },
  { method: 'POST', path: '/rest/api/3/issue/{issueIdOrKey}/transitions', operation: 'doTransition' },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}/properties', operation: 'getIssuePropertyKeys' },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}', operation: 'getIssueProperty' },
  { method: 'PUT', path: '/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}', operation: 'setIssueProperty' },
  { method: 'DELETE', path: '/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}', operation: 'deleteIssueProperty' },
  { method: 'GET', path: '/rest/api/3/user', operation: 'getUser' },
  { method: 'GET', path: '/rest/api/3/user/groups', operation: 'getUserGroups' },
  { method: 'GET', path: '/rest/api/3/myself', operation: 'getCurrentUser' },
  { method: 'GET', path: '/rest/api/3/mypermissions', operation: 'getMyPermissions' },
  { method: 'POST', path: '/rest/api/3/issue/{issueIdOrKey}/attachments', operation: 'addAttachment' },
  { method: 'GET', path: '/rest/api/3/attachment/{id}', operation: 'getAttachment' },
  { method: 'GET', path: '/rest/api/3/attachment/content/{id}', operation: 'getAttachmentContent' },
] as const satisfies readonly JiraRoute[];

/** The operation names of `jiraRoutes`. */
export type JiraOperation = (typeof jiraRoutes)[number]['operation'];

const TABLE = new RouteTable<JiraRoute>();
for (const r of jiraRoutes) TABLE.add(r.method, r.path, r);

/** Finds the route for a method and a concrete path (also tells a wrong method from an unknown path). */
export function lookupJiraRoute(method: string, pathname: string): RouteLookup<JiraRoute> {
  return TABLE.lookup(method, pathname);
}

/** Finds the route for a method and a concrete path (used by the server and by tests). */
export function matchJiraRoute(method: string, pathname: string): { route: JiraRoute; params: Record<string, string> } | undefined {
  const found = TABLE.lookup(method, pathname);
  return found.kind === 'match' ? { route: found.value, params: found.params } : undefined;
}

/** One routed request. */
export type Ctx = {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  hasBody: boolean;
  principal: string;
  /** The body as sent, and the request's headers (multipart uploads). */
  raw: string;
  headers: Record<string, string | string[] | undefined>;
};
/** What a handler answers (`text`: a file's content, sent as it is). */
export type Result = { status: number; body?: unknown; headers?: Record<string, string>; text?: string };
/** One handler per route operation. */
export type JiraHandlers = Record<JiraOperation, (ctx: Ctx) => Result | Promise<Result>>;

/** The handlers over a model. */
export function jiraHandlers(m: JiraModel): JiraHandlers {
  const { limits, issueTypes, globalPermissionGroups, workflow, statusById, requireIssue, findIssue, userDetails, userBean, statusBean, projectBean, issueTypeBean, createIssueRec, commentBean, validateCommentBody, addCommentRec, availableTransitions, performTransition } = m;

  const requireBody = (ctx: Ctx): Record<string, unknown> => {
    if (!ctx.hasBody || typeof ctx.body !== 'object' || ctx.body === null || Array.isArray(ctx.body)) {
      throw new JiraHttpError(400, ['The request body is missing or is not a JSON object.']);
    }
    return ctx.body as Record<string, unknown>;
  };

  const handlers: JiraHandlers = {
    createIssue(ctx) {
      const body = requireBody(ctx);
      const fields = (body.fields ?? {}) as Record<string, unknown>;
      const errors: Record<string, string> = {};
      const projectRef = fields.project as { id?: string; key?: string } | undefined;
      const project = m.projects.find(
        (p) => (projectRef?.id !== undefined && p.id === String(projectRef.id)) || (projectRef?.key !== undefined && p.key === projectRef.key),
      );
      if (!project) errors.project = 'Specify a valid project ID or key';
      const typeRef = fields.issuetype as { id?: string; name?: string } | undefined;
      const issueType = issueTypes.find(
        (t) => (typeRef?.id !== undefined && t.id === String(typeRef.id)) || (typeRef?.name !== undefined && t.name === typeRef.name),
      );
      if (!issueType) errors.issuetype = 'Specify an issue type';
      const summary = fields.summary;
      if (typeof summary !== 'string' || !summary.trim()) errors.summary = 'You must specify a summary of the issue.';
      else if (summary.length > 255) errors.summary = 'Summary must be less than 255 characters.';
      if (fields.description !== undefined && fields.description !== null && !isAdfDoc(fields.description)) {
        errors.description = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
      }
      let reporter: string | null = ctx.principal;
      const reporterRef = fields.reporter as { accountId?: string } | undefined;
      if (reporterRef) {
        if (!reporterRef.accountId || !m.users.has(reporterRef.accountId)) errors.reporter = 'Specify a valid value for reporter';
        else reporter = reporterRef.accountId;
      }
      if (Object.keys(errors).length) throw new JiraHttpError(400, [], errors);
      const rec = createIssueRec({
        summary: summary as string,
        projectId: project!.id,
        issueTypeId: issueType!.id,
        reporter,
        description: fields.description ?? undefined,
      });
      return { status: 201, body: { id: rec.id, key: rec.key, self: `${m.baseUrl}/rest/api/3/issue/${rec.id}` } };
    },

    getIssue(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      const all: Record<string, () => unknown> = {
        summary: () => issue.summary,
        status: () => statusBean(statusById.get(issue.statusId)!),
        reporter: () => userDetails(issue.reporter),
        issuetype: () => issueTypeBean(issueTypes.find((t) => t.id === issue.issueTypeId)!),
        project: () => projectBean(m.projects.find((p) => p.id === issue.projectId)!),
        created: () => jiraDate(issue.created),
        updated: () => jiraDate(issue.updated),
        description: () => issue.description,
        attachment: () => (issue.attachments ?? []).map((a) => attachmentBean(m.baseUrl, a, userDetails(a.author))),
      };
      const requested = (ctx.query.get('fields') ?? '*all')
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean);
      const wantAll = requested.length === 0 || requested.some((f) => f === '*all' || f === '*navigable');
      const fields: Record<string, unknown> = {};
      for (const [name, get] of Object.entries(all)) {
        if ((wantAll && !requested.includes(`-${name}`)) || requested.includes(name)) fields[name] = get();
      }
      const propKeys = (ctx.query.get('properties') ?? '')
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean);
      const properties: Record<string, unknown> = {};
      for (const k of propKeys) {
        if (k === '*all') Object.assign(properties, structuredClone(issue.properties));
        else if (k in issue.properties) properties[k] = structuredClone(issue.properties[k]);
      }
      return {
        status: 200,
        body: {
          expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
          id: issue.id,
          self: `${m.baseUrl}/rest/api/3/issue/${issue.id}`,
          key: issue.key,
          ...(propKeys.length ? { properties } : {}),
          fields,
        },
      };
    },

    getComments(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      const startAt = Math.max(0, Number(ctx.query.get('startAt') ?? 0) || 0);
      const maxResults = Math.min(5000, Math.max(0, Number(ctx.query.get('maxResults') ?? 5000) || 0));
      const orderBy = ctx.query.get('orderBy') ?? 'created';
      const sorted = [...issue.comments].sort((a, b) => a.created - b.created || Number(a.id) - Number(b.id));
      if (orderBy === '-created') sorted.reverse();
      return {
        status: 200,
        body: {
          startAt,
          maxResults,
          total: sorted.length,
          comments: sorted.slice(startAt, startAt + maxResults).map((c) => commentBean(issue, c)),
        },
      };
    },

    addComment(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      const body = requireBody(ctx);
      validateCommentBody(body.body);
      const c = addCommentRec(issue, ctx.principal, structuredClone(body.body), body.visibility);
      return { status: 201, body: commentBean(issue, c) };
    },

    getTransitions(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      const only = ctx.query.get('transitionId');
      const list = availableTransitions(issue)
        .filter((t) => !only || t.id === only)
        .map((t) => ({
          id: t.id,
          name: t.name,
          to: statusBean(statusById.get(t.to)!),
          hasScreen: false,
          isGlobal: t.from.length === workflow.statuses.length,
          isInitial: false,
          isAvailable: true,
          isConditional: false,
          looped: false,
        }));
      return { status: 200, body: { expand: 'transitions', transitions: list } };
    },

    async doTransition(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      const body = requireBody(ctx);
      const transition = body.transition as { id?: unknown } | undefined;
      if (!transition || transition.id === undefined || transition.id === null || transition.id === '') {
        throw new JiraHttpError(400, ["Missing 'transition' identifier"]);
      }
      const update = body.update as { comment?: Array<{ add?: { body?: unknown } }> } | undefined;
      const commentBody = update?.comment?.find((op) => op.add)?.add?.body;
      await performTransition(issue, String(transition.id), ctx.principal, commentBody === undefined ? undefined : structuredClone(commentBody));
      return { status: 204 };
    },

    getIssuePropertyKeys(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      return {
        status: 200,
        body: {
          keys: Object.keys(issue.properties).map((key) => ({
            self: `${m.baseUrl}/rest/api/3/issue/${issue.id}/properties/${encodeURIComponent(key)}`,
            key,
          })),
        },
      };
    },

    getIssueProperty(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      const key = ctx.params.propertyKey!;
      if (!(key in issue.properties)) throw new JiraHttpError(404, [`The property with key '${key}' does not exist.`]);
      return { status: 200, body: { key, value: structuredClone(issue.properties[key]) } };
    },

    setIssueProperty(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      const key = ctx.params.propertyKey!;
      if (key.length > limits.propertyKeyChars) {
        throw new JiraHttpError(400, [`The property key can not be longer than ${limits.propertyKeyChars} characters.`]);
      }
      if (!ctx.hasBody) throw new JiraHttpError(400, ['The property value can not be empty.']);
      const serialized = JSON.stringify(ctx.body);
      if (serialized.length > limits.propertyValueChars) {
        throw new JiraHttpError(400, [`The property value can not be longer than ${limits.propertyValueChars} characters.`]);
      }
      const existed = key in issue.properties;
      issue.properties[key] = structuredClone(ctx.body);
      return { status: existed ? 200 : 201 };
    },

    deleteIssueProperty(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      const key = ctx.params.propertyKey!;
      if (!(key in issue.properties)) throw new JiraHttpError(404, [`The property with key '${key}' does not exist.`]);
      delete issue.properties[key];
      return { status: 204 };
    },

    getUser(ctx) {
      const accountId = ctx.query.get('accountId');
      if (!accountId) throw new JiraHttpError(400, ["The query parameter 'accountId' is required."]);
      const u = m.users.get(accountId);
      if (!u) throw new JiraHttpError(404, [`Specified user does not exist or you do not have required permissions`]);
      return { status: 200, body: userBean(u) };
    },

    getUserGroups(ctx) {
      const accountId = ctx.query.get('accountId');
      if (!accountId) throw new JiraHttpError(400, ["The query parameter 'accountId' is required."]);
      const u = m.users.get(accountId);
      if (!u) throw new JiraHttpError(404, [`Specified user does not exist or you do not have required permissions`]);
      return {
        status: 200,
        body: u.groups.map((g) => ({
          name: g.name,
          groupId: g.groupId,
          self: `${m.baseUrl}/rest/api/3/group?groupId=${encodeURIComponent(g.groupId)}`,
        })),
      };
    },

    getCurrentUser(ctx) {
      const u = m.users.get(ctx.principal);
      if (!u) throw new JiraHttpError(401, ['You are not authenticated. Authentication required to perform this operation.']);
      return { status: 200, body: userBean(u) };
    },

    /**
     * The CALLING user's permissions (the principal: the act-as-user account of an `asUser()`
     * call, the app's own user for `asApp()`). Global permissions come from the user's groups and
     * ignore the context; a project or issue named in the query must exist (404 otherwise).
     * Project permissions are held by every active licensed (`atlassian`) user: the emulated
     * site has one project with Jira's default permission scheme, which grants them to all users.
     */
    getMyPermissions(ctx) {
      const raw = ctx.query.get('permissions');
      const keys = (raw ?? '').split(',').map((k) => k.trim()).filter(Boolean);
      if (keys.length === 0) throw new JiraHttpError(400, ['The permissions parameter is required and must not be empty.']);
      const unknown = keys.filter((k) => !(k in GLOBAL_PERMISSIONS) && !(PROJECT_PERMISSIONS as readonly string[]).includes(k));
      if (unknown.length) throw new JiraHttpError(400, [`Unrecognized permission keys: ${unknown.join(', ')}.`]);
      const issueRef = ctx.query.get('issueId') ?? ctx.query.get('issueKey');
      if (issueRef && !findIssue(issueRef)) throw notFoundIssue();
      const projectId = ctx.query.get('projectId');
      const projectKey = ctx.query.get('projectKey');
      if ((projectId && !m.projects.some((p) => p.id === projectId)) || (!projectId && projectKey && !m.projects.some((p) => p.key === projectKey))) {
        throw new JiraHttpError(404, ['No project could be found with the given id or key.']);
      }
      const u = m.users.get(ctx.principal);
      const groups = new Set((u?.groups ?? []).map((g) => g.name));
      const permissions: Record<string, unknown> = {};
      for (const key of keys) {
        const global = key in GLOBAL_PERMISSIONS;
        const have = !!u?.active && (global ? (globalPermissionGroups[key] ?? []).some((g) => groups.has(g)) : u.accountType === 'atlassian');
        const id = global ? Object.keys(GLOBAL_PERMISSIONS).indexOf(key) + 1 : 100 + (PROJECT_PERMISSIONS as readonly string[]).indexOf(key);
        permissions[key] = {
          id: String(id),
          key,
          name: global ? GLOBAL_PERMISSIONS[key] : key.toLowerCase().replace(/_/g, ' '),
          type: global ? 'GLOBAL' : 'PROJECT',
          description: global ? GLOBAL_PERMISSIONS[key] : `Project permission ${key}`,
          havePermission: have,
        };
      }
      return { status: 200, body: { permissions } };
    },
    ...attachmentHandlers(m),
  };
  return handlers;
}
