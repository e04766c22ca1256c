/**
 * The Jira REST v3 operations the emulator serves, as data (the single source of truth for dispatch and for the
 * conformance test, which enumerates this table against the spec).
 *
 * Adding an endpoint: one entry in `jiraRoutes` below and its handler under the same `operation` name in
 * handlers.ts (`JiraHandlers` is keyed by this table, so the compiler insists). The server, router, request log
 * and fault injection take it from here; the spec subset must hold the operation (scripts/refresh-specs.ts), or
 * the OpenAPI gate refuses it before it is routed.
 */
import { RouteTable, type RouteLookup } from '../../http/router';

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
