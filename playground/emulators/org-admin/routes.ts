/**
 * The spec operations the emulator serves, as data. Paths are the real URLs: the spec's server is
 * `https://api.atlassian.com/admin`, so its `/v1/...` paths are served under `/admin/v1/...`.
 * Parameter names follow the spec's templates (it names the same account `{userId}` on the v1 role
 * endpoints and `{accountId}` elsewhere). The conformance test enumerates this table against the spec.
 */

export type RouteId =
  | 'getOrgs'
  | 'getOrgById'
  | 'assignOrgRole'
  | 'revokeOrgRole'
  | 'assignRole'
  | 'revokeRole'
  | 'getDirectories'
  | 'searchGroups'
  | 'getGroup'
  | 'addGroupMember'
  | 'removeGroupMember'
  | 'searchUsers'
  | 'getUserRoleAssignments'
  | 'getGroupRoleAssignments'
  | 'queryWorkspaces'
  | 'getEvents'
  | 'getEvent';

export interface RouteDef {
  id: RouteId;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** What the app (or a person setting it up) uses it for. */
  purpose: string;
  /**
   * The API-key scopes the spec names for the operation ("Authorization scopes required"). Empty: the
   * operation has no scopes, so only an API key WITHOUT scopes can call it.
   */
  scopes: readonly string[];
}

export const ORG_ADMIN_ROUTES: readonly RouteDef[] = [
  { id: 'getOrgs', method: 'GET', path: '/admin/v1/orgs', purpose: 'discover the org id of the API key', scopes: [] },
  { id: 'getOrgById', method: 'GET', path: '/admin/v1/orgs/{orgId}', purpose: 'check the org id and key', scopes: ['read:orgs:admin'] },
  {
    id: 'assignOrgRole',
    method: 'POST',
    path: '/admin/v1/orgs/{orgId}/users/{userId}/role-assignments/assign',
    purpose: 'grant atlassian/org-admin',
    scopes: [],
  },
  {
    id: 'revokeOrgRole',
    method: 'POST',
    path: '/admin/v1/orgs/{orgId}/users/{userId}/role-assignments/revoke',
    purpose: 'revoke atlassian/org-admin',
    scopes: [],
  },
  { id: 'assignRole', method: 'POST', path: '/admin/v1/orgs/{orgId}/users/{userId}/roles/assign', purpose: 'grant a role on a resource', scopes: [] },
  { id: 'revokeRole', method: 'POST', path: '/admin/v1/orgs/{orgId}/users/{userId}/roles/revoke', purpose: 'revoke a role on a resource', scopes: [] },
  { id: 'getDirectories', method: 'GET', path: '/admin/v2/orgs/{orgId}/directories', purpose: 'discover directory ids', scopes: ['read:directories:admin'] },
  {
    id: 'searchGroups',
    method: 'POST',
    path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/search',
    purpose: 'discover group ids',
    scopes: [],
  },
  {
    id: 'getGroup',
    method: 'GET',
    path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}',
    purpose: 'read a group (externalSynced)',
    scopes: [],
  },
  {
    id: 'addGroupMember',
    method: 'POST',
    path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships',
    purpose: 'add a user to a group',
    scopes: [],
  },
  {
    id: 'removeGroupMember',
    method: 'DELETE',
    path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships/{accountId}',
    purpose: 'remove a user from a group',
    scopes: [],
  },
  {
    id: 'searchUsers',
    method: 'POST',
    path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/users/search',
    purpose: 'list holders of a role or members of a group',
    scopes: [],
  },
  {
    id: 'getUserRoleAssignments',
    method: 'GET',
    path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/role-assignments',
    purpose: "read one user's role assignments and how they were assigned",
    scopes: ['read:directories:admin'],
  },
  {
    id: 'getGroupRoleAssignments',
    method: 'GET',
    path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments',
    purpose: 'read the roles a group gives its members (access through a group)',
    scopes: ['read:groups:admin'],
  },
  { id: 'queryWorkspaces', method: 'POST', path: '/admin/v2/orgs/{orgId}/workspaces', purpose: 'discover site and product resource ids', scopes: ['read:workspaces:admin'] },
  { id: 'getEvents', method: 'GET', path: '/admin/v1/orgs/{orgId}/events', purpose: "read the audit log (an elevated person's evidence pack)", scopes: ['read:events:admin'] },
  { id: 'getEvent', method: 'GET', path: '/admin/v1/orgs/{orgId}/events/{eventId}', purpose: 'read one audit-log event', scopes: ['read:events:admin'] },
];

/** `METHOD /path/template`, the key of the per-route counters. */
export const routeKey = (r: Pick<RouteDef, 'method' | 'path'>): string => `${r.method} ${r.path}`;

const split = (p: string): string[] => p.split('/').filter((s) => s.length > 0);

export type RouteMatch =
  | { kind: 'match'; route: RouteDef; params: Record<string, string> }
  | { kind: 'wrongMethod'; allowed: string[] }
  | { kind: 'none' };

/** Finds the route for a request path (already stripped of its query). Literal segments win over parameters. */
export function matchRoute(method: string, pathname: string): RouteMatch {
  const segs = split(pathname);
  let best: { route: RouteDef; params: Record<string, string>; literals: number } | undefined;
  const allowed = new Set<string>();
  for (const route of ORG_ADMIN_ROUTES) {
    const tpl = split(route.path);
    if (tpl.length !== segs.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    let ok = true;
    for (let i = 0; i < tpl.length && ok; i++) {
      const t = tpl[i];
      if (t.startsWith('{') && t.endsWith('}')) {
        let value: string;
        try {
          value = decodeURIComponent(segs[i]);
        } catch {
          ok = false;
          break;
        }
        params[t.slice(1, -1)] = value;
      } else if (t === segs[i]) {
        literals++;
      } else {
        ok = false;
      }
    }
    if (!ok) continue;
    if (route.method !== method) {
      allowed.add(route.method);
      continue;
    }
    if (!best || literals > best.literals) best = { route, params, literals };
  }
  if (best) return { kind: 'match', route: best.route, params: best.params };
  if (allowed.size) return { kind: 'wrongMethod', allowed: [...allowed] };
  return { kind: 'none' };
}
