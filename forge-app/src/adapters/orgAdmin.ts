/**
 * The org admin adapter: the app's only code that talks to the Atlassian organizations API
 * (`https://api.atlassian.com/admin`, spec `admin-organization.v3.json`).
 *
 * It runs unchanged in Forge (`fetch` from `@forge/api`) and locally (Node's `fetch` against the
 * emulator), so every dependency is passed in: fetch, base URL, clock, randomness and log. It imports
 * nothing from `@forge/*`.
 *
 * The API key goes into the Authorization header and nowhere else: every message, error and log line
 * passes through `redact`, which also removes the key when an upstream body echoes it.
 *
 * Calls per operation when the API is healthy (the benchmark counts them):
 * - assign:  1 write.
 * - revoke:  1 write + 1 read-back (more reads only while eventual consistency hides the change).
 * - holders: org role / resource role: 1 search page per 100 candidates + 1 role-assignment read per
 *            candidate (to keep only direct assignments); group: 1 group read + 1 search page per 100 members.
 */

// ---------------------------------------------------------------------------------------------
// Public types.

export type AccessTarget =
  | { type: 'orgRole'; role: 'atlassian/org-admin' }
  | { type: 'resourceRole'; role: 'atlassian/site-admin' | 'atlassian/admin' | 'atlassian/user-access-admin'; resource: string }
  | { type: 'groupMembership'; groupId: string; groupName?: string };

/** Stable error codes. Retryable: RATE_LIMITED, SERVER_ERROR, TIMEOUT, NETWORK, UNVERIFIED, BUDGET_EXHAUSTED. */
export const ORG_ADMIN_ERROR_CODES = [
  'RATE_LIMITED',
  'SERVER_ERROR',
  'TIMEOUT',
  'NETWORK',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_REQUEST',
  'CONFLICT',
  'SCIM_SYNCED',
  'UNVERIFIED',
  'BUDGET_EXHAUSTED',
] as const;
export type OrgAdminErrorCode = (typeof ORG_ADMIN_ERROR_CODES)[number];

/**
 * `retryAfterMs`, when present, is how long the API asked us to wait (429 `Retry-After`) or how long
 * eventual consistency may still take: a queue consumer can pass it on as its own retry delay.
 */
export type ActionError = { code: string; message: string; retryable: boolean; retryAfterMs?: number };
export type ActionOutcome = { ok: true; detail?: string } | { ok: false; error: ActionError };

export interface HolderSnapshot {
  /** False when any read failed or the read stopped early (`enough`): `holders` is then a lower bound, never the full list. */
  complete: boolean;
  holders: string[];
  /** The target is a group synced from an identity provider (the app can't change it). */
  externallySynced: boolean;
  error?: ActionError;
}

export interface OrgDirectory {
  assign(target: AccessTarget, accountId: string): Promise<ActionOutcome>;
  /** Succeeds only once a read-back shows the access gone. */
  revoke(target: AccessTarget, accountId: string): Promise<ActionOutcome>;
  /** Everyone who holds the target directly; follows every `links.next` cursor. */
  holders(target: AccessTarget, options?: HolderReadOptions): Promise<HolderSnapshot>;
}

/**
 * For a caller that only needs to know that enough holders exist (the revocation guard), not who
 * they all are: each role candidate costs one role-assignment read, and an org has many admins.
 */
export interface HolderReadOptions {
  /** Candidates to confirm before the others (e.g. the permanent admins, who nearly always hold). */
  confirmFirst?: readonly string[];
  /**
   * Asked after each confirmed holder, with every holder confirmed so far; `true` stops the read.
   * The snapshot is then `complete: false` with no error: a lower bound, as a failed read gives.
   */
  enough?: (confirmed: readonly string[]) => boolean;
}

