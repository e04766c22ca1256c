/**
 * The spec operations the emulator serves, as data. Paths are the real URLs: the spec's server is
 * `https://api.atlassian.com/admin`, so its `/v1/...` paths are served under `/admin/v1/...`.
 * Parameter names follow the spec's templates (it names the same account `{userId}` on the v1 role
 * endpoints and `{accountId}` elsewhere). The conformance test enumerates this table against the spec.
 *
 * Adding an endpoint is a one-file change: one entry (method, path, purpose, scopes, handler) in the `*_OPERATIONS`
 * map of the ops-*.ts file of its area (or a new ops file spread into `OPERATIONS` below). Its key joins `RouteId`;
 * the server, the router, the request log, the counters and fault injection pick it up from here. The spec subset
 * must hold the operation (scripts/refresh-specs.ts), or the OpenAPI gate refuses it before it is routed.
 */

import { RouteTable } from '../../http/router';
import type { ApiContext, ApiRequest, ApiResponse } from './api';
import { ORG_OPERATIONS } from './ops-orgs';
import { GROUP_OPERATIONS } from './ops-groups';
import { USER_OPERATIONS } from './ops-users';
import { WORKSPACE_OPERATIONS } from './ops-workspaces';
import { EVENT_OPERATIONS } from './events';

/** One spec operation: where it is served, why the app uses it, the scopes the spec names, and its handler. */
export interface OrgOperation {
  method: 'GET' | 'POST' | 'DELETE';
  /** The real URL path template (spec server prefix + spec path). */
  path: string;
  /** What the app (or a person setting it up) uses it for. */
  purpose: string;
  /**
   * The API-key scopes the spec names for the operation ("Authorization scopes required"). Empty: the
   * operation has no scopes, so only an API key WITHOUT scopes can call it.
   */
  scopes: readonly string[];
  handle(ctx: ApiContext, req: ApiRequest): ApiResponse;
}

const OPERATIONS = { ...ORG_OPERATIONS, ...GROUP_OPERATIONS, ...USER_OPERATIONS, ...WORKSPACE_OPERATIONS, ...EVENT_OPERATIONS };

/** The spec operations the emulator serves, by name. */
export type RouteId = keyof typeof OPERATIONS;

/** One served operation, as data (the conformance test enumerates these against the spec). */
export type RouteDef = Omit<OrgOperation, 'handle'> & { id: RouteId };

export const ORG_ADMIN_ROUTES: readonly RouteDef[] = (Object.keys(OPERATIONS) as RouteId[]).map((id) => {
  const { handle: _handle, ...def } = OPERATIONS[id] as OrgOperation;
  return { id, ...def };
});

/** The handler of an operation (without the scope and contract checks: see `runOperation` in api.ts). */
export const operationOf = (id: RouteId): OrgOperation['handle'] => (OPERATIONS[id] as OrgOperation).handle;

/** `METHOD /path/template`, the key of the per-route counters. */
export const routeKey = (r: Pick<RouteDef, 'method' | 'path'>): string => `${r.method} ${r.path}`;

export type RouteMatch =
  | { kind: 'match'; route: RouteDef; params: Record<string, string> }
  | { kind: 'wrongMethod'; allowed: string[] }
  | { kind: 'none' };

const TABLE = new RouteTable<RouteDef>();
for (const route of ORG_ADMIN_ROUTES) TABLE.add(route.method, route.path, route);

/** Finds the route for a request path (already stripped of its query). Literal segments win over parameters. */
export function matchRoute(method: string, pathname: string): RouteMatch {
  const found = TABLE.lookup(method, pathname);
  return found.kind === 'match' ? { kind: 'match', route: found.value, params: found.params } : found;
}
