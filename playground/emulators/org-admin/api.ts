/**
 * The spec operations: request in, response out. No HTTP here (see server.ts), so every rule can be
 * read in one place. Response bodies follow the spec's schemas; error bodies use the spec's error shape
 * `{"errors":[{id,status,code,title,detail}]}` with the codes the spec documents for each operation.
 *
 * Where the spec is silent the choice is marked GUESS (and listed in README.md).
 */

import { actorOf, getEvent, getEvents, type OrgAuditLog } from './events';
import { randomUUID } from 'node:crypto';
import {
  ORG_ADMIN_ROLE,
  PLATFORM_ROLES,
  ROLE_API_ROLES,
  ROLE_IDS,
  SITE_ADMIN_ROLE,
  assignmentsOf,
  canonicalResource,
  hasDirect,
  orgAdmins,
  orgAri,
  resourceOwnerOf,
  siteAriIn,
  siteIdOf,
  type Directory,
  type GroupRecord,
  type OrgState,
  type SiteAriForm,
  type UserRecord,
  type World,
} from './model';
import { ORG_ADMIN_ROUTES, type RouteId } from './routes';
import type { ContractFaults } from './faults';

/** An organization API key the emulator knows. */
export interface ApiKeyRecord {
  key: string;
  /**
   * `null`: a key created WITHOUT scopes (admin.atlassian.com offers both kinds). A key WITH scopes
   * reaches only operations whose spec names one of its scopes; the user-management and role
   * endpoints name none, so a scoped key gets 403 there.
   */
  scopes: string[] | null;
  /** Expired (keys last at most a year) and revoked keys get 401, like an unknown key. */
  status: 'active' | 'expired' | 'revoked';
}

export interface ApiContext {
  orgId: string;
  orgName: string;
  directories: Directory[];
  state: OrgState;
  /** The server's largest page, whatever `limit` asks for (small by default, so clients must paginate). */
  pageSize: number;
  /** The account the API key belongs to, if any: it can't remove its own org-admin role. */
  keyOwnerAccountId?: string;
  /** Base URL for the `links` that the spec says are URLs. */
  publicUrl: string;
  /**
   * The form in which role reads name a site (`ari:cloud:<form>::site/<cloudId>`): another form than
   * the workspaces' `platform` one the app's policy uses, as a real org may answer.
   */
  siteAriForm: SiteAriForm;
  /**
   * The key of the request being served. INVARIANT: the server's auth check sets it immediately
   * (synchronously) before it calls a handler, so it is always the current request's key.
   */
  caller?: ApiKeyRecord;
  /** Contract faults: operations that answer as if removed, changed or not enabled. */
  contract: ContractFaults;
  /** The org's audit log (`events.ts`). */
  auditLog: OrgAuditLog;
  /**
   * The person a playground org action is performed as (`events.ts` `act`): the actor the audit
   * log records instead of the API key. Set only for the duration of one synchronous operation.
   */
  actingAs?: string;
}

export interface ApiRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The raw body text ('' when none). */
  body: string;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  500: 'Internal Server Error',
};

/** The spec's application error shape. */
export function appError(status: number, code: string, detail: string, title = STATUS_TITLES[status] ?? 'Error'): ApiResponse {
  return { status, body: { errors: [{ id: randomUUID(), status: String(status), code, title, detail }] } };
}

/** The gateway's error shape (`ProxyError`), which the spec documents for 401 and 429. */
export function proxyError(status: number, message: string, headers?: Record<string, string>): ApiResponse {
  return { status, body: { code: status, message }, headers };
}

// ---------------------------------------------------------------------------------------------
// Small validators. Each returns an error message, or null when the value is fine.

type Problem = string | null;

function checkStringArray(
  v: unknown,
  name: string,
  o: { min?: number; max?: number; enumOf?: readonly string[]; unique?: boolean } = {},
): Problem {
  if (v === undefined) return null;
  if (!Array.isArray(v)) return `\`${name}\` must be an array of strings`;
  if (v.some((x) => typeof x !== 'string')) return `\`${name}\` must contain only strings`;
  if (o.min !== undefined && v.length < o.min) return `\`${name}\` must have at least ${o.min} item(s)`;
  if (o.max !== undefined && v.length > o.max) return `\`${name}\` must have at most ${o.max} items`;
  if (o.enumOf) {
    const bad = v.find((x) => !o.enumOf!.includes(x as string));
    if (bad !== undefined) return `\`${name}\` has an unknown value \`${bad}\``;
  }
  if (o.unique && new Set(v).size !== v.length) return `\`${name}\` must not repeat values`;
  return null;
}

