/**
 * The organizations API's v2 directory and group operations: directories, group search and reads, memberships. Request in, response out; no HTTP
 * here. Where the spec is silent the choice is marked GUESS (and listed in README.md).
 */
import { type ApiContext, type ApiRequest, type ApiResponse, appError } from './api';
import { checkInt, checkString, checkStringArray, cursorLinks, decodeCursor, searchRequest, directoryForWrite, directoryMissing, findGroup, firstProblem, groupMissing, inDirectory, invalidCursor, orgMissing, page, parseJsonObject, readAri, findUser } from './api-common';
import { type GroupRecord, ORG_ADMIN_ROLE, orgAdmins } from './model';
import type { OrgOperation } from './routes';
import { actorOf } from './events';

// ---------------------------------------------------------------------------------------------
// v2: directories and groups.

function getDirectories(ctx: ApiContext, req: ApiRequest): ApiResponse {
  const notFound = orgMissing(ctx, req.params.orgId, 'ADMIN-404-2');
  if (notFound) return notFound;
  return { status: 200, body: { data: ctx.directories.map((d) => ({ directoryId: d.id, name: d.name })), links: {} } };
}

function groupModel(g: GroupRecord, counts: boolean) {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    directoryId: g.directoryId,
    externalSynced: g.externalSynced,
    managedBy: g.externalSynced ? 'external' : 'admins',
    managementAccess: { readable: true, modifiable: !g.externalSynced, deletable: !g.externalSynced },
    ...(counts ? { counts: { users: g.members.length, resources: new Set(g.roles.map((r) => r.resource)).size } } : {}),
  };
}

function getGroup(ctx: ApiContext, req: ApiRequest): ApiResponse {
  const { orgId, directoryId, groupId } = req.params;
  const notFound = orgMissing(ctx, orgId, 'ADMIN-404-2') ?? directoryMissing(ctx, directoryId);
  if (notFound) return notFound;
  const world = ctx.state.read();
  const g = findGroup(world, directoryId, groupId);
  if (!g) return groupMissing(groupId);
  return { status: 200, body: { data: groupModel(g, true) } };
}

function searchGroups(ctx: ApiContext, req: ApiRequest): ApiResponse {
  const read = searchRequest(ctx, req, 'searchGroups');
  if ('status' in read) return read;
  const { f, offset, scope, directoryId } = read;
  const problem = firstProblem(
    checkStringArray(f.accountIds, 'accountIds', { min: 1, max: 10, unique: true }),
    checkStringArray(f.directoryIds, 'directoryIds', { min: 1, max: 10, unique: true }),
    checkStringArray(f.expand, 'expand', { min: 1, max: 2, unique: true, enumOf: ['counts.resources', 'counts.users'] }),
    checkStringArray(f.groupIds, 'groupIds', { min: 1, max: 10, unique: true }),
    checkStringArray(f.groupNames, 'groupNames', { min: 1, max: 100, unique: true }),
    checkStringArray(f.resourceIds, 'resourceIds', { min: 1, max: 20, unique: true }),
    checkStringArray(f.roleIds, 'roleIds', { min: 1, max: 10, unique: true }),
    checkString(f.searchTerm, 'searchTerm'),
    checkInt(f.limit, 'limit', 1, 100),
    f.groupIds !== undefined && f.groupNames !== undefined ? '`groupIds` and `groupNames` are mutually exclusive' : null,
    f.searchTerm !== undefined && f.groupNames !== undefined ? '`searchTerm` and `groupNames` are mutually exclusive' : null,
  );
  if (problem) return appError(400, 'ADMIN-400-24', problem, 'Invalid request body');
  const world = ctx.state.read();
  const term = typeof f.searchTerm === 'string' ? f.searchTerm.toLowerCase() : undefined;
  const names = (f.groupNames as string[] | undefined)?.map((n) => n.toLowerCase());
  const groups = world.groups
    .filter((g) => inDirectory(directoryId, g.directoryId))
    .filter((g) => !f.groupIds || (f.groupIds as string[]).includes(g.id))
    .filter((g) => !names || names.includes(g.name.toLowerCase()))
    .filter((g) => !term || g.name.toLowerCase().includes(term))
    .filter((g) => !f.directoryIds || (f.directoryIds as string[]).includes(g.directoryId))
    .filter((g) => !f.accountIds || g.members.some((m) => (f.accountIds as string[]).includes(m)))
    .filter((g) => !f.roleIds || g.roles.some((r) => (f.roleIds as string[]).includes(r.role)))
    .filter((g) => !f.resourceIds || g.roles.some((r) => (f.resourceIds as string[]).includes(readAri(ctx, world, r.resource))))
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  const limit = Math.min((f.limit as number | undefined) ?? 20, ctx.pageSize);
  const p = page(groups, offset, limit);
  const counts = Array.isArray(f.expand) && f.expand.length > 0;
  return {
    status: 200,
    body: { data: p.items.map((g) => groupModel(g, counts)), links: cursorLinks('searchGroups', scope, f, offset, p) },
  };
}

function scimRefusal(g: GroupRecord): ApiResponse {
  // Spec: "You can't add a user to a group synced from an identity provider. Manage this group in your
  // identity provider instead." GUESS: the status and code (403 ADMIN-403-5, "Not allowed to manage the
  // group") are not documented for this case.
  return appError(
    403,
    'ADMIN-403-5',
    `Group \`${g.name}\` is synced from an identity provider. You can't change its members here; manage this group in your identity provider instead.`,
    'Not allowed to manage the group',
  );
}