export interface OrgAdminOptions {
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  /** `https://api.atlassian.com` in Forge; the emulator's URL locally. */
  baseUrl: string;
  orgId: string;
  apiKey: string;
  /** Default '-' (every directory the key can manage). */
  directoryId?: string;
  /** Virtual in tests. Used for back-off, Retry-After, verification polling and the budget. */
  clock: { now(): number; sleep(ms: number): Promise<void> };
  /** Wall-clock limit of one HTTP request. Default 8 000. */
  requestTimeoutMs?: number;
  /** Attempts per HTTP call (first try included). Default 4. */
  maxAttempts?: number;
  /** Time one operation may take, retries and polling included. Default 20 000 (Forge resolvers get 25 s). */
  budgetMs?: number;
  /** Read-backs after a revoke. Default 3. */
  verifyAttempts?: number;
  /** Wait between read-backs. Default 2 000. */
  verifyIntervalMs?: number;
  /** First back-off step; doubles per attempt, with jitter. Default 500. */
  backoffBaseMs?: number;
  /** Largest back-off step. Default 8 000. */
  backoffMaxMs?: number;
  /** Jitter source in [0, 1). Default Math.random; pass a seeded one in tests. */
  random?: () => number;
  log?: (line: string) => void;
}

// ---------------------------------------------------------------------------------------------
// Constants from the spec.

const ORG_ADMIN = 'atlassian/org-admin';
const RESOURCE_ROLES = ['atlassian/site-admin', 'atlassian/admin', 'atlassian/user-access-admin'];
/** The largest page the spec allows for users/search and role-assignments. */
const PAGE_LIMIT = 100;
/** A runaway pagination guard: 100 pages of 100 is far beyond any org's admin count. */
const MAX_PAGES = 100;

/** 404 codes that mean the organization itself is unknown (never "not assigned"). */
const ORG_NOT_FOUND_CODES = new Set(['ADMIN-404-2', 'ADMIN-UAM-404-2']);
/** 404 code for an unknown group (v2 groups API). */
const GROUP_NOT_FOUND_CODES = new Set(['ADMIN-404-10']);

// ---------------------------------------------------------------------------------------------
// HTTP plumbing.

interface Reply {
  status: number;
  body: unknown;
  /** The API's error code (`ADMIN-...`, or the gateway's numeric code), when the body has one. */
  apiCode?: string;
  /** The API's error title/detail, redacted and shortened. */
  apiMessage: string;
  retryAfterMs?: number;
}

type CallResult = { ok: true; reply: Reply } | { ok: false; error: ActionError };

interface RequestSpec {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Array<[string, string]>;
  body?: unknown;
  /** Why this call is made, for the log. */
  why: string;
}

class TimeoutError extends Error {}

