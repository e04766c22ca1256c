/**
 * What the organizations API operations share: small validators, JSON bodies, opaque cursors and paging, and
 * the lookups of orgs, directories, groups and resources.
 */
import { type ApiContext, type ApiRequest, type ApiResponse, appError } from './api';
import { type Directory, type GroupRecord, orgAri, SITE_ADMIN_ROLE, SITE_ARI_FORMS, siteAriIn, siteIdOf, type UserRecord, type World } from './model';
import type { RouteId } from './routes';

// ---------------------------------------------------------------------------------------------
// Small validators. Each returns an error message, or null when the value is fine.

export type Problem = string | null;

export function checkStringArray(
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

export function checkInt(v: unknown, name: string, min: number, max: number): Problem {
  if (v === undefined) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return `\`${name}\` must be an integer from ${min} to ${max}`;
  return null;
}

export function checkString(v: unknown, name: string): Problem {
  if (v === undefined) return null;
  return typeof v === 'string' ? null : `\`${name}\` must be a string`;
}

export function firstProblem(...ps: Problem[]): Problem {
  return ps.find((p) => p !== null) ?? null;
}

export type Json = Record<string, unknown>;

export function parseJsonObject(raw: string, optional: boolean): { ok: true; value: Json } | { ok: false; problem: string } {
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

export interface CursorData {
  r: RouteId;
  k: string;
  f: Json;
  o: number;
}

export function encodeCursor(c: CursorData): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(raw: string, route: RouteId, scope: string): CursorData | null {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as CursorData;
    if (c.r !== route || c.k !== scope || typeof c.o !== 'number' || c.o < 0 || typeof c.f !== 'object' || c.f === null) return null;
    return c;
  } catch {
    return null;
  }
}

export const invalidCursor = (): ApiResponse => appError(400, 'ADMIN-400-1', 'The page cursor is not valid for this request', 'Invalid page cursor');

export function page<T>(items: T[], offset: number, limit: number): { items: T[]; next?: number; prev?: number } {
  const slice = items.slice(offset, offset + limit);
  return {
    items: slice,
    next: offset + limit < items.length ? offset + limit : undefined,
    prev: offset > 0 ? Math.max(0, offset - limit) : undefined,
  };
}

export function cursorLinks(route: RouteId, scope: string, filters: Json, offset: number, p: { next?: number; prev?: number }) {
  const links: Record<string, string> = { self: encodeCursor({ r: route, k: scope, f: filters, o: offset }) };
  if (p.next !== undefined) links.next = encodeCursor({ r: route, k: scope, f: filters, o: p.next });
  if (p.prev !== undefined) links.prev = encodeCursor({ r: route, k: scope, f: filters, o: p.prev });
  return links;
}

// ---------------------------------------------------------------------------------------------
// Lookups shared by the handlers.

export function orgMissing(ctx: ApiContext, orgId: string, code: string): ApiResponse | null {
  return orgId === ctx.orgId ? null : appError(404, code, `Organization \`${orgId}\` was not found`, 'Organization not found');
}

export function directoryMissing(ctx: ApiContext, directoryId: string): ApiResponse | null {
  if (directoryId === '-' || ctx.directories.some((d) => d.id === directoryId)) return null;
  return appError(404, 'ADMIN-404-1', `Directory \`${directoryId}\` was not found`, 'Unknown resource');
}

/**
 * The spec's `directoryIdParam` allows `-` ("all directories the requestor can manage") and every read
 * uses it; every WRITE documents its `directoryId` as "Use the Get directories endpoint to find the
 * directory ID" instead. GUESS: a write to `-` is answered like any unknown directory (the 404 these
 * operations document: "We couldn't find the organization, directory, group, or user").
 */
export function directoryForWrite(ctx: ApiContext, directoryId: string): ApiResponse | null {
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

export function inDirectory(directoryId: string, recordDirectory: string): boolean {
  return directoryId === '-' || directoryId === recordDirectory;
}

export function findGroup(world: World, directoryId: string, groupId: string): GroupRecord | undefined {
  return world.groups.find((g) => g.id === groupId && inDirectory(directoryId, g.directoryId));
}

export function groupMissing(groupId: string): ApiResponse {
  return appError(404, 'ADMIN-404-10', `Group \`${groupId}\` was not found`, 'Group not found');
}

export type ResourceKind = { kind: 'org' } | { kind: 'site' } | { kind: 'product' } | { kind: 'unknown' };

/**
 * What a write's `resource` names, for `role`. A site may be named in any of `SITE_ARI_FORMS`; the
 * same string can be a product too (`ari:cloud:jira-core::site/<id>`), so the role decides first.
 */
export function resourceKind(ctx: ApiContext, world: World, role: string, resource: string): ResourceKind {
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
export function readAri(ctx: ApiContext, world: World, resource: string): string {
  const site = world.sites.find((s) => s.ari === resource);
  return site ? siteAriIn(ctx.siteAriForm, site.cloudId) : resource;
}

/** A user of the org, by account id. */
export function findUser(world: World, accountId: string): UserRecord | undefined {
  return world.users.find((u) => u.accountId === accountId);
}

/**
 * The body of a search (users or groups) after the org and directory checks: a first page's filters,
 * or those its cursor carries, with the page offset. An `ApiResponse` is the refusal.
 */
export function searchRequest(
  ctx: ApiContext,
  req: ApiRequest,
  route: 'searchUsers' | 'searchGroups',
): { f: Json; offset: number; scope: string; directoryId: string } | ApiResponse {
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
    const c = decodeCursor(f.cursor, route, scope);
    if (!c) return invalidCursor();
    f = c.f;
    offset = c.o;
  }
  return { f, offset, scope, directoryId };
}
