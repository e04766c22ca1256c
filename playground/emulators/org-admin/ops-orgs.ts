/**
 * The organizations API's v1 operations: orgs, and role assignment (org-level and on a resource). Request in, response out; no HTTP
 * here. Where the spec is silent the choice is marked GUESS (and listed in README.md).
 */
import { type ApiContext, type ApiRequest, type ApiResponse, appError } from './api';
import { orgMissing, parseJsonObject, resourceKind, findUser } from './api-common';
import { canonicalResource, hasDirect, ORG_ADMIN_ROLE, orgAdmins, orgAri, ROLE_API_ROLES, SITE_ADMIN_ROLE, type World } from './model';
import type { OrgOperation } from './routes';
import { recordRoleEvent } from './events';

// ---------------------------------------------------------------------------------------------
// v1: orgs.

function orgModel(ctx: ApiContext) {
  const self = `${ctx.publicUrl}/admin/v1/orgs/${ctx.orgId}`;
  return {
    id: ctx.orgId,
    type: 'orgs',
    attributes: { name: ctx.orgName },
    relationships: {
      domains: { links: { related: `${self}/domains` } },
      users: { links: { related: `${self}/users` } },
    },
    links: { self },
  };
}

function getOrgs(ctx: ApiContext): ApiResponse {
  // An organization API key sees exactly one org.
  return { status: 200, body: { data: [orgModel(ctx)], links: { self: `${ctx.publicUrl}/admin/v1/orgs` } } };
}

function getOrgById(ctx: ApiContext, req: ApiRequest): ApiResponse {
  return orgMissing(ctx, req.params.orgId, 'ADMIN-404-2') ?? { status: 200, body: { data: orgModel(ctx) } };
}

// ---------------------------------------------------------------------------------------------
// v1: role assignment. The spec documents ADMIN-UAM-* codes here, and one 404 code (ADMIN-UAM-404-3,
// "We couldn't find the organization or user") for every kind of "not found".

type RoleChange = { role: string; resource: string; orgLevel: boolean };

function parseOrgRoleBody(raw: string): { ok: true; change: RoleChange } | { ok: false; res: ApiResponse } {
  const parsed = parseJsonObject(raw, false);
  if (!parsed.ok) return { ok: false, res: appError(400, 'ADMIN-UAM-400-1', parsed.problem) };
  const role = parsed.value.role;
  if (role === undefined) return { ok: false, res: appError(400, 'ADMIN-UAM-400-1', '`role` is required') };
  if (role !== ORG_ADMIN_ROLE) {
    return { ok: false, res: appError(400, 'ADMIN-UAM-400-1', `\`role\` must be \`${ORG_ADMIN_ROLE}\` for an organization-level role`) };
  }
  return { ok: true, change: { role, resource: '', orgLevel: true } };
}

function parseRoleBody(ctx: ApiContext, world: World, raw: string): { ok: true; change: RoleChange } | { ok: false; res: ApiResponse } {
  const parsed = parseJsonObject(raw, false);
  if (!parsed.ok) return { ok: false, res: appError(400, 'ADMIN-UAM-400-1', parsed.problem) };
  const { role, resource } = parsed.value;
  if (role === undefined) return { ok: false, res: appError(400, 'ADMIN-UAM-400-1', '`role` is required') };
  if (typeof role !== 'string' || !(ROLE_API_ROLES as readonly string[]).includes(role)) {
    return { ok: false, res: appError(400, 'ADMIN-UAM-400-1', `\`role\` has an unknown value \`${String(role)}\``) };
  }
  // Spec: "Any resource passed for org-admin shall be ignored".
  if (role === ORG_ADMIN_ROLE) return { ok: true, change: { role, resource: '', orgLevel: true } };
  if (resource === undefined || resource === '') {
    return { ok: false, res: appError(400, 'ADMIN-UAM-400-1', `\`resource\` is required for role \`${role}\``) };
  }
  if (typeof resource !== 'string') return { ok: false, res: appError(400, 'ADMIN-UAM-400-1', '`resource` must be a string') };
  const kind = resourceKind(ctx, world, role, resource);
  if (kind.kind === 'unknown' || kind.kind === 'org') {
    return { ok: false, res: appError(404, 'ADMIN-UAM-404-3', `Resource \`${resource}\` was not found in this organization`, 'Resource not found') };
  }
  const fits = role === SITE_ADMIN_ROLE ? kind.kind === 'site' : kind.kind === 'product';
  if (!fits) {
    return {
      ok: false,
      res: appError(400, 'ADMIN-UAM-400-3', `Role \`${role}\` can't be assigned on resource \`${resource}\``, 'Invalid Role for Resource'),
    };
  }
  return { ok: true, change: { role, resource: canonicalResource(world, role, resource), orgLevel: false } };
}


