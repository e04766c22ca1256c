/**
 * The organizations API's v2 user operations: user search and the role-assignment reads of users and groups. Request in, response out; no HTTP
 * here. Where the spec is silent the choice is marked GUESS (and listed in README.md).
 */
import { type ApiContext, type ApiRequest, type ApiResponse, appError } from './api';
import { checkInt, checkString, checkStringArray, cursorLinks, decodeCursor, searchRequest, directoryMissing, findGroup, firstProblem, groupMissing, inDirectory, invalidCursor, type Json, orgMissing, page, parseJsonObject, readAri, findUser } from './api-common';
import { assignmentsOf, PLATFORM_ROLES, resourceOwnerOf, ROLE_IDS, type UserRecord, type World } from './model';
import type { OrgOperation } from './routes';

// ---------------------------------------------------------------------------------------------
// v2: users.

function userStatus(u: UserRecord): string {
  if (u.accountStatus !== 'active') return 'deactivated';
  if (u.membershipStatus === 'suspended') return 'suspended';
  if (u.membershipStatus === 'no_membership') return 'not_invited';
  return 'active';
}

function userModel(ctx: ApiContext, world: World, u: UserRecord, expand: string[], directoryId: string) {
  const base: Json = {
    accountId: u.accountId,
    accountType: 'atlassian',
    accountStatus: u.accountStatus,
    membershipStatus: u.membershipStatus,
    status: userStatus(u),
    name: u.name,
    nickname: u.nickname,
    email: u.email,
    emailVerified: true,
    claimStatus: 'managed',
    addedToOrg: u.addedToOrg,
  };
  if (expand.includes('platformRoles')) {
    const roles = new Set(assignmentsOf(world, ctx.orgId, u.accountId).map((a) => a.role));
    base.platformRoles = PLATFORM_ROLES.filter((r) => roles.has(r));
  }
  if (expand.includes('groups')) {
    base.groups = world.groups
      .filter((g) => inDirectory(directoryId, g.directoryId) && g.members.includes(u.accountId))
      .map((g) => ({ id: g.id, name: g.name, description: g.description }));
  }
  if (expand.includes('counts.resources')) {
    base.counts = { resources: new Set(assignmentsOf(world, ctx.orgId, u.accountId).map((a) => a.resource)).size };
  }
  return base;
}

