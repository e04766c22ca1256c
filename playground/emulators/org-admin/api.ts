/**
 * The spec operations' common ground: the request context, the two error shapes, and the checks every operation
 * passes first (the key's scopes, contract faults). The operations themselves are ops-*.ts, request in, response
 * out, no HTTP (see server.ts). Response bodies follow the spec's schemas; error bodies use the spec's error shape
 * `{"errors":[{id,status,code,title,detail}]}` with the codes the spec documents for each operation.
 *
 * Where the spec is silent the choice is marked GUESS (and listed in README.md).
 */

import type { OrgAuditLog } from './events';
import { randomUUID } from 'node:crypto';
import type { Directory, OrgState, SiteAriForm } from './model';
import { ORG_ADMIN_ROUTES, operationOf, type RouteId } from './routes';
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
   * The person a playground org action is performed as (`events.ts`): the actor the audit log
   * records instead of the API key. Set only for the duration of one synchronous operation.
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

/** Runs one operation, behind the key-scope check and the contract faults. */
export function runOperation(ctx: ApiContext, id: RouteId, req: ApiRequest): ApiResponse {
  return scopeRefusal(ctx, id) ?? contractFault(ctx, id, req) ?? operationOf(id)(ctx, req);
}