function addGroupMember(ctx: ApiContext, req: ApiRequest): ApiResponse {
  const { orgId, directoryId, groupId } = req.params;
  const notFound = orgMissing(ctx, orgId, 'ADMIN-404-2');
  if (notFound) return notFound;
  const parsed = parseJsonObject(req.body, false);
  if (!parsed.ok) return appError(400, 'ADMIN-400-24', parsed.problem, 'Invalid request body');
  const accountId = parsed.value.accountId;
  if (accountId === undefined) return appError(400, 'ADMIN-400-24', '`accountId` is required', 'Invalid request body');
  if (typeof accountId !== 'string' || accountId === '') {
    return appError(400, 'ADMIN-400-24', '`accountId` must be a non-empty string', 'Invalid request body');
  }
  const dirMissing = directoryForWrite(ctx, directoryId);
  if (dirMissing) return dirMissing;
  const truth = ctx.state.truth;
  const g = findGroup(truth, directoryId, groupId);
  if (!g) return groupMissing(groupId);
  const user = findUser(truth, accountId);
  if (!user) return appError(404, 'ADMIN-404-8', `User \`${accountId}\` was not found`, 'User not found');
  // Spec: "The user must be in the same directory as the group." GUESS: otherwise the user is not found.
  if (user.directoryId !== g.directoryId) {
    return appError(404, 'ADMIN-404-8', `User \`${accountId}\` was not found in the directory of group \`${g.name}\``, 'User not found');
  }
  if (g.externalSynced) return scimRefusal(g);
  // Spec: 409 "The user is already in the group". GUESS: the code (ADMIN-409-28, "Conflict").
  if (g.members.includes(accountId)) return appError(409, 'ADMIN-409-28', `User \`${accountId}\` is already a member of group \`${g.name}\``);
  ctx.state.write({ kind: 'addMember', groupId: g.id, accountId });
  ctx.auditLog.record({ action: 'group_member_added', actor: actorOf(ctx), context: [{ type: 'group', id: g.id, name: g.name }, { type: 'user', id: accountId }] });
  return { status: 204 };
}

function removeGroupMember(ctx: ApiContext, req: ApiRequest): ApiResponse {
  const { orgId, directoryId, groupId, accountId } = req.params;
  const notFound = orgMissing(ctx, orgId, 'ADMIN-404-2') ?? directoryForWrite(ctx, directoryId);
  if (notFound) return notFound;
  const truth = ctx.state.truth;
  const g = findGroup(truth, directoryId, groupId);
  if (!g) return groupMissing(groupId);
  if (!findUser(truth, accountId)) return appError(404, 'ADMIN-404-8', `User \`${accountId}\` was not found`, 'User not found');
  if (g.externalSynced) return scimRefusal(g);
  // Spec: 404 "We couldn't find the organization, directory, group, or user". GUESS: removing a
  // non-member is that 404, with code ADMIN-404-1 ("Unknown resource").
  if (!g.members.includes(accountId)) {
    return appError(404, 'ADMIN-404-1', `User \`${accountId}\` is not a member of group \`${g.name}\``, 'Unknown resource');
  }
  if (g.roles.some((r) => r.role === ORG_ADMIN_ROLE)) {
    // The lockout rule also holds when org admin comes from a group (e.g. a legacy org-admins group).
    const after = structuredClone(truth);
    const ag = after.groups.find((x) => x.id === g.id)!;
    ag.members = ag.members.filter((m) => m !== accountId);
    if (orgAdmins(truth, ctx.orgId).length > 0 && orgAdmins(after, ctx.orgId).length === 0) {
      // GUESS: status and code (403 ADMIN-403-3, "Not allowed to manage the org").
      return appError(
        403,
        'ADMIN-403-3',
        `Removing \`${accountId}\` from group \`${g.name}\` would leave the organization without an organization admin`,
        'Not allowed to manage the org',
      );
    }
  }
  ctx.state.write({ kind: 'removeMember', groupId: g.id, accountId });
  ctx.auditLog.record({ action: 'group_member_removed', actor: actorOf(ctx), context: [{ type: 'group', id: g.id, name: g.name }, { type: 'user', id: accountId }] });
  return { status: 204 };
}

/** v2 operations: directories and groups. Adding an endpoint here: one entry (method, spec path, purpose, the spec's scopes, handler). */
export const GROUP_OPERATIONS = {
  getDirectories: { method: 'GET', path: '/admin/v2/orgs/{orgId}/directories', purpose: 'discover directory ids', scopes: ['read:directories:admin'], handle: getDirectories },
  searchGroups: { method: 'POST', path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/search', purpose: 'discover group ids', scopes: [], handle: searchGroups },
  getGroup: { method: 'GET', path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}', purpose: 'read a group (externalSynced)', scopes: [], handle: getGroup },
  addGroupMember: { method: 'POST', path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships', purpose: 'add a user to a group', scopes: [], handle: addGroupMember },
  removeGroupMember: { method: 'DELETE', path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships/{accountId}', purpose: 'remove a user from a group', scopes: [], handle: removeGroupMember },
} satisfies Record<string, OrgOperation>;