function searchUsers(ctx: ApiContext, req: ApiRequest): ApiResponse {
  const read = searchRequest(ctx, req, 'searchUsers');
  if ('status' in read) return read;
  const { f, offset, scope, directoryId } = read;
  const problem = firstProblem(
    checkStringArray(f.accountIds, 'accountIds', { min: 1, max: 10 }),
    checkStringArray(f.accountStatus, 'accountStatus', { min: 1, max: 3, enumOf: ['active', 'inactive', 'closed'] }),
    checkStringArray(f.directoryIds, 'directoryIds', { min: 1, max: 10 }),
    checkStringArray(f.emailDomains, 'emailDomains', { min: 1, max: 10 }),
    checkStringArray(f.emails, 'emails', { min: 1, max: 100, unique: true }),
    checkStringArray(f.expand, 'expand', { unique: true, enumOf: ['platformRoles', 'counts.resources', 'productAccess', 'groups'] }),
    checkStringArray(f.groupIds, 'groupIds', { min: 1, max: 10 }),
    checkStringArray(f.resourceIds, 'resourceIds', { min: 1, max: 20 }),
    checkStringArray(f.roleIds, 'roleIds', { min: 1, max: 10, enumOf: ROLE_IDS }),
    checkStringArray(f.status, 'status', { min: 1, max: 4, enumOf: ['active', 'suspended', 'not_invited', 'deactivated', 'for_deletion'] }),
    checkString(f.searchTerm, 'searchTerm'),
    checkInt(f.limit, 'limit', 1, 100),
    f.searchTerm !== undefined && f.emails !== undefined ? '`searchTerm` and `emails` are mutually exclusive' : null,
  );
  if (problem) return appError(400, 'ADMIN-400-24', problem, 'Invalid request body');
  const world = ctx.state.read();
  const has = (k: string) => Array.isArray(f[k]);
  const list = (k: string) => f[k] as string[];
  const term = typeof f.searchTerm === 'string' ? f.searchTerm.toLowerCase() : undefined;
  const users = world.users
    .filter((u) => inDirectory(directoryId, u.directoryId))
    .filter((u) => !has('accountIds') || list('accountIds').includes(u.accountId))
    .filter((u) => !has('directoryIds') || list('directoryIds').includes(u.directoryId))
    .filter((u) => !has('accountStatus') || list('accountStatus').includes(u.accountStatus))
    .filter((u) => !has('status') || list('status').includes(userStatus(u)))
    .filter((u) => !has('emails') || list('emails').some((e) => e.toLowerCase() === u.email.toLowerCase()))
    .filter((u) => !has('emailDomains') || list('emailDomains').some((d) => u.email.toLowerCase().endsWith(`@${d.toLowerCase().replace(/^@/, '')}`)))
    .filter((u) => !term || [u.name, u.nickname, u.email].some((s) => s.toLowerCase().includes(term)))
    .filter((u) => !has('groupIds') || world.groups.some((g) => list('groupIds').includes(g.id) && g.members.includes(u.accountId)))
    .filter((u) => {
      if (!has('roleIds') && !has('resourceIds')) return true;
      // A user matches when they hold one of the roles on one of the resources, by ANY method
      // (direct, through a group, or inferred: an org admin matches site-admin on every site).
      // GUESS: `resourceIds` match the form role reads answer in (`readAri`), not every form of a site.
      return assignmentsOf(world, ctx.orgId, u.accountId).some(
        (a) => (!has('roleIds') || list('roleIds').includes(a.role)) && (!has('resourceIds') || list('resourceIds').includes(readAri(ctx, world, a.resource))),
      );
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.accountId.localeCompare(b.accountId));
  const limit = Math.min((f.limit as number | undefined) ?? 50, ctx.pageSize);
  const p = page(users, offset, limit);
  const expand = has('expand') ? list('expand') : [];
  return {
    status: 200,
    body: { data: p.items.map((u) => userModel(ctx, world, u, expand, directoryId)), links: cursorLinks('searchUsers', scope, f, offset, p) },
  };
}

/** Query arrays arrive exploded (`roleIds=a&roleIds=b`, the OpenAPI default); comma lists are accepted too. */
function queryList(q: URLSearchParams, name: string): string[] | undefined {
  const values = q.getAll(name).flatMap((v) => v.split(',')).filter((v) => v !== '');
  return q.has(name) ? values : undefined;
}

/**
 * The filters of a role-assignments read (user or group): from its cursor, or from the query on a
 * first page, checked against the spec's bounds either way. An `ApiResponse` is the refusal.
 */
function roleAssignmentFilters(req: ApiRequest, route: 'getUserRoleAssignments' | 'getGroupRoleAssignments', scope: string): { f: Json; offset: number } | ApiResponse {
  let f: Json;
  let offset = 0;
  const rawCursor = req.query.get('cursor');
  if (rawCursor !== null) {
    const c = decodeCursor(rawCursor, route, scope);
    if (!c) return invalidCursor();
    f = c.f;
    offset = c.o;
  } else {
    const rawLimit = req.query.get('limit');
    f = {
      roleIds: queryList(req.query, 'roleIds'),
      resourceIds: queryList(req.query, 'resourceIds'),
      resourceOwners: queryList(req.query, 'resourceOwners'),
      directoryIds: queryList(req.query, 'directoryIds'),
      limit: rawLimit === null ? undefined : /^\d+$/.test(rawLimit) ? Number(rawLimit) : rawLimit,
    };
  }
  const problem = firstProblem(
    checkStringArray(f.roleIds, 'roleIds', { min: 1, max: 10, enumOf: ROLE_IDS }),
    checkStringArray(f.resourceIds, 'resourceIds', { min: 1, max: 20 }),
    checkStringArray(f.resourceOwners, 'resourceOwners', { min: 1, max: 10 }),
    checkStringArray(f.directoryIds, 'directoryIds', { min: 1, max: 10 }),
    checkInt(f.limit, 'limit', 1, 100),
  );
  if (problem) return appError(400, 'ADMIN-400-19', problem, 'Request syntax is not valid');
  return { f, offset };
}

function getUserRoleAssignments(ctx: ApiContext, req: ApiRequest): ApiResponse {
  const { orgId, directoryId, accountId } = req.params;
  const notFound = orgMissing(ctx, orgId, 'ADMIN-404-2') ?? directoryMissing(ctx, directoryId);
  if (notFound) return notFound;
  const scope = `${orgId}/${directoryId}/${accountId}`;
  const read = roleAssignmentFilters(req, 'getUserRoleAssignments', scope);
  if ('status' in read) return read;
  const { f, offset } = read;
  const world = ctx.state.read();
  // GUESS: the spec documents 404 only for an unknown org or directory; an account that isn't in the
  // org is also a 404 here (ADMIN-404-8, "User not found") rather than an empty page.
  if (!findUser(world, accountId)) return appError(404, 'ADMIN-404-8', `User \`${accountId}\` was not found`, 'User not found');
  const roleIds = f.roleIds as string[] | undefined;
  const resourceIds = f.resourceIds as string[] | undefined;
  const owners = f.resourceOwners as string[] | undefined;
  const byResource = new Map<string, Array<{ role: string; roleAssignmentMethods: string[] }>>();
  for (const a of assignmentsOf(world, ctx.orgId, accountId)) {
    const resource = readAri(ctx, world, a.resource);
    if (roleIds && !roleIds.includes(a.role)) continue;
    if (resourceIds && !resourceIds.includes(resource)) continue;
    if (owners && !owners.includes(resourceOwnerOf(resource))) continue;
    const list = byResource.get(resource) ?? [];
    list.push({ role: a.role, roleAssignmentMethods: [...a.methods] });
    byResource.set(resource, list);
  }
  const entries = [...byResource.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([resourceId, roleAssignments]) => ({
      resourceId,
      resourceOwner: resourceOwnerOf(resourceId),
      // Spec: null for platform roles not tied to a directory (org-admin, site-admin).
      directoryId: null,
      userDirectoryStatus: null,
      roleAssignments,
      roles: roleAssignments.map((r) => r.role),
    }));
  const limit = Math.min((f.limit as number | undefined) ?? 20, ctx.pageSize);
  const p = page(entries, offset, limit);
  return { status: 200, body: { data: p.items, links: cursorLinks('getUserRoleAssignments', scope, f, offset, p) } };
}

/**
 * A group's roles per resource (spec `getGroupRoleAssignments`): what the group gives each member
 * (`group_direct` in the members' own role-assignment reads).
 */
function getGroupRoleAssignments(ctx: ApiContext, req: ApiRequest): ApiResponse {
  const { orgId, directoryId, groupId } = req.params;
  const notFound = orgMissing(ctx, orgId, 'ADMIN-404-2') ?? directoryMissing(ctx, directoryId);
  if (notFound) return notFound;
  const scope = `${orgId}/${directoryId}/${groupId}`;
  const read = roleAssignmentFilters(req, 'getGroupRoleAssignments', scope);
  if ('status' in read) return read;
  const { f, offset } = read;
  const world = ctx.state.read();
  const g = findGroup(world, directoryId, groupId);
  if (!g) return groupMissing(groupId);
  const roleIds = f.roleIds as string[] | undefined;
  const resourceIds = f.resourceIds as string[] | undefined;
  const owners = f.resourceOwners as string[] | undefined;
  const byResource = new Map<string, string[]>();
  for (const r of g.roles) {
    const resource = readAri(ctx, world, r.resource);
    if (roleIds && !roleIds.includes(r.role)) continue;
    if (resourceIds && !resourceIds.includes(resource)) continue;
    if (owners && !owners.includes(resourceOwnerOf(resource))) continue;
    const roles = byResource.get(resource) ?? [];
    if (!roles.includes(r.role)) roles.push(r.role);
    byResource.set(resource, roles);
  }
  const entries = [...byResource.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([resourceId, roles]) => ({ resourceId, resourceOwner: resourceOwnerOf(resourceId), roles, defaultRole: null }));
  const limit = Math.min((f.limit as number | undefined) ?? 20, ctx.pageSize);
  const p = page(entries, offset, limit);
  return { status: 200, body: { data: p.items, links: cursorLinks('getGroupRoleAssignments', scope, f, offset, p) } };
}

/** v2 operations: users and role-assignment reads. Adding an endpoint here: one entry (method, spec path, purpose, the spec's scopes, handler). */
export const USER_OPERATIONS = {
  searchUsers: { method: 'POST', path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/users/search', purpose: 'list holders of a role or members of a group', scopes: [], handle: searchUsers },
  getUserRoleAssignments: { method: 'GET', path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/role-assignments', purpose: "read one user's role assignments and how they were assigned", scopes: ['read:directories:admin'], handle: getUserRoleAssignments },
  getGroupRoleAssignments: { method: 'GET', path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments', purpose: 'read the roles a group gives its members (access through a group)', scopes: ['read:groups:admin'], handle: getGroupRoleAssignments },
} satisfies Record<string, OrgOperation>;
