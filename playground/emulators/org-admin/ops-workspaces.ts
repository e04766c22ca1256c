/**
 * The organizations API's v2 workspaces query (site and product resource ids). Request in, response out; no HTTP
 * here. Where the spec is silent the choice is marked GUESS (and listed in README.md).
 */
import { type ApiContext, type ApiRequest, type ApiResponse, appError } from './api';
import { checkInt, decodeCursor, encodeCursor, firstProblem, invalidCursor, type Json, orgMissing, page, parseJsonObject } from './api-common';
import { type World } from './model';
import type { OrgOperation } from './routes';

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

/** v2 operations: workspaces. Adding an endpoint here: one entry (method, spec path, purpose, the spec's scopes, handler). */
export const WORKSPACE_OPERATIONS = {
  queryWorkspaces: { method: 'POST', path: '/admin/v2/orgs/{orgId}/workspaces', purpose: 'discover site and product resource ids', scopes: ['read:workspaces:admin'], handle: queryWorkspaces },
} satisfies Record<string, OrgOperation>;