const fail = (code: OrgAdminErrorCode, message: string, retryable: boolean, retryAfterMs?: number): { ok: false; error: ActionError } => ({
  ok: false,
  error: { code, message, retryable, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
});

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeTarget(t: AccessTarget): string {
  switch (t.type) {
    case 'orgRole':
      return `role ${t.role}`;
    case 'resourceRole':
      return `role ${t.role} on ${t.resource}`;
    case 'groupMembership':
      return `membership of group ${t.groupName ?? t.groupId}`;
  }
}

function validateTarget(t: AccessTarget): string | null {
  if (!t || typeof t !== 'object') return 'target is missing';
  switch (t.type) {
    case 'orgRole':
      return t.role === ORG_ADMIN ? null : `org role must be ${ORG_ADMIN}`;
    case 'resourceRole':
      if (!RESOURCE_ROLES.includes(t.role)) return `resource role must be one of ${RESOURCE_ROLES.join(', ')}`;
      return typeof t.resource === 'string' && t.resource.trim() !== '' ? null : 'resource is empty';
    case 'groupMembership':
      return typeof t.groupId === 'string' && t.groupId.trim() !== '' ? null : 'groupId is empty';
    default:
      return `unknown target type ${String((t as { type?: unknown }).type)}`;
  }
}

function validateRequest(t: AccessTarget, accountId: string): string | null {
  if (typeof accountId !== 'string' || accountId.trim() === '') return 'accountId is empty';
  return validateTarget(t);
}

export function createOrgDirectory(options: OrgAdminOptions): OrgDirectory {
  const base = options.baseUrl.replace(/\/+$/, '');
  const dir = options.directoryId ?? '-';
  const clock = options.clock;
  const requestTimeoutMs = options.requestTimeoutMs ?? 8_000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const budgetMs = options.budgetMs ?? 20_000;
  const verifyAttempts = Math.max(1, options.verifyAttempts ?? 3);
  const verifyIntervalMs = options.verifyIntervalMs ?? 2_000;
  const backoffBaseMs = options.backoffBaseMs ?? 500;
  const backoffMaxMs = options.backoffMaxMs ?? 8_000;
  const random = options.random ?? Math.random;
  const apiKey = options.apiKey;
  const enc = encodeURIComponent;
  const v1 = `/admin/v1/orgs/${enc(options.orgId)}`;
  const v2 = `/admin/v2/orgs/${enc(options.orgId)}`;
  const v2dir = `${v2}/directories/${enc(dir)}`;

  /** Removes the API key (and any bearer token) from text that may reach a message or log. */
  const redact = (text: string): string => {
    let out = text;
    if (apiKey && apiKey.length >= 4) out = out.split(apiKey).join('[redacted]');
    return out.replace(/Bearer\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]+/gi, 'Bearer [redacted]');
  };
  const log = (line: string) => options.log?.(redact(`[orgAdmin] ${line}`));
  const shorten = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}…` : s);

  function parseErrorBody(text: string): { apiCode?: string; apiMessage: string; body: unknown } {
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return { apiMessage: redact(shorten(text.replace(/\s+/g, ' ').trim())), body: undefined };
    }
    if (isObject(body) && Array.isArray(body.errors) && isObject(body.errors[0])) {
      const e = body.errors[0];
      const parts = [e.title, e.detail].filter((x): x is string => typeof x === 'string' && x !== '');
      return { apiCode: typeof e.code === 'string' ? e.code : undefined, apiMessage: redact(shorten(parts.join(': '))), body };
    }
    if (isObject(body) && (typeof body.message === 'string' || body.code !== undefined)) {
      return {
        apiCode: body.code === undefined ? undefined : String(body.code),
        apiMessage: redact(shorten(typeof body.message === 'string' ? body.message : '')),
        body,
      };
    }
    return { apiMessage: '', body };
  }

  function parseRetryAfter(value: string | null): number | undefined {
    if (!value) return undefined;
    if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
    const at = Date.parse(value);
    return Number.isNaN(at) ? undefined : Math.max(0, at - clock.now());
  }

  function backoff(attempt: number): number {
    const step = Math.min(backoffMaxMs, backoffBaseMs * 2 ** (attempt - 1));
    return Math.round(step / 2 + random() * (step / 2));
  }

  /** The error for a final (non-retried) HTTP status. */
  function httpError(what: string, r: Reply): ActionError {
    const upstream = [r.apiCode, r.apiMessage].filter(Boolean).join(' ');
    const msg = (m: string) => redact(`${what}: ${m}${upstream ? ` (${upstream})` : ''}`);
    if (r.status === 400) return { code: 'BAD_REQUEST', message: msg('the organizations API rejected the request (400)'), retryable: false };
    if (r.status === 401) {
      return {
        code: 'UNAUTHORIZED',
        message: msg('the organizations API rejected the API key (401); check ORG_API_KEY and that the key has not expired'),
        retryable: false,
      };
    }
    if (r.status === 403) return { code: 'FORBIDDEN', message: msg('the organizations API refused the change (403)'), retryable: false };
    if (r.status === 404) return { code: 'NOT_FOUND', message: msg('the organization, directory, group, user or resource was not found (404)'), retryable: false };
    if (r.status === 409) return { code: 'CONFLICT', message: msg('the organizations API reported a conflict (409)'), retryable: false };
    if (r.status === 429) return { code: 'RATE_LIMITED', message: msg('rate limited (429)'), retryable: true, ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}) };
    if (r.status >= 500) return { code: 'SERVER_ERROR', message: msg(`the organizations API failed (${r.status})`), retryable: true };
    return { code: 'BAD_REQUEST', message: msg(`unexpected HTTP ${r.status}`), retryable: false };
  }

  interface Budget {
    started: number;
    remaining(): number;
  }
  const startBudget = (): Budget => {
    const started = clock.now();
    return { started, remaining: () => budgetMs - (clock.now() - started) };
  };

  /** One HTTP exchange, bounded by a wall-clock timeout (even if the fetch ignores the abort signal). */
  async function exchange(url: string, init: RequestInit, timeoutMs: number): Promise<{ status: number; retryAfter: string | null; text: string }> {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new TimeoutError(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      const res = await Promise.race([options.fetch(url, { ...init, signal: controller.signal }), timeout]);
      const text = await Promise.race([res.text(), timeout]);
      return { status: res.status, retryAfter: res.headers.get('retry-after'), text };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends one request, retrying 429 (after Retry-After), 5xx, timeouts and network errors with
   * exponential back-off and jitter, within `maxAttempts` and the operation's budget. Any other
   * status is returned to the caller, which knows what it means for that call.
   */
  async function send(budget: Budget, spec: RequestSpec): Promise<CallResult> {
    const qs = spec.query?.length ? `?${new URLSearchParams(spec.query).toString()}` : '';
    const url = `${base}${spec.path}${qs}`;
    const headers: Record<string, string> = { Accept: 'application/json', Authorization: `Bearer ${apiKey}` };
    const init: RequestInit = { method: spec.method, headers };
    if (spec.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(spec.body);
    }
    const label = `${spec.method} ${spec.path}`;
    let last: ActionError | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const remaining = budget.remaining();
      if (remaining <= 0) {
        return fail('BUDGET_EXHAUSTED', redact(`${spec.why}: out of time after ${budgetMs} ms${last ? `; last error: ${last.message}` : ''}`), true);
      }
      const t0 = clock.now();
      let wait: number;
      let waitReason: string;
      try {
        const r = await exchange(url, init, Math.min(requestTimeoutMs, remaining));
        const parsed = r.status >= 400 ? parseErrorBody(r.text) : { apiMessage: '', body: r.text ? safeJson(r.text) : undefined };
        const reply: Reply = { status: r.status, ...parsed, retryAfterMs: parseRetryAfter(r.retryAfter) };
        log(`${label} → ${r.status} (${spec.why}; attempt ${attempt}/${maxAttempts}, ${clock.now() - t0} ms)`);
        if (r.status !== 429 && r.status < 500) return { ok: true, reply };
        last = httpError(spec.why, reply);
        if (r.status === 429 && reply.retryAfterMs !== undefined) {
          wait = reply.retryAfterMs;
          waitReason = 'Retry-After';
        } else {
          wait = backoff(attempt);
          waitReason = 'back-off';
        }
      } catch (e) {
        const timedOut = e instanceof TimeoutError;
        const detail = timedOut ? e.message : describeThrown(e);
        last = timedOut
          ? { code: 'TIMEOUT', message: redact(`${spec.why}: the organizations API did not answer in time (${detail})`), retryable: true }
          : { code: 'NETWORK', message: redact(`${spec.why}: network error (${detail})`), retryable: true };
        log(`${label} → ${last.code} (${spec.why}; attempt ${attempt}/${maxAttempts}: ${detail})`);
        wait = backoff(attempt);
        waitReason = 'back-off';
      }
      if (attempt === maxAttempts) break;
      if (wait >= budget.remaining()) {
        // Waiting would overrun the invocation: stop now and let the caller retry later.
        if (last.code === 'RATE_LIMITED') return { ok: false, error: { ...last, retryAfterMs: wait } };
        return fail('BUDGET_EXHAUSTED', redact(`${spec.why}: no time left to retry within ${budgetMs} ms; last error: ${last.message}`), true, wait);
      }
      log(`${label}: retrying in ${wait} ms (${waitReason})`);
      await clock.sleep(wait);
    }
    return { ok: false, error: last ?? { code: 'SERVER_ERROR', message: `${spec.why}: no attempt made`, retryable: true } };
  }

  function safeJson(text: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  function describeThrown(e: unknown): string {
    if (e instanceof Error) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const extra = cause?.code ?? cause?.message;
      return redact(shorten(extra ? `${e.message}: ${extra}` : e.message, 200));
    }
    return redact(shorten(String(e), 200));
  }

  /**
   * Follows `links.next` until the last page. The spec's cursors are opaque strings; POST searches
   * take them in the body, GETs in the `cursor` query parameter.
   */
  async function allPages(budget: Budget, first: (cursor?: string) => RequestSpec): Promise<{ ok: true; items: unknown[] } | { ok: false; error: ActionError; items: unknown[] }> {
    const items: unknown[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const spec = first(cursor);
      const r = await send(budget, spec);
      if (!r.ok) return { ok: false, error: r.error, items };
      if (r.reply.status !== 200) return { ok: false, error: httpError(spec.why, r.reply), items };
      const body = r.reply.body;
      if (!isObject(body) || !Array.isArray(body.data)) {
        return { ok: false, error: { code: 'SERVER_ERROR', message: `${spec.why}: unexpected response shape (no \`data\` array)`, retryable: true }, items };
      }
      items.push(...body.data);
      const next = isObject(body.links) && typeof body.links.next === 'string' && body.links.next !== '' ? body.links.next : undefined;
      if (!next) return { ok: true, items };
      if (seen.has(next)) {
        return { ok: false, error: { code: 'SERVER_ERROR', message: `${spec.why}: the API returned the same page cursor twice`, retryable: true }, items };
      }
      seen.add(next);
      cursor = next;
    }
    return { ok: false, error: { code: 'SERVER_ERROR', message: `more than ${MAX_PAGES} pages; stopped`, retryable: false }, items };
  }

  // -------------------------------------------------------------------------------------------
  // Reads.

  /**
   * A user's role assignments for one role (and resource), to see whether the user holds it
   * DIRECTLY. Group-granted (`group_direct`) and `inferred` roles (an org admin is site admin of every
   * site) are not the app's to grant or revoke, so they don't make a holder.
   * Why: the revoke read-back, and filtering role-search candidates in `holders`.
   */
  async function directHolding(
    budget: Budget,
    accountId: string,
    role: string,
    resource: string | undefined,
  ): Promise<{ ok: true; direct: boolean; otherMethods: string[] } | { ok: false; error: ActionError }> {
    const r = await allPages(budget, (cursor) => ({
      method: 'GET',
      path: `${v2dir}/users/${enc(accountId)}/role-assignments`,
      query: cursor
        ? [['cursor', cursor]]
        : [['roleIds', role], ...(resource ? ([['resourceIds', resource]] as Array<[string, string]>) : []), ['limit', String(PAGE_LIMIT)]],
      why: `read role assignments of ${accountId}`,
    }));
    if (!r.ok) return { ok: false, error: r.error };
    let direct = false;
    const other = new Set<string>();
    for (const entry of r.items) {
      if (!isObject(entry)) continue;
      if (resource && entry.resourceId !== resource) continue;
      if (Array.isArray(entry.roleAssignments)) {
        for (const ra of entry.roleAssignments) {
          if (!isObject(ra) || ra.role !== role) continue;
          const methods = Array.isArray(ra.roleAssignmentMethods) ? ra.roleAssignmentMethods.map(String) : [];
          if (methods.includes('direct')) direct = true;
          for (const m of methods) if (m !== 'direct') other.add(m);
        }
      } else if (Array.isArray(entry.roles) && entry.roles.includes(role)) {
        // Only the deprecated `roles` list: the method is unknown, so count it as held (the safe side
        // for both callers: a revoke stays unverified, a holder list over- rather than under-reports).
        direct = true;
      }
    }
    return { ok: true, direct, otherMethods: [...other] };
  }

  /** Why: the revoke read-back for a group, and nothing else. One search filtered to the user and group. */
  async function isGroupMember(budget: Budget, groupId: string, accountId: string): Promise<{ ok: true; member: boolean } | { ok: false; error: ActionError }> {
    const spec: RequestSpec = {
      method: 'POST',
      path: `${v2dir}/users/search`,
      body: { accountIds: [accountId], groupIds: [groupId] },
      why: `read membership of ${accountId} in group ${groupId}`,
    };
    const r = await send(budget, spec);
    if (!r.ok) return r;
    if (r.reply.status !== 200) return { ok: false, error: httpError(spec.why, r.reply) };
    const body = r.reply.body;
    if (!isObject(body) || !Array.isArray(body.data)) {
      return { ok: false, error: { code: 'SERVER_ERROR', message: `${spec.why}: unexpected response shape`, retryable: true } };
    }
    return { ok: true, member: body.data.some((u) => isObject(u) && u.accountId === accountId) };
  }

  /** Why: `externalSynced` (SCIM) and the group's name. Called by `holders`, and after a 403 on a membership change. */
  async function readGroup(budget: Budget, groupId: string): Promise<{ ok: true; externalSynced: boolean; name?: string } | { ok: false; error: ActionError }> {
    const spec: RequestSpec = { method: 'GET', path: `${v2dir}/groups/${enc(groupId)}`, why: `read group ${groupId}` };
    const r = await send(budget, spec);
    if (!r.ok) return r;
    if (r.reply.status !== 200) return { ok: false, error: httpError(spec.why, r.reply) };
    const data = isObject(r.reply.body) && isObject(r.reply.body.data) ? r.reply.body.data : undefined;
    if (!data) return { ok: false, error: { code: 'SERVER_ERROR', message: `${spec.why}: unexpected response shape`, retryable: true } };
    return { ok: true, externalSynced: data.externalSynced === true, name: typeof data.name === 'string' ? data.name : undefined };
  }

  /**
   * After a 403 on a membership change: one extra read tells a SCIM-synced group (which the API never
   * lets anyone change) from other refusals. Healthy calls never pay for it.
   */
  async function refusal(budget: Budget, target: Extract<AccessTarget, { type: 'groupMembership' }>, what: string, reply: Reply): Promise<ActionOutcome> {
    const g = await readGroup(budget, target.groupId);
    if (g.ok && g.externalSynced) {
      const name = target.groupName ?? g.name ?? target.groupId;
      return {
        ok: false,
        error: {
          code: 'SCIM_SYNCED',
          message: redact(
            `${what}: group ${name} is managed by your identity provider (synced through SCIM), so its members can't be changed through the organizations API; change the membership in the identity provider instead`,
          ),
          retryable: false,
        },
      };
    }
    return { ok: false, error: httpError(what, reply) };
  }

  const is2xx = (s: number) => s >= 200 && s < 300;

  // -------------------------------------------------------------------------------------------
  // Writes.

  /** The single write call for a target (assign or revoke). */
  function writeSpec(target: AccessTarget, accountId: string, action: 'assign' | 'revoke'): RequestSpec {
    const why = `${action} ${describeTarget(target)} for ${accountId}`;
    switch (target.type) {
      case 'orgRole':
        return { method: 'POST', path: `${v1}/users/${enc(accountId)}/role-assignments/${action}`, body: { role: target.role }, why };
      case 'resourceRole':
        return { method: 'POST', path: `${v1}/users/${enc(accountId)}/roles/${action}`, body: { role: target.role, resource: target.resource }, why };
      case 'groupMembership':
        return action === 'assign'
          ? { method: 'POST', path: `${v2dir}/groups/${enc(target.groupId)}/memberships`, body: { accountId }, why }
          : { method: 'DELETE', path: `${v2dir}/groups/${enc(target.groupId)}/memberships/${enc(accountId)}`, why };
    }
  }

  const isLicenceConflict = (r: Reply) => /409-3$/.test(r.apiCode ?? '') || /licen[cs]e/i.test(r.apiMessage);

  async function assign(target: AccessTarget, accountId: string): Promise<ActionOutcome> {
    const invalid = validateRequest(target, accountId);
    if (invalid) return fail('BAD_REQUEST', `assign: ${invalid}`, false);
    const budget = startBudget();
    const spec = writeSpec(target, accountId, 'assign');
    // The one call of a healthy assign. Assigning is idempotent on the API side, so a retry after a
    // timeout or dropped connection (when the first attempt may have landed) is safe.
    const r = await send(budget, spec);
    if (!r.ok) return r;
    const reply = r.reply;
    if (is2xx(reply.status)) return { ok: true, detail: 'assigned' };
    if (reply.status === 409) {
      // Spec (add user to group): 409 = "already in the group" OR "user limit exceeded". Role
      // assignment documents 409 only for the licence limit.
      if (target.type === 'groupMembership' && !isLicenceConflict(reply)) return { ok: true, detail: 'already a member' };
      return { ok: false, error: httpError(spec.why, reply) };
    }
    if (reply.status === 403 && target.type === 'groupMembership') return refusal(budget, target, spec.why, reply);
    return { ok: false, error: httpError(spec.why, reply) };
  }

  async function revoke(target: AccessTarget, accountId: string): Promise<ActionOutcome> {
    const invalid = validateRequest(target, accountId);
    if (invalid) return fail('BAD_REQUEST', `revoke: ${invalid}`, false);
    const budget = startBudget();
    const spec = writeSpec(target, accountId, 'revoke');
    // Call 1: the revoke itself (idempotent, so retrying after a timeout or drop is safe).
    const r = await send(budget, spec);
    if (!r.ok) return r;
    const reply = r.reply;
    let notAssigned = false;
    if (reply.status === 404) {
      // An unknown org (or group) is a configuration error. Any other 404 ("user not in the group",
      // "couldn't find the organization or user") may just mean "nothing to revoke": the read-back decides.
      if (ORG_NOT_FOUND_CODES.has(reply.apiCode ?? '') || GROUP_NOT_FOUND_CODES.has(reply.apiCode ?? '')) {
        return { ok: false, error: httpError(spec.why, reply) };
      }
      notAssigned = true;
    } else if (reply.status === 403 && target.type === 'groupMembership') {
      return refusal(budget, target, spec.why, reply);
    } else if (!is2xx(reply.status)) {
      return { ok: false, error: httpError(spec.why, reply) };
    }
    return verifyGone(budget, target, accountId, notAssigned);
  }

  /**
   * Call 2 (and more only while eventual consistency hides the change): read back until the access is
   * gone, `verifyAttempts` times `verifyIntervalMs` apart. The first read is immediate, so a healthy,
   * consistent API costs exactly one read.
   */
  async function verifyGone(budget: Budget, target: AccessTarget, accountId: string, notAssigned: boolean): Promise<ActionOutcome> {
    const what = `verify revoke of ${describeTarget(target)} for ${accountId}`;
    let reads = 0;
    for (let i = 1; i <= verifyAttempts; i++) {
      if (i > 1) {
        if (verifyIntervalMs >= budget.remaining()) break;
        await clock.sleep(verifyIntervalMs);
      }
      reads = i;
      let gone: boolean;
      let note = '';
      if (target.type === 'groupMembership') {
        const m = await isGroupMember(budget, target.groupId, accountId);
        if (!m.ok) return readBackFailure(what, m.error);
        gone = !m.member;
      } else {
        const role = target.role;
        const resource = target.type === 'resourceRole' ? target.resource : undefined;
        const h = await directHolding(budget, accountId, role, resource);
        if (!h.ok) return readBackFailure(what, h.error);
        gone = !h.direct;
        if (gone && h.otherMethods.length) {
          note = `; the user still holds ${role} through ${h.otherMethods.join(', ')} (not a direct assignment, so not the app's to remove)`;
        }
      }
      if (gone) {
        const head = notAssigned ? 'was not assigned' : 'revoked';
        return { ok: true, detail: `${head}; verified by read-back ${i}${note}` };
      }
      log(`${what}: still present on read-back ${i}/${verifyAttempts}`);
    }
    return {
      ok: false,
      error: {
        code: 'UNVERIFIED',
        message: `${what}: the API accepted the revoke but reads still show the access after ${reads} read-back(s); changes can take up to 30 s to show, retry later`,
        retryable: true,
        retryAfterMs: Math.max(verifyIntervalMs, 1_000),
      },
    };
  }

  function readBackFailure(what: string, e: ActionError): ActionOutcome {
    // A read that fails for good (401/403/404) is reported as itself; a transient one leaves the
    // revoke unverified, which the caller retries.
    if (!e.retryable) return { ok: false, error: { ...e, message: `${what}: ${e.message}` } };
    return { ok: false, error: { code: 'UNVERIFIED', message: redact(`${what}: the read-back failed (${e.message})`), retryable: true } };
  }

  // -------------------------------------------------------------------------------------------
  // Holders.

  async function holders(target: AccessTarget, options: HolderReadOptions = {}): Promise<HolderSnapshot> {
    const invalid = validateTarget(target);
    if (invalid) return { complete: false, holders: [], externallySynced: false, error: { code: 'BAD_REQUEST', message: `holders: ${invalid}`, retryable: false } };
    const budget = startBudget();
    const incomplete = (found: Iterable<string>, error: ActionError, externallySynced = false): HolderSnapshot => ({
      complete: false,
      holders: [...new Set(found)].sort(),
      externallySynced,
      error,
    });

    if (target.type === 'groupMembership') {
      // Call 1: the group, for `externalSynced` (and proof it exists: an unknown group must not look empty).
      const g = await readGroup(budget, target.groupId);
      if (!g.ok) return incomplete([], g.error);
      // Calls 2..: every member, 100 per page.
      const members = await allPages(budget, (cursor) => ({
        method: 'POST',
        path: `${v2dir}/users/search`,
        body: cursor ? { cursor } : { groupIds: [target.groupId], limit: PAGE_LIMIT },
        why: `list members of group ${target.groupId}`,
      }));
      const ids = members.items.filter(isObject).map((u) => String(u.accountId));
      if (!members.ok) return incomplete(ids, members.error, g.externalSynced);
      return { complete: true, holders: [...new Set(ids)].sort(), externallySynced: g.externalSynced };
    }

    // Roles. Calls 1..: everyone the search says holds the role (on the resource) by ANY method,
    // 100 per page: the only listing the API offers.
    const role = target.role;
    const resource = target.type === 'resourceRole' ? target.resource : undefined;
    const candidates = await allPages(budget, (cursor) => ({
      method: 'POST',
      path: `${v2dir}/users/search`,
      body: cursor ? { cursor } : { roleIds: [role], ...(resource ? { resourceIds: [resource] } : {}), limit: PAGE_LIMIT },
      why: `list holders of ${describeTarget(target)}`,
    }));
    const ids = [...new Set(candidates.items.filter(isObject).map((u) => String(u.accountId)))].sort();
    if (!candidates.ok) return incomplete([], candidates.error);
    // Then one role-assignment read per candidate: the search can't say HOW a role is held, and
    // only direct assignments are holders (an org admin's inferred site-admin is not).
    // A candidate that cannot be read makes the list incomplete but does not stop it: the
    // holders it does confirm are a lower bound the revocation guard can still use (one
    // unreadable account must not hold every org-admin revoke back).
    const first = new Set(options.confirmFirst ?? []);
    const ordered = [...ids.filter((id) => first.has(id)), ...ids.filter((id) => !first.has(id))];
    const direct: string[] = [];
    let failure: ActionError | undefined;
    for (const accountId of ordered) {
      const h = await directHolding(budget, accountId, role, resource);
      if (!h.ok) {
        failure ??= h.error;
        continue;
      }
      if (!h.direct) continue;
      direct.push(accountId);
      if (options.enough?.(direct)) return { complete: false, holders: [...direct].sort(), externallySynced: false };
    }
    if (failure) return incomplete(direct, failure);
    direct.sort();
    return { complete: true, holders: direct, externallySynced: false };
  }

  return { assign, revoke, holders };
}