function checkInt(v: unknown, name: string, min: number, max: number): Problem {
  if (v === undefined) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return `\`${name}\` must be an integer from ${min} to ${max}`;
  return null;
}

function checkString(v: unknown, name: string): Problem {
  if (v === undefined) return null;
  return typeof v === 'string' ? null : `\`${name}\` must be a string`;
}

function firstProblem(...ps: Problem[]): Problem {
  return ps.find((p) => p !== null) ?? null;
}

type Json = Record<string, unknown>;

function parseJsonObject(raw: string, optional: boolean): { ok: true; value: Json } | { ok: false; problem: string } {
  if (raw.trim() === '') return optional ? { ok: true, value: {} } : { ok: false, problem: 'the request body is missing' };
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return { ok: false, problem: 'the request body is not valid JSON' };
  }
  if (v === null && optional) return { ok: true, value: {} };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, problem: 'the request body must be a JSON object' };
  return { ok: true, value: v as Json };
}

// ---------------------------------------------------------------------------------------------
// Cursors: opaque to clients; they carry the query and the offset, so "if a cursor is present, all
// other parameters are discarded" (spec `cursorParam`) holds.

interface CursorData {
  r: RouteId;
  k: string;
  f: Json;
  o: number;
}

function encodeCursor(c: CursorData): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(raw: string, route: RouteId, scope: string): CursorData | null {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as CursorData;
    if (c.r !== route || c.k !== scope || typeof c.o !== 'number' || c.o < 0 || typeof c.f !== 'object' || c.f === null) return null;
    return c;
  } catch {
    return null;
  }
}

const invalidCursor = (): ApiResponse => appError(400, 'ADMIN-400-1', 'The page cursor is not valid for this request', 'Invalid page cursor');

function page<T>(items: T[], offset: number, limit: number): { items: T[]; next?: number; prev?: number } {
  const slice = items.slice(offset, offset + limit);
  return {
    items: slice,
    next: offset + limit < items.length ? offset + limit : undefined,
    prev: offset > 0 ? Math.max(0, offset - limit) : undefined,
  };
}

function cursorLinks(route: RouteId, scope: string, filters: Json, offset: number, p: { next?: number; prev?: number }) {
  const links: Record<string, string> = { self: encodeCursor({ r: route, k: scope, f: filters, o: offset }) };
  if (p.next !== undefined) links.next = encodeCursor({ r: route, k: scope, f: filters, o: p.next });
  if (p.prev !== undefined) links.prev = encodeCursor({ r: route, k: scope, f: filters, o: p.prev });
  return links;
}

// ---------------------------------------------------------------------------------------------
// Lookups shared by the handlers.

function orgMissing(ctx: ApiContext, orgId: string, code: string): ApiResponse | null {
  return orgId === ctx.orgId ? null : appError(404, code, `Organization \`${orgId}\` was not found`, 'Organization not found');
}

function directoryMissing(ctx: ApiContext, directoryId: string): ApiResponse | null {
  if (directoryId === '-' || ctx.directories.some((d) => d.id === directoryId)) return null;
  return appError(404, 'ADMIN-404-1', `Directory \`${directoryId}\` was not found`, 'Unknown resource');
}

/**
 * The spec's `directoryIdParam` allows `-` ("all directories the requestor can manage") and every read
 * uses it; every WRITE documents its `directoryId` as "Use the Get directories endpoint to find the
 * directory ID" instead. GUESS: a write to `-` is answered like any unknown directory (the 404 these
 * operations document: "We couldn't find the organization, directory, group, or user").
 */
function directoryForWrite(ctx: ApiContext, directoryId: string): ApiResponse | null {
  if (directoryId === '-') {
    return appError(
      404,
      'ADMIN-404-1',
      'Directory `-` was not found: this operation needs a directory id from Get directories (`-` is accepted by reads only)',
      'Unknown resource',
    );
  }
  return directoryMissing(ctx, directoryId);
}

function inDirectory(directoryId: string, recordDirectory: string): boolean {
  return directoryId === '-' || directoryId === recordDirectory;
}

function findGroup(world: World, directoryId: string, groupId: string): GroupRecord | undefined {
  return world.groups.find((g) => g.id === groupId && inDirectory(directoryId, g.directoryId));
}