function assignRoleCommon(ctx: ApiContext, req: ApiRequest, orgLevelOnly: boolean): ApiResponse {
  const notFound = orgMissing(ctx, req.params.orgId, 'ADMIN-UAM-404-3');
  if (notFound) return notFound;
  const truth = ctx.state.truth;
  const body = orgLevelOnly ? parseOrgRoleBody(req.body) : parseRoleBody(ctx, truth, req.body);
  if (!body.ok) return body.res;
  const accountId = req.params.userId;
  const user = findUser(truth, accountId);
  if (!user) return appError(404, 'ADMIN-UAM-404-3', `User \`${accountId}\` was not found in this organization`);
  if (user.accountStatus !== 'active') return appError(400, 'ADMIN-UAM-400-2', `User \`${accountId}\` is not active`, 'Inactive user');
  const resource = body.change.orgLevel ? orgAri(ctx.orgId) : body.change.resource;
  // GUESS: the spec documents no "already assigned" answer for role assignment; assigning a role
  // the user already holds directly is a no-op 204 (idempotent), as a PUT-like assign usually is.
  if (!hasDirect(truth, accountId, body.change.role, resource)) {
    ctx.state.write({ kind: 'assignRole', accountId, role: body.change.role, resource });
    recordRoleEvent(ctx, 'granted', accountId, body.change.role, resource);
  }
  return { status: 204 };
}

function revokeRoleCommon(ctx: ApiContext, req: ApiRequest, orgLevelOnly: boolean): ApiResponse {
  const notFound = orgMissing(ctx, req.params.orgId, 'ADMIN-UAM-404-3');
  if (notFound) return notFound;
  const truth = ctx.state.truth;
  const body = orgLevelOnly ? parseOrgRoleBody(req.body) : parseRoleBody(ctx, truth, req.body);
  if (!body.ok) return body.res;
  const accountId = req.params.userId;
  if (!findUser(truth, accountId)) return appError(404, 'ADMIN-UAM-404-3', `User \`${accountId}\` was not found in this organization`);
  const resource = body.change.orgLevel ? orgAri(ctx.orgId) : body.change.resource;
  if (body.change.role === ORG_ADMIN_ROLE) {
    // Lockout rules (platform notes §1): you can't remove your own org-admin role, and an org
    // left without any admin needs Atlassian support to recover, so the last one can't be removed.
    if (ctx.keyOwnerAccountId && accountId === ctx.keyOwnerAccountId) {
      return appError(403, 'ADMIN-UAM-403-1', "You can't remove your own organization admin role");
    }
    if (hasDirect(truth, accountId, ORG_ADMIN_ROLE, resource)) {
      const after = structuredClone(truth);
      after.direct = after.direct.filter((a) => !(a.accountId === accountId && a.role === ORG_ADMIN_ROLE && a.resource === resource));
      if (orgAdmins(after, ctx.orgId).length === 0) {
        return appError(
          403,
          'ADMIN-UAM-403-1',
          `User \`${accountId}\` is the last organization admin; an organization must keep at least one organization admin`,
        );
      }
    }
  }
  // GUESS: the spec documents no "not assigned" answer; revoking a role the user doesn't hold
  // directly is a no-op 204. (A role held only through a group or inferred is left alone.)
  if (hasDirect(truth, accountId, body.change.role, resource)) {
    ctx.state.write({ kind: 'revokeRole', accountId, role: body.change.role, resource });
    recordRoleEvent(ctx, 'revoked', accountId, body.change.role, resource);
  }
  return { status: 204 };
}

/** v1 operations: orgs and role assignment. Adding an endpoint here: one entry (method, spec path, purpose, the spec's scopes, handler). */
export const ORG_OPERATIONS = {
  getOrgs: { method: 'GET', path: '/admin/v1/orgs', purpose: 'discover the org id of the API key', scopes: [], handle: getOrgs },
  getOrgById: { method: 'GET', path: '/admin/v1/orgs/{orgId}', purpose: 'check the org id and key', scopes: ['read:orgs:admin'], handle: getOrgById },
  assignOrgRole: { method: 'POST', path: '/admin/v1/orgs/{orgId}/users/{userId}/role-assignments/assign', purpose: 'grant atlassian/org-admin', scopes: [], handle: (ctx, req) => assignRoleCommon(ctx, req, true) },
  revokeOrgRole: { method: 'POST', path: '/admin/v1/orgs/{orgId}/users/{userId}/role-assignments/revoke', purpose: 'revoke atlassian/org-admin', scopes: [], handle: (ctx, req) => revokeRoleCommon(ctx, req, true) },
  assignRole: { method: 'POST', path: '/admin/v1/orgs/{orgId}/users/{userId}/roles/assign', purpose: 'grant a role on a resource', scopes: [], handle: (ctx, req) => assignRoleCommon(ctx, req, false) },
  revokeRole: { method: 'POST', path: '/admin/v1/orgs/{orgId}/users/{userId}/roles/revoke', purpose: 'revoke a role on a resource', scopes: [], handle: (ctx, req) => revokeRoleCommon(ctx, req, false) },
} satisfies Record<string, OrgOperation>;