function groupMissing(groupId: string): ApiResponse {
  return appError(404, 'ADMIN-404-10', `Group \`${groupId}\` was not found`, 'Group not found');
}

type ResourceKind = { kind: 'org' } | { kind: 'site' } | { kind: 'product' } | { kind: 'unknown' };

/**
 * What a write's `resource` names, for `role`. A site may be named in any of `SITE_ARI_FORMS`; the
 * same string can be a product too (`ari:cloud:jira-core::site/<id>`), so the role decides first.
 */
function resourceKind(ctx: ApiContext, world: World, role: string, resource: string): ResourceKind {
  if (resource === orgAri(ctx.orgId)) return { kind: 'org' };
  const cloudId = siteIdOf(resource);
  const isSite = cloudId !== null && world.sites.some((s) => s.cloudId === cloudId);
  const isProduct = world.sites.some((s) => s.products.some((p) => p.ari === resource));
  if (role === SITE_ADMIN_ROLE && isSite) return { kind: 'site' };
  if (isProduct) return { kind: 'product' };
  if (isSite) return { kind: 'site' };
  return { kind: 'unknown' };
}

/** How role reads name a resource: a site in `ctx.siteAriForm`, everything else as stored. */
function readAri(ctx: ApiContext, world: World, resource: string): string {
  const site = world.sites.find((s) => s.ari === resource);
  return site ? siteAriIn(ctx.siteAriForm, site.cloudId) : resource;
}

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

function findUser(world: World, accountId: string): UserRecord | undefined {
  return world.users.find((u) => u.accountId === accountId);
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

/** The audit-log event of a role change (Guess: the action ids; Atlassian documents display names only). */
function recordRoleEvent(ctx: ApiContext, verb: 'granted' | 'revoked', accountId: string, role: string, resource: string): void {
  const action = role === ORG_ADMIN_ROLE ? `org_admin_role_${verb}` : role === 'atlassian/site-admin' ? `site_admin_role_${verb}` : `user_role_${verb}`;
  ctx.auditLog.record({
    action,
    actor: actorOf(ctx),
    context: [
      { type: 'user', id: accountId },
      { type: 'role', id: role, name: resource },
    ],
  });
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
  const { orgId, directoryId } = req.params;
  const notFound = orgMissing(ctx, orgId, 'ADMIN-404-2') ?? directoryMissing(ctx, directoryId);
  if (notFound) return notFound;
  const parsed = parseJsonObject(req.body, true);
  if (!parsed.ok) return appError(400, 'ADMIN-400-24', parsed.problem, 'Invalid request body');
  let f = parsed.value;
  let offset = 0;
  const scope = `${orgId}/${directoryId}`;
  if (f.cursor !== undefined) {
    if (typeof f.cursor !== 'string') return appError(400, 'ADMIN-400-24', '`cursor` must be a string', 'Invalid request body');
    const c = decodeCursor(f.cursor, 'searchGroups', scope);
    if (!c) return invalidCursor();
    f = c.f;
    offset = c.o;
  }
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
  const { orgId, directoryId } = req.params;
  const notFound = orgMissing(ctx, orgId, 'ADMIN-404-2') ?? directoryMissing(ctx, directoryId);
  if (notFound) return notFound;
  const parsed = parseJsonObject(req.body, true);
  if (!parsed.ok) return appError(400, 'ADMIN-400-24', parsed.problem, 'Invalid request body');
  let f = parsed.value;
  let offset = 0;
  const scope = `${orgId}/${directoryId}`;
  if (f.cursor !== undefined) {
    if (typeof f.cursor !== 'string') return appError(400, 'ADMIN-400-24', '`cursor` must be a string', 'Invalid request body');
    const c = decodeCursor(f.cursor, 'searchUsers', scope);
    if (!c) return invalidCursor();
    f = c.f;
    offset = c.o;
  }
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

function getUserRoleAssignments(ctx: ApiContext, req: ApiRequest): ApiResponse {
  const { orgId, directoryId, accountId } = req.params;
  const notFound = orgMissing(ctx, orgId, 'ADMIN-404-2') ?? directoryMissing(ctx, directoryId);
  if (notFound) return notFound;
  const scope = `${orgId}/${directoryId}/${accountId}`;
  let f: Json;
  let offset = 0;
  const rawCursor = req.query.get('cursor');
  if (rawCursor !== null) {
    const c = decodeCursor(rawCursor, 'getUserRoleAssignments', scope);
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
  let f: Json;
  let offset = 0;
  const rawCursor = req.query.get('cursor');
  if (rawCursor !== null) {
    const c = decodeCursor(rawCursor, 'getGroupRoleAssignments', scope);
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

// ---------------------------------------------------------------------------------------------
// v2: workspaces. GUESS: each site is listed as a workspace whose id is the site's ARI (the
// `resource` of atlassian/site-admin, as the spec's RoleApiRequest example shows), followed by one
// workspace per product (the `resource` of atlassian/admin and atlassian/user-access-admin).

interface WorkspaceRow {
  id: string;
  name: string;
  type: string;
  hostUrl: string;
}

function workspaceRows(world: World): WorkspaceRow[] {
  return world.sites.flatMap((s) => [
    { id: s.ari, name: s.name, type: 'site', hostUrl: s.hostUrl },
    ...s.products.map((p) => ({ id: p.ari, name: `${s.name} ${p.name}`, type: p.key, hostUrl: s.hostUrl })),
  ]);
}

function matchesQuery(row: WorkspaceRow, q: unknown): boolean {
  if (q === null || q === undefined || typeof q !== 'object') return true;
  const o = q as Json;
  if (Array.isArray(o.and)) return o.and.every((x) => matchesQuery(row, x));
  if (Array.isArray(o.nor)) return !o.nor.some((x) => matchesQuery(row, x));
  if (typeof o.searchWorkspaces === 'string') {
    const t = o.searchWorkspaces.toLowerCase();
    return row.name.toLowerCase().includes(t) || row.hostUrl.toLowerCase().includes(t);
  }
  if (o.field && typeof o.field === 'object') {
    const { name, values } = o.field as { name?: string; values?: string[] };
    if (!Array.isArray(values) || values.length === 0) return true;
    const value = name === 'attributes.type' || name === 'attributes.typeKey' ? row.type : name === 'id' ? row.id : undefined;
    return value === undefined ? true : values.includes(value);
  }
  return true;
}

function queryWorkspaces(ctx: ApiContext, req: ApiRequest): ApiResponse {
  const notFound = orgMissing(ctx, req.params.orgId, 'ADMIN-404-2');
  if (notFound) return notFound;
  const parsed = parseJsonObject(req.body, true);
  if (!parsed.ok) return appError(400, 'ADMIN-400-4', parsed.problem, 'Invalid resource');
  let f = parsed.value;
  let offset = 0;
  const scope = req.params.orgId;
  if (f.cursor !== undefined && f.cursor !== null) {
    if (typeof f.cursor !== 'string') return appError(400, 'ADMIN-400-4', '`cursor` must be a string', 'Invalid resource');
    if (Object.keys(f).some((k) => k !== 'cursor')) {
      return appError(400, 'ADMIN-400-4', 'When a cursor is provided in the request body, no other properties may be present', 'Invalid resource');
    }
    const c = decodeCursor(f.cursor, 'queryWorkspaces', scope);
    if (!c) return invalidCursor();
    f = c.f;
    offset = c.o;
  }
  const problem = firstProblem(
    checkInt(f.limit, 'limit', 1, 1000),
    f.query !== undefined && f.query !== null && (typeof f.query !== 'object' || Array.isArray(f.query)) ? '`query` must be an object' : null,
    f.sort !== undefined && f.sort !== null && !Array.isArray(f.sort) ? '`sort` must be an array' : null,
  );
  if (problem) return appError(400, 'ADMIN-400-4', problem, 'Invalid resource');
  const rows = workspaceRows(ctx.state.read()).filter((r) => matchesQuery(r, f.query));
  const limit = Math.min((f.limit as number | undefined) ?? 20, ctx.pageSize);
  const p = page(rows, offset, limit);
  const data = p.items.map((r) => ({
    id: r.id,
    type: 'workspaces',
    attributes: { name: r.name, type: r.type, typeKey: r.type, hostUrl: r.hostUrl, status: 'online', realm: 'us', regions: ['us'], labels: [] },
    links: { self: `${ctx.publicUrl}/admin/v2/orgs/${ctx.orgId}/workspaces` },
  }));
  // The spec types `links.next` as a URL; for this POST search the next page is asked for with a
  // body cursor, so the link carries the cursor (GUESS).
  const links: Record<string, string> = {};
  if (p.next !== undefined) links.next = encodeCursor({ r: 'queryWorkspaces', k: scope, f, o: p.next });
  return {
    status: 200,
    body: {
      data,
      links,
      meta: { pageSize: limit, startIndex: offset, endIndex: offset + p.items.length, total: rows.length },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Key kinds and contract faults, checked before the operation itself (as the gateway would).

/**
 * A key WITH scopes reaches an operation only if the spec names one of the key's scopes for it
 * ("Authorization scopes required: ..."); the user-management and role endpoints name none.
 * GUESS (shape and wording): the gateway's 403, `{"code":403,"message":...}`; a third-party client
 * reports "every operation answers 403 naming a manage:org scope" for such keys.
 */
function scopeRefusal(ctx: ApiContext, route: RouteId): ApiResponse | null {
  const scopes = ctx.caller?.scopes;
  if (!scopes) return null;
  const needed = ORG_ADMIN_ROUTES.find((r) => r.id === route)?.scopes ?? [];
  if (needed.some((s) => scopes.includes(s))) return null;
  const wanted = needed.length ? needed.join(' or ') : 'manage:org';
  return proxyError(403, `Forbidden; scope does not match (this operation requires ${wanted})`);
}

const ROLE_ROUTES: readonly RouteId[] = ['assignOrgRole', 'revokeOrgRole', 'assignRole', 'revokeRole'];
const ORG_ROLE_ROUTES: readonly RouteId[] = ['assignOrgRole', 'revokeOrgRole'];

function missingOperation(ctx: ApiContext, route: RouteId, req: ApiRequest): ApiResponse {
  const path = (ORG_ADMIN_ROUTES.find((r) => r.id === route)?.path ?? '').replace(/\{(\w+)\}/g, (_, k: string) => req.params[k] ?? k);
  return appError(404, 'ADMIN-404-1', `No resource at \`${path}\``, 'Unknown resource');
}

/**
 * The org-admin `role-assignments/assign|revoke` operations are `x-experimental` in the spec: they
 * may be removed (GUESS: answered like an unknown path) or change their body (GUESS: the documented
 * 400 code, naming the field). Separately, an unverified report says some tenants need Atlassian
 * Support to enable the provisioning endpoints (GUESS: 403 `ADMIN-UAM-403-1`, or 404 as if absent).
 */
function contractFault(ctx: ApiContext, route: RouteId, req: ApiRequest): ApiResponse | null {
  const c = ctx.contract;
  if (ORG_ROLE_ROUTES.includes(route) && c.orgRoleAssignments === 'removed') return missingOperation(ctx, route, req);
  if (ORG_ROLE_ROUTES.includes(route) && c.orgRoleAssignments === 'changed') {
    return appError(400, 'ADMIN-UAM-400-1', '`role` is not a recognised property; send `roleId`', 'Bad Request');
  }
  if (ROLE_ROUTES.includes(route) && c.roleApi === 'missing') return missingOperation(ctx, route, req);
  if (ROLE_ROUTES.includes(route) && c.roleApi === 'forbidden') {
    return appError(403, 'ADMIN-UAM-403-1', 'This operation is not enabled for your organization', 'Forbidden');
  }
  return null;
}

const OPERATIONS: Record<RouteId, (ctx: ApiContext, req: ApiRequest) => ApiResponse> = {
  getOrgs,
  getOrgById,
  assignOrgRole: (ctx, req) => assignRoleCommon(ctx, req, true),
  revokeOrgRole: (ctx, req) => revokeRoleCommon(ctx, req, true),
  assignRole: (ctx, req) => assignRoleCommon(ctx, req, false),
  revokeRole: (ctx, req) => revokeRoleCommon(ctx, req, false),
  getDirectories,
  searchGroups,
  getGroup,
  addGroupMember,
  removeGroupMember,
  searchUsers,
  getUserRoleAssignments,
  getGroupRoleAssignments,
  queryWorkspaces,
  getEvents,
  getEvent,
};

/** Every operation, behind the key-scope check and the contract faults. */
export const HANDLERS = Object.fromEntries(
  (Object.keys(OPERATIONS) as RouteId[]).map((id) => [
    id,
    (ctx: ApiContext, req: ApiRequest): ApiResponse => scopeRefusal(ctx, id) ?? contractFault(ctx, id, req) ?? OPERATIONS[id](ctx, req),
  ]),
) as Record<RouteId, (ctx: ApiContext, req: ApiRequest) => ApiResponse>;
