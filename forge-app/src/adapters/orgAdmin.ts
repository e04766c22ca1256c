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
 * One adapter serves one invocation (Forge allows 100 egress requests and 100 log lines per
 * invocation): it counts its requests against `requestBudget`, caches directory ids for the
 * invocation, and logs only what is worth reading (failures, retries, one line per holder read).
 *
 * Calls per operation when the API is healthy (the benchmark counts them):
 * - assign:  1 write (a group write first resolves its directory: 1 read per invocation, plus 1 group
 *            read per group when the org has several directories).
 * - revoke:  1 write + 1 read-back (more reads only while eventual consistency hides the change).
 * - holders: role: 1 group search + 1 role read per group that holds the role (resource roles) +
 *            1 member page per 100 members of those groups + 1 search page per 100 holders (+ the org
 *            admins' pages for a resource role, where org admins hold it by inference) + 1
 *            role-assignment read per account the listing cannot classify (a member of such a group,
 *            or an org admin for a resource role), up to `maxAccountReads`;
 *            group: 1 group read + 1 search page per 100 members.
 */

import { ORG_ADMIN_ROLE, RESOURCE_ROLES, type Access, type ResourceRole } from '../decision/contract';
import { again, done, retry, type Attempt } from '../shared/retry';
import type { ActionError, ActionOutcome, GroupHolding, HolderReadOptions, HolderSnapshot, OrgDirectory, OrgProbe, OrgProbeResult } from '../ports';

export type { ActionError, ActionOutcome, GroupHolding, HolderReadOptions, HolderSnapshot, OrgDirectory, OrgProbe, OrgProbeResult } from '../ports';

// ---------------------------------------------------------------------------------------------
// Public types.

/**
 * Stable error codes. Retryable: RATE_LIMITED, SERVER_ERROR, TIMEOUT, NETWORK, UNVERIFIED, BUDGET_EXHAUSTED
 * (and ORG_API_CONTRACT_CHANGED for a revoke, which must keep trying while an admin looks).
 * - API_KEY_SCOPED: the key is an API key WITH scopes; the user-management and role endpoints need
 *   one without scopes (the message says where to create it).
 * - ORG_API_CONTRACT_CHANGED: a role endpoint answered as if removed or changed (404/400 outside what
 *   the spec documents); the org-admin `role-assignments` operations are `x-experimental`.
 */
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
  'API_KEY_SCOPED',
  'ORG_API_CONTRACT_CHANGED',
] as const;
export type OrgAdminErrorCode = (typeof ORG_ADMIN_ERROR_CODES)[number];

/**
 * The account the role-endpoint probe revokes org admin from: in the form of an Atlassian account
 * id, and one no organization has, so the documented answer is 404 `ADMIN-UAM-404-3` and nothing
 * changes (docs/platform-rules.md, "Health probes").
 */
export const PROBE_ACCOUNT_ID = '712020:00000000-0000-4000-8000-00000000beef';

export interface OrgAdminOptions {
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  /** `https://api.atlassian.com` in Forge; the emulator's URL locally. */
  baseUrl: string;
  orgId: string;
  apiKey: string;
  /**
   * Reads use `-` (every directory the key can manage). Group writes need the group's real directory,
   * which the adapter looks up (Get directories) unless this names one.
   */
  directoryId?: string;
  /** Virtual in tests. Used for back-off, Retry-After, verification polling and the budget. */
  clock: { now(): number; sleep(ms: number): Promise<void> };
  /** Wall-clock limit of one HTTP request. Default 8 000. */
  requestTimeoutMs?: number;
  /** Attempts per HTTP call (first try included). Default 4. */
  maxAttempts?: number;
  /** Time one operation may take, retries and polling included. Default 20 000 (Forge resolvers get 25 s). */
  budgetMs?: number;
  /**
   * Most HTTP requests this adapter sends (retries included): one adapter serves one invocation, and
   * Forge allows 100 egress requests per invocation. Default 80, leaving room for other egress.
   */
  requestBudget?: number;
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
  /** Most log lines this adapter writes (Forge keeps 100 per invocation). Default 30. */
  maxLogLines?: number;
}

// ---------------------------------------------------------------------------------------------
// Constants from the spec.

/** The role whose resource is a site (the others' are products): typed by the core's role list. */
const SITE_ADMIN: ResourceRole = 'atlassian/site-admin';
/** The largest page the spec allows for users/search, groups/search and role-assignments. */
const PAGE_LIMIT = 100;
/** A runaway pagination guard: 100 pages of 100 is far beyond any org's admin count. */
const MAX_PAGES = 100;
/** A `resourceIds` filter takes at most 20 ids (spec). */
const MAX_RESOURCE_IDS = 20;

/** 404 codes that mean the organization itself is unknown (never "not assigned"). */
const ORG_NOT_FOUND_CODES = new Set(['ADMIN-404-2', 'ADMIN-UAM-404-2']);
/** 404 code for an unknown group (v2 groups API). */
const GROUP_NOT_FOUND_CODES = new Set(['ADMIN-404-10']);
/**
 * The 404 codes the v1 role endpoints document (`ADMIN-UAM-404-3`, "We couldn't find the organization
 * or user"; the code list adds unknown resource and unknown organization). Any other 404 from them
 * means the operation itself is gone.
 */
const ROLE_404_CODES = new Set(['ADMIN-UAM-404-1', 'ADMIN-UAM-404-2', 'ADMIN-UAM-404-3']);
/** The documented 400 for an inactive user: not a contract change. */
const INACTIVE_USER_CODE = 'ADMIN-UAM-400-2';
/** The app's organizations API key must be one without scopes: where to create it. */
const KEY_HELP =
  'in admin.atlassian.com, select your organization, go to Settings > API keys, choose Create API key and pick "API key without scopes" (not "API keys with scopes"; it lasts at most a year), then store it with `forge variables set --encrypt ORG_API_KEY <key> -e production` and revoke the old key';
/** The unverified report in the platform notes (§7), for 403/404 from role endpoints with a good key. */
const SUPPORT_HINT =
  'a likely cause: some organizations reportedly need Atlassian Support to enable the role (provisioning) endpoints for the tenant; ask Atlassian Support to enable user role management through the organizations API for this organization';

// ---------------------------------------------------------------------------------------------
// Resource ARIs. The spec writes the same site as `ari:cloud:platform::site/<id>` (role assign),
// `ari:cloud:jira::site/<id>` (role-assignment result) and `ari:cloud:jira-core::site/<id>`
// (`ResourceId`), and a real org may answer reads in another form than the one a policy uses.

/** `ari:cloud:<owner>:<cloud>:<type>/<id>`, the parts that carry meaning. */
export interface ParsedAri {
  owner: string;
  type: string;
  id: string;
}

/** The parts of a resource ARI, or null when it is not of the form the spec uses. */
export function parseAri(ari: string): ParsedAri | null {
  const m = /^ari:cloud:([a-z0-9-]+):[^:/]*:([a-z0-9-]+)\/([^/\s]+)$/.exec(ari);
  return m ? { owner: m[1], type: m[2], id: m[3] } : null;
}

/** Resource types the adapter understands; any other type makes a comparison `unknown`. */
const KNOWN_TYPES = new Set(['site', 'org']);
/**
 * Owners that may name the same product under another key (Jira's products were merged and renamed,
 * and `platform` names the site itself): two different ones of these compare as `unknown`.
 */
const UNCERTAIN_OWNERS = new Set(['platform', 'jira', 'jira-core', 'jira-software']);

/** The equivalent forms the adapter sends as a `resourceIds` filter, the wanted one first. */
export function resourceForms(role: string, resource: string): string[] {
  const p = parseAri(resource);
  if (!p || p.type !== 'site') return [resource];
  const owners = role === SITE_ADMIN ? ['platform', 'jira', 'jira-core'] : p.owner === 'jira-core' || p.owner === 'jira-software' || p.owner === 'jira' ? ['jira', 'jira-core', 'jira-software'] : [];
  const forms = [resource, ...owners.map((o) => `ari:cloud:${o}::site/${p.id}`)];
  return [...new Set(forms)].slice(0, MAX_RESOURCE_IDS);
}

/**
 * Whether `seen` (from a read) names the resource `wanted` (from the policy) for `role`, by meaning:
 * the resource type and id (a site is its cloud id, whoever "owns" the ARI), and for product roles
 * the product too. `unknown` when either is unrecognised or the owners may or may not be the same
 * product: never read as "not held".
 */
export function sameResource(role: string, wanted: string, seen: string): 'same' | 'different' | 'unknown' {
  if (wanted === seen) return 'same';
  const a = parseAri(wanted);
  const b = parseAri(seen);
  if (!a || !b || !KNOWN_TYPES.has(a.type) || !KNOWN_TYPES.has(b.type)) return 'unknown';
  if (a.type !== b.type || a.id !== b.id) return 'different';
  if (a.type === 'org' || role === SITE_ADMIN || a.owner === b.owner) return 'same';
  return UNCERTAIN_OWNERS.has(a.owner) && UNCERTAIN_OWNERS.has(b.owner) ? 'unknown' : 'different';
}

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
  /**
   * The operation names no API-key scopes in the spec, so only a key without scopes may call it: a 2xx
   * proves the key is one, a 403 suggests it is not.
   */
  unscopedOnly?: boolean;
  /** The call changes nothing. */
  readOnly?: boolean;
  /** For messages: the spec operation, e.g. `POST /v1/orgs/{orgId}/users/{userId}/role-assignments/assign`. */
  operation?: string;
}

class TimeoutError extends Error {}

const fail = (code: OrgAdminErrorCode, message: string, retryable: boolean, retryAfterMs?: number): { ok: false; error: ActionError } => ({
  ok: false,
  error: { code, message, retryable, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
});

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeTarget(t: Access): string {
  switch (t.type) {
    case 'orgRole':
      return `role ${t.role}`;
    case 'resourceRole':
      return `role ${t.role} on ${t.resource}`;
    case 'groupMembership':
      return `membership of group ${t.groupName ?? t.groupId}`;
  }
}

function validateTarget(t: Access): string | null {
  if (!t || typeof t !== 'object') return 'target is missing';
  switch (t.type) {
    case 'orgRole':
      return t.role === ORG_ADMIN_ROLE ? null : `org role must be ${ORG_ADMIN_ROLE}`;
    case 'resourceRole':
      if (!(RESOURCE_ROLES as readonly string[]).includes(t.role)) return `resource role must be one of ${RESOURCE_ROLES.join(', ')}`;
      return typeof t.resource === 'string' && t.resource.trim() !== '' ? null : 'resource is empty';
    case 'groupMembership':
      return typeof t.groupId === 'string' && t.groupId.trim() !== '' ? null : 'groupId is empty';
    default:
      return `unknown target type ${String((t as { type?: unknown }).type)}`;
  }
}

function validateRequest(t: Access, accountId: string): string | null {
  if (typeof accountId !== 'string' || accountId.trim() === '') return 'accountId is empty';
  return validateTarget(t);
}

/** Ids in `all` after `cursor` (sorted), then those up to it: a rotation that visits everyone in turn. */
function rotate(all: readonly string[], cursor: string | undefined): string[] {
  const sorted = [...all].sort();
  if (!cursor) return sorted;
  const i = sorted.findIndex((id) => id > cursor);
  return i < 0 ? sorted : [...sorted.slice(i), ...sorted.slice(0, i)];
}

export function createOrgDirectory(options: OrgAdminOptions): OrgDirectory {
  const base = options.baseUrl.replace(/\/+$/, '');
  /** A directory the deployer named for every call; otherwise reads use `-` and writes look the group's up. */
  const fixedDir = options.directoryId && options.directoryId !== '-' ? options.directoryId : undefined;
  const readDir = fixedDir ?? '-';
  const clock = options.clock;
  const requestTimeoutMs = options.requestTimeoutMs ?? 8_000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const budgetMs = options.budgetMs ?? 20_000;
  const requestBudget = Math.max(1, options.requestBudget ?? 80);
  const verifyAttempts = Math.max(1, options.verifyAttempts ?? 3);
  const verifyIntervalMs = options.verifyIntervalMs ?? 2_000;
  const backoffBaseMs = options.backoffBaseMs ?? 500;
  const backoffMaxMs = options.backoffMaxMs ?? 8_000;
  const random = options.random ?? Math.random;
  const maxLogLines = Math.max(1, options.maxLogLines ?? 30);
  const apiKey = options.apiKey;
  const enc = encodeURIComponent;
  const v1 = `/admin/v1/orgs/${enc(options.orgId)}`;
  const v2 = `/admin/v2/orgs/${enc(options.orgId)}`;
  const inDir = (dir: string) => `${v2}/directories/${enc(dir)}`;
  const v2read = inDir(readDir);

  // Per-invocation state.
  let requestsSent = 0;
  let logLines = 0;
  /** What the key has shown itself to be: a 2xx from an operation without scopes proves "unscoped". */
  let keyKind: 'unknown' | 'unscoped' | 'scoped' = 'unknown';
  let directories: string[] | undefined;
  const groupDirectory = new Map<string, string>();
  /** Everyone holding org admin by any method, as last listed (resource roles hold it by inference). */
  let orgAdminListing: { at: number; ids: Set<string> } | undefined;
  const ORG_ADMIN_LISTING_TTL_MS = 60_000;

  /** Removes the API key (and any bearer token) from text that may reach a message or log. */
  const redact = (text: string): string => {
    let out = text;
    if (apiKey && apiKey.length >= 4) out = out.split(apiKey).join('[redacted]');
    return out.replace(/Bearer\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]+/gi, 'Bearer [redacted]');
  };
  const log = (line: string) => {
    if (!options.log || logLines > maxLogLines) return;
    logLines++;
    options.log(redact(logLines > maxLogLines ? `[orgAdmin] log limit of ${maxLogLines} lines reached; further lines of this invocation are dropped` : `[orgAdmin] ${line}`));
  };
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

  const upstreamOf = (r: Reply) => [r.apiCode, r.apiMessage].filter(Boolean).join(' ');

  /** The error for a final (non-retried) HTTP status. */
  function httpError(what: string, r: Reply): ActionError {
    const upstream = upstreamOf(r);
    const msg = (m: string) => redact(`${what}: ${m}${upstream ? ` (${upstream})` : ''}`);
    if (r.status === 400) return { code: 'BAD_REQUEST', message: msg('the organizations API rejected the request (400)'), retryable: false };
    if (r.status === 401) {
      return {
        code: 'UNAUTHORIZED',
        message: msg(`the organizations API rejected the API key (401): ORG_API_KEY is unknown, expired (keys last at most a year) or revoked; create a new one: ${KEY_HELP}`),
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

  const scopedKeyError = (what: string, r: Reply): ActionError => ({
    code: 'API_KEY_SCOPED',
    message: redact(
      `${what}: the organizations API refused ORG_API_KEY (403${upstreamOf(r) ? `: ${upstreamOf(r)}` : ''}): it is an API key WITH scopes, and the user-management and role endpoints have no scopes, so only an API key WITHOUT scopes can call them; create one: ${KEY_HELP}`,
    ),
    retryable: false,
  });

  /**
   * The error for a final 403. A key with scopes gets 403 on every operation that names no scopes;
   * one extra read without scopes (`users/search`, at most once per invocation) tells such a key from a
   * refusal of this one operation. Healthy calls never pay for it.
   */
  async function forbidden(budget: Budget, spec: RequestSpec, r: Reply): Promise<ActionError> {
    if (keyKind === 'unknown') {
      // A read without scopes refused outright: only a key with scopes gets that.
      if (spec.unscopedOnly && spec.readOnly) keyKind = 'scoped';
      else {
        const probe = await send(budget, {
          method: 'POST',
          path: `${inDir('-')}/users/search`,
          body: { limit: 1 },
          why: 'check that ORG_API_KEY is an API key without scopes',
          unscopedOnly: true,
          readOnly: true,
        });
        if (probe.ok && probe.reply.status === 403) keyKind = 'scoped';
      }
    }
    if (keyKind === 'scoped') return scopedKeyError(spec.why, r);
    const base = httpError(spec.why, r);
    if (spec.operation && isRoleOperation(spec.operation) && keyKind === 'unscoped') {
      return {
        ...base,
        message: redact(
          `${base.message}; the API key works for other calls (it is a key without scopes), so if the reason above is not the cause (such as the last organization admin, or the key owner's own role), ${SUPPORT_HINT}`,
        ),
      };
    }
    return base;
  }

  const isRoleOperation = (op: string) => /\/users\/\{userId\}\/(role-assignments|roles)\/(assign|revoke)$/.test(op);

  interface Budget {
    started: number;
    remaining(): number;
  }
  const startBudget = (): Budget => {
    const started = clock.now();
    return { started, remaining: () => budgetMs - (clock.now() - started) };
  };

  /** One HTTP exchange, bounded by a wall-clock timeout (even if the fetch ignores the abort signal). */
  async function exchange(url: string, init: RequestInit, timeoutMs: number): Promise<{ status: number; retryAfter: string | null; proxyError: string | null; text: string }> {
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
      return { status: res.status, retryAfter: res.headers.get('retry-after'), proxyError: res.headers.get('forge-proxy-error'), text };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends one request, retrying 429 (after Retry-After), 5xx, timeouts and network errors with
   * exponential back-off and jitter, within `maxAttempts`, the operation's time budget and the
   * invocation's request budget. Any other status is returned to the caller, which knows what it
   * means for that call.
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
    /** The last wait is the API's own `Retry-After`. */
    let waitFromApi = false;
    const sent = await retry(
      clock,
      {
        attempts: maxAttempts,
        delayMs: backoff,
        deadline: budget.started + budgetMs,
        onRetry: (_, wait) => log(`${label}: retrying in ${wait} ms (${waitFromApi ? 'Retry-After' : 'back-off'})`),
      },
      async (attempt): Promise<Attempt<CallResult>> => {
        waitFromApi = false;
        const remaining = budget.remaining();
        if (remaining <= 0) {
          return done(fail('BUDGET_EXHAUSTED', redact(`${spec.why}: out of time after ${budgetMs} ms${last ? `; last error: ${last.message}` : ''}`), true));
        }
        if (requestsSent >= requestBudget) {
          log(`${spec.why}: request budget of ${requestBudget} used up`);
          return done(
            fail(
              'BUDGET_EXHAUSTED',
              redact(`${spec.why}: this invocation's ${requestBudget} organizations API requests are used up (Forge allows 100 per invocation)${last ? `; last error: ${last.message}` : ''}`),
              true,
            ),
          );
        }
        requestsSent++;
        const t0 = clock.now();
        try {
          const r = await exchange(url, init, Math.min(requestTimeoutMs, remaining));
          if (r.status === 429 && r.proxyError === 'FETCH_LIMIT_EXCEEDED') {
            // Forge's own egress limit for this invocation, not the API's rate limit: every further
            // request would get the same answer, so stop here and leave the work to a later invocation.
            requestsSent = Math.max(requestsSent, requestBudget);
            log(`${label} → 429 FETCH_LIMIT_EXCEEDED (${spec.why}): Forge's egress limit for this invocation is reached`);
            return done(
              fail(
                'BUDGET_EXHAUSTED',
                redact(`${spec.why}: Forge refused the request (FETCH_LIMIT_EXCEEDED): this invocation's egress requests (100) are used up${last ? `; last error: ${last.message}` : ''}`),
                true,
              ),
            );
          }
          const parsed = r.status >= 400 ? parseErrorBody(r.text) : { apiMessage: '', body: r.text ? safeJson(r.text) : undefined };
          const reply: Reply = { status: r.status, ...parsed, retryAfterMs: parseRetryAfter(r.retryAfter) };
          if (r.status >= 400) log(`${label} → ${r.status} ${reply.apiCode ?? ''} (${spec.why}; attempt ${attempt}/${maxAttempts}, ${clock.now() - t0} ms)`);
          if (r.status < 300 && spec.unscopedOnly) keyKind = 'unscoped';
          if (r.status !== 429 && r.status < 500) return done({ ok: true, reply });
          last = httpError(spec.why, reply);
          if (r.status === 429 && reply.retryAfterMs !== undefined) {
            waitFromApi = true;
            return again(reply.retryAfterMs);
          }
          return again();
        } catch (e) {
          // Ours, or the caller's own bound on the request (an abort or a named timeout).
          const timedOut = e instanceof TimeoutError || (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'));
          const detail = timedOut ? e.message : describeThrown(e);
          last = timedOut
            ? { code: 'TIMEOUT', message: redact(`${spec.why}: the organizations API did not answer in time (${detail})`), retryable: true }
            : { code: 'NETWORK', message: redact(`${spec.why}: network error (${detail})`), retryable: true };
          log(`${label} → ${last.code} (${spec.why}; attempt ${attempt}/${maxAttempts}: ${detail})`);
          return again();
        }
      },
    );
    if (sent.ok) return sent.value;
    if (sent.stop === 'deadline' && last) {
      // Waiting would overrun the invocation: stop now and let the caller retry later.
      if (last.code === 'RATE_LIMITED') return { ok: false, error: { ...last, retryAfterMs: sent.waitMs } };
      return fail('BUDGET_EXHAUSTED', redact(`${spec.why}: no time left to retry within ${budgetMs} ms; last error: ${last.message}`), true, sent.waitMs);
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

  /** The error for a final non-2xx answer to a read. */
  async function readError(budget: Budget, spec: RequestSpec, r: Reply): Promise<ActionError> {
    return r.status === 403 ? forbidden(budget, spec, r) : httpError(spec.why, r);
  }

  /**
   * Follows `links.next` until the last page. The spec's cursors are opaque strings; POST searches
   * take them in the body, GETs in the `cursor` query parameter. `onPage` may stop the read early
   * (it returns true), leaving `stopped` set.
   */
  async function allPages(
    budget: Budget,
    first: (cursor?: string) => RequestSpec,
    onPage?: (items: unknown[]) => boolean,
  ): Promise<{ ok: true; items: unknown[]; stopped: boolean } | { ok: false; error: ActionError; items: unknown[] }> {
    const items: unknown[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const spec = first(cursor);
      const r = await send(budget, spec);
      if (!r.ok) return { ok: false, error: r.error, items };
      if (r.reply.status !== 200) return { ok: false, error: await readError(budget, spec, r.reply), items };
      const body = r.reply.body;
      if (!isObject(body) || !Array.isArray(body.data)) {
        return { ok: false, error: { code: 'SERVER_ERROR', message: `${spec.why}: unexpected response shape (no \`data\` array)`, retryable: true }, items };
      }
      items.push(...body.data);
      const next = isObject(body.links) && typeof body.links.next === 'string' && body.links.next !== '' ? body.links.next : undefined;
      if (!next) return { ok: true, items, stopped: false };
      if (onPage?.(items)) return { ok: true, items, stopped: true };
      if (seen.has(next)) {
        return { ok: false, error: { code: 'SERVER_ERROR', message: `${spec.why}: the API returned the same page cursor twice`, retryable: true }, items };
      }
      seen.add(next);
      cursor = next;
    }
    return { ok: false, error: { code: 'SERVER_ERROR', message: `more than ${MAX_PAGES} pages; stopped`, retryable: false }, items };
  }

  const accountIdsOf = (items: unknown[]) => items.filter(isObject).map((u) => String(u.accountId));

  // -------------------------------------------------------------------------------------------
  // Directories. Reads may use `-` (every directory the key can manage); every write names the
  // real directory ("Use the Get directories endpoint to find the directory ID"). A group belongs
  // to one directory; both lookups are cached for the invocation.

  async function listDirectories(budget: Budget): Promise<{ ok: true; ids: string[] } | { ok: false; error: ActionError }> {
    if (directories) return { ok: true, ids: directories };
    const r = await allPages(budget, (cursor) => ({
      method: 'GET',
      path: `${v2}/directories`,
      query: cursor ? [['cursor', cursor]] : [['limit', String(PAGE_LIMIT)]],
      why: 'list the directories of the organization',
      readOnly: true,
    }));
    if (!r.ok) return r;
    directories = [...new Set(r.items.filter(isObject).map((d) => d.directoryId).filter((id): id is string => typeof id === 'string' && id !== ''))];
    return { ok: true, ids: directories };
  }

  /** Why: the directory id of a group write (and its read-back). */
  async function directoryOf(budget: Budget, groupId: string): Promise<{ ok: true; id: string } | { ok: false; error: ActionError }> {
    if (fixedDir) return { ok: true, id: fixedDir };
    const cached = groupDirectory.get(groupId);
    if (cached) return { ok: true, id: cached };
    const d = await listDirectories(budget);
    if (!d.ok) return d;
    if (d.ids.length === 0) return fail('NOT_FOUND', `group ${groupId}: the organization has no directory this API key can manage`, false);
    let found: string | undefined = d.ids.length === 1 ? d.ids[0] : undefined;
    if (!found) {
      // Several directories: the group's own record names its directory.
      const g = await readGroup(budget, groupId, '-');
      if (g.ok && g.directoryId && d.ids.includes(g.directoryId)) found = g.directoryId;
      else if (!g.ok && g.error.code !== 'NOT_FOUND') return g;
      for (const id of found ? [] : d.ids) {
        const probe = await readGroup(budget, groupId, id);
        if (probe.ok) {
          found = id;
          break;
        }
        if (probe.error.code !== 'NOT_FOUND') return probe;
      }
    }
    if (!found) return fail('NOT_FOUND', `group ${groupId} was not found in any of the organization's ${d.ids.length} directories`, false);
    groupDirectory.set(groupId, found);
    return { ok: true, id: found };
  }

  // -------------------------------------------------------------------------------------------
  // Reads.

  /**
   * A user's assignments of one role, to see whether the user holds it (on the resource) DIRECTLY.
   * Group-granted (`group_direct`) and `inferred` roles (an org admin is site admin of every site) are
   * not the app's to grant or revoke, so they don't make a holder. Resources are compared by meaning
   * (`sameResource`), never as strings: a read may name the site in another ARI form than the policy,
   * and a form the adapter does not recognise is `unknown`, never "not held".
   * Why: the revoke read-back, and classifying role-search candidates in `holders`.
   */
  async function directHolding(
    budget: Budget,
    accountId: string,
    role: string,
    resource: string | undefined,
  ): Promise<{ ok: true; direct: boolean; otherMethods: string[]; unknown: string[] } | { ok: false; error: ActionError }> {
    const r = await allPages(budget, (cursor) => ({
      method: 'GET',
      path: `${v2read}/users/${enc(accountId)}/role-assignments`,
      // No `resourceIds` filter: the API may store the resource in another form than ours.
      query: cursor ? [['cursor', cursor]] : [['roleIds', role], ['limit', String(PAGE_LIMIT)]],
      why: `read role assignments of ${accountId}`,
      readOnly: true,
    }));
    if (!r.ok) return { ok: false, error: r.error };
    let direct = false;
    const other = new Set<string>();
    const unknown = new Set<string>();
    for (const entry of r.items) {
      if (!isObject(entry)) continue;
      const seen = typeof entry.resourceId === 'string' ? entry.resourceId : '';
      const match = resource ? sameResource(role, resource, seen) : 'same';
      if (match === 'different') continue;
      const methodsOf = (): string[] | null => {
        if (Array.isArray(entry.roleAssignments)) {
          const ms: string[] = [];
          let found = false;
          for (const ra of entry.roleAssignments) {
            if (!isObject(ra) || ra.role !== role) continue;
            found = true;
            if (Array.isArray(ra.roleAssignmentMethods)) ms.push(...ra.roleAssignmentMethods.map(String));
          }
          return found ? ms : null;
        }
        // Only the deprecated `roles` list: the method is unknown, so count it as direct (the safe side
        // for both callers: a revoke stays unverified, a holder list over- rather than under-reports).
        return Array.isArray(entry.roles) && entry.roles.includes(role) ? ['direct'] : null;
      };
      const methods = methodsOf();
      if (!methods) continue;
      if (match === 'unknown') {
        unknown.add(seen || '(no resource id)');
        continue;
      }
      if (methods.includes('direct')) direct = true;
      for (const m of methods) if (m !== 'direct') other.add(m);
    }
    return { ok: true, direct, otherMethods: [...other], unknown: [...unknown] };
  }

  /** Why: the revoke read-back for a group, and nothing else. One search filtered to the user and group. */
  async function isGroupMember(budget: Budget, dirId: string, groupId: string, accountId: string): Promise<{ ok: true; member: boolean } | { ok: false; error: ActionError }> {
    const spec: RequestSpec = {
      method: 'POST',
      path: `${inDir(dirId)}/users/search`,
      body: { accountIds: [accountId], groupIds: [groupId] },
      why: `read membership of ${accountId} in group ${groupId}`,
      unscopedOnly: true,
      readOnly: true,
    };
    const r = await send(budget, spec);
    if (!r.ok) return r;
    if (r.reply.status !== 200) return { ok: false, error: await readError(budget, spec, r.reply) };
    const body = r.reply.body;
    if (!isObject(body) || !Array.isArray(body.data)) {
      return { ok: false, error: { code: 'SERVER_ERROR', message: `${spec.why}: unexpected response shape`, retryable: true } };
    }
    return { ok: true, member: body.data.some((u) => isObject(u) && u.accountId === accountId) };
  }

  /** Why: `externalSynced` (SCIM), the group's name and directory. Called by `holders`, the directory lookup, and after a 403 on a membership change. */
  async function readGroup(
    budget: Budget,
    groupId: string,
    dirId: string = readDir,
  ): Promise<{ ok: true; externalSynced: boolean; name?: string; directoryId?: string } | { ok: false; error: ActionError }> {
    const spec: RequestSpec = { method: 'GET', path: `${inDir(dirId)}/groups/${enc(groupId)}`, why: `read group ${groupId}`, unscopedOnly: true, readOnly: true };
    const r = await send(budget, spec);
    if (!r.ok) return r;
    if (r.reply.status !== 200) return { ok: false, error: await readError(budget, spec, r.reply) };
    const data = isObject(r.reply.body) && isObject(r.reply.body.data) ? r.reply.body.data : undefined;
    if (!data) return { ok: false, error: { code: 'SERVER_ERROR', message: `${spec.why}: unexpected response shape`, retryable: true } };
    return {
      ok: true,
      externalSynced: data.externalSynced === true,
      name: typeof data.name === 'string' ? data.name : undefined,
      directoryId: typeof data.directoryId === 'string' ? data.directoryId : undefined,
    };
  }

  /**
   * After a 403 on a membership change: one extra read tells a SCIM-synced group (which the API never
   * lets anyone change) from other refusals. Healthy calls never pay for it.
   */
  async function refusal(budget: Budget, target: Extract<Access, { type: 'groupMembership' }>, spec: RequestSpec, reply: Reply): Promise<ActionOutcome> {
    const g = await readGroup(budget, target.groupId);
    if (g.ok && g.externalSynced) {
      const name = target.groupName ?? g.name ?? target.groupId;
      return {
        ok: false,
        error: {
          code: 'SCIM_SYNCED',
          message: redact(
            `${spec.why}: group ${name} is managed by your identity provider (synced through SCIM), so its members can't be changed through the organizations API; change the membership in the identity provider instead`,
          ),
          retryable: false,
        },
      };
    }
    if (!g.ok && g.error.code === 'API_KEY_SCOPED') return { ok: false, error: { ...g.error, message: redact(`${spec.why}: ${g.error.message}`) } };
    return { ok: false, error: await forbidden(budget, spec, reply) };
  }

  const is2xx = (s: number) => s >= 200 && s < 300;

  // -------------------------------------------------------------------------------------------
  // Writes.

  /** The single write call for a target (assign or revoke); `dirId` is the group's directory. */
  function writeSpec(target: Access, accountId: string, action: 'assign' | 'revoke', dirId: string): RequestSpec {
    const why = `${action} ${describeTarget(target)} for ${accountId}`;
    switch (target.type) {
      case 'orgRole':
        return {
          method: 'POST',
          path: `${v1}/users/${enc(accountId)}/role-assignments/${action}`,
          body: { role: target.role },
          why,
          unscopedOnly: true,
          operation: `POST /v1/orgs/{orgId}/users/{userId}/role-assignments/${action}`,
        };
      case 'resourceRole':
        return {
          method: 'POST',
          path: `${v1}/users/${enc(accountId)}/roles/${action}`,
          body: { role: target.role, resource: target.resource },
          why,
          unscopedOnly: true,
          operation: `POST /v1/orgs/{orgId}/users/{userId}/roles/${action}`,
        };
      case 'groupMembership':
        return action === 'assign'
          ? { method: 'POST', path: `${inDir(dirId)}/groups/${enc(target.groupId)}/memberships`, body: { accountId }, why, unscopedOnly: true }
          : { method: 'DELETE', path: `${inDir(dirId)}/groups/${enc(target.groupId)}/memberships/${enc(accountId)}`, why, unscopedOnly: true };
    }
  }

  const isLicenceConflict = (r: Reply) => /409-3$/.test(r.apiCode ?? '') || /licen[cs]e/i.test(r.apiMessage);

  /**
   * A role endpoint answering outside its documented contract: a 404 without the codes it documents
   * (the operation is gone), or for the `x-experimental` org-admin `role-assignments` operations a 400
   * to the very body the spec documents (the contract changed). Returns null for documented answers.
   */
  function contractChanged(spec: RequestSpec, reply: Reply, retryable: boolean): ActionError | null {
    const op = spec.operation;
    if (!op || !isRoleOperation(op)) return null;
    const experimental = op.includes('/role-assignments/');
    const gone = reply.status === 404 && !ROLE_404_CODES.has(reply.apiCode ?? '') && !ORG_NOT_FOUND_CODES.has(reply.apiCode ?? '');
    const changed = reply.status === 400 && experimental && reply.apiCode !== INACTIVE_USER_CODE;
    if (!gone && !changed) return null;
    const upstream = upstreamOf(reply);
    return {
      code: 'ORG_API_CONTRACT_CHANGED',
      endpoint: op,
      message: redact(
        `${spec.why}: Atlassian's \`${op}\` answered ${reply.status}${upstream ? ` (${upstream})` : ''}, outside its documented contract: ${
          experimental ? 'the operation is marked x-experimental in the organizations API spec and ' : ''
        }it now answers as if it had been ${gone ? 'removed' : 'changed'}, so this cannot work until JIT Admin is updated for it; if the operation is still in Atlassian's API reference, ${SUPPORT_HINT}`,
      ),
      retryable,
    };
  }

  /** Resolves the directory of a group target (other targets need none). */
  async function writeDirectory(budget: Budget, target: Access): Promise<{ ok: true; id: string } | { ok: false; error: ActionError }> {
    return target.type === 'groupMembership' ? directoryOf(budget, target.groupId) : { ok: true, id: readDir };
  }

  async function assign(target: Access, accountId: string): Promise<ActionOutcome> {
    const invalid = validateRequest(target, accountId);
    if (invalid) return fail('BAD_REQUEST', `assign: ${invalid}`, false);
    const budget = startBudget();
    const dirId = await writeDirectory(budget, target);
    if (!dirId.ok) return { ok: false, error: { ...dirId.error, message: redact(`assign ${describeTarget(target)} for ${accountId}: ${dirId.error.message}`) } };
    const spec = writeSpec(target, accountId, 'assign', dirId.id);
    // The one call of a healthy assign. Assigning is idempotent on the API side, so a retry after a
    // timeout or dropped connection (when the first attempt may have landed) is safe.
    const r = await send(budget, spec);
    if (!r.ok) return r;
    const reply = r.reply;
    if (is2xx(reply.status)) return { ok: true, detail: 'assigned' };
    const changed = contractChanged(spec, reply, false);
    if (changed) return { ok: false, error: changed };
    if (reply.status === 409) {
      // Spec (add user to group): 409 = "already in the group" OR "user limit exceeded". Role
      // assignment documents 409 only for the licence limit.
      if (target.type === 'groupMembership' && !isLicenceConflict(reply)) return { ok: true, detail: 'already a member' };
      return { ok: false, error: httpError(spec.why, reply) };
    }
    if (reply.status === 403) {
      if (target.type === 'groupMembership') return refusal(budget, target, spec, reply);
      return { ok: false, error: await forbidden(budget, spec, reply) };
    }
    return { ok: false, error: httpError(spec.why, reply) };
  }

  async function revoke(target: Access, accountId: string): Promise<ActionOutcome> {
    const invalid = validateRequest(target, accountId);
    if (invalid) return fail('BAD_REQUEST', `revoke: ${invalid}`, false);
    const budget = startBudget();
    const dirId = await writeDirectory(budget, target);
    if (!dirId.ok) return { ok: false, error: { ...dirId.error, message: redact(`revoke ${describeTarget(target)} for ${accountId}: ${dirId.error.message}`) } };
    const spec = writeSpec(target, accountId, 'revoke', dirId.id);
    // Call 1: the revoke itself (idempotent, so retrying after a timeout or drop is safe).
    const r = await send(budget, spec);
    if (!r.ok) return r;
    const reply = r.reply;
    let notAssigned = false;
    // A revoke that cannot work must keep being retried (and alerted) until someone fixes it.
    const changed = is2xx(reply.status) ? null : contractChanged(spec, reply, true);
    if (changed) return { ok: false, error: changed };
    if (reply.status === 404) {
      // An unknown org (or group) is a configuration error. Any other 404 ("user not in the group",
      // "couldn't find the organization or user") may just mean "nothing to revoke": the read-back decides.
      if (ORG_NOT_FOUND_CODES.has(reply.apiCode ?? '') || GROUP_NOT_FOUND_CODES.has(reply.apiCode ?? '')) {
        return { ok: false, error: httpError(spec.why, reply) };
      }
      notAssigned = true;
    } else if (reply.status === 403) {
      if (target.type === 'groupMembership') return refusal(budget, target, spec, reply);
      return { ok: false, error: await forbidden(budget, spec, reply) };
    } else if (!is2xx(reply.status)) {
      return { ok: false, error: httpError(spec.why, reply) };
    }
    return verifyGone(budget, target, accountId, notAssigned, dirId.id);
  }

  /**
   * Call 2 (and more only while eventual consistency hides the change): read back until the access is
   * gone, `verifyAttempts` times `verifyIntervalMs` apart. The first read is immediate, so a healthy,
   * consistent API costs exactly one read.
   */
  async function verifyGone(budget: Budget, target: Access, accountId: string, notAssigned: boolean, dirId: string): Promise<ActionOutcome> {
    const what = `verify revoke of ${describeTarget(target)} for ${accountId}`;
    let reads = 0;
    let unknownForms: string[] = [];
    for (let i = 1; i <= verifyAttempts; i++) {
      if (i > 1) {
        if (verifyIntervalMs >= budget.remaining()) break;
        await clock.sleep(verifyIntervalMs);
      }
      reads = i;
      let gone: boolean;
      let note = '';
      if (target.type === 'groupMembership') {
        const m = await isGroupMember(budget, dirId, target.groupId, accountId);
        if (!m.ok) return readBackFailure(what, m.error);
        gone = !m.member;
      } else {
        const role = target.role;
        const resource = target.type === 'resourceRole' ? target.resource : undefined;
        const h = await directHolding(budget, accountId, role, resource);
        if (!h.ok) return readBackFailure(what, h.error);
        // A role on a resource named in a form the adapter cannot compare may be this very role: not gone.
        unknownForms = h.unknown;
        gone = !h.direct && h.unknown.length === 0;
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
    const why = unknownForms.length
      ? `reads show the role on ${unknownForms.map((f) => `\`${f}\``).join(', ')}, a resource form the app cannot compare with \`${target.type === 'resourceRole' ? target.resource : ''}\`, so the revoke cannot be confirmed`
      : `reads still show the access after ${reads} read-back(s); changes can take up to 30 s to show, retry later`;
    return {
      ok: false,
      error: {
        code: 'UNVERIFIED',
        message: redact(`${what}: the API accepted the revoke but ${why}`),
        retryable: true,
        retryAfterMs: Math.max(verifyIntervalMs, 1_000),
      },
    };
  }

  function readBackFailure(what: string, e: ActionError): ActionOutcome {
    // A read that fails for good (401/403/404) is reported as itself; a transient one leaves the
    // revoke unverified, which the caller retries.
    if (!e.retryable) return { ok: false, error: { ...e, message: redact(`${what}: ${e.message}`) } };
    return { ok: false, error: { code: 'UNVERIFIED', message: redact(`${what}: the read-back failed (${e.message})`), retryable: true } };
  }

  // -------------------------------------------------------------------------------------------
  // Holders.

  async function holders(target: Access, options: HolderReadOptions = {}): Promise<HolderSnapshot> {
    const invalid = validateTarget(target);
    if (invalid) return { complete: false, holders: [], externallySynced: false, error: { code: 'BAD_REQUEST', message: `holders: ${invalid}`, retryable: false } };
    const budget = startBudget();
    const before = requestsSent;
    const snapshot = target.type === 'groupMembership' ? await groupHolders(budget, target) : await roleHolders(budget, target, options);
    const via = snapshot.viaGroups ?? [];
    log(
      `holders of ${describeTarget(target)}: ${snapshot.holders.length} direct` +
        (via.length ? `, ${new Set(via.flatMap((g) => g.accountIds)).size} through ${via.length} group(s)` : '') +
        (snapshot.unread?.length ? `, ${snapshot.unread.length} left for a later read` : '') +
        `; ${snapshot.complete ? 'complete' : `incomplete${snapshot.error ? ` (${snapshot.error.code})` : ''}`}; ${requestsSent - before} request(s)`,
    );
    return snapshot;
  }

  async function groupHolders(budget: Budget, target: Extract<Access, { type: 'groupMembership' }>): Promise<HolderSnapshot> {
    const incomplete = (found: Iterable<string>, error: ActionError, externallySynced = false): HolderSnapshot => ({
      complete: false,
      holders: [...new Set(found)].sort(),
      externallySynced,
      error,
    });
    // Call 1: the group, for `externalSynced` (and proof it exists: an unknown group must not look empty).
    const g = await readGroup(budget, target.groupId);
    if (!g.ok) return incomplete([], g.error);
    // Calls 2..: every member, 100 per page.
    const members = await groupMembers(budget, target.groupId);
    if (!members.ok) return incomplete(members.ids, members.error, g.externalSynced);
    return { complete: true, holders: [...new Set(members.ids)].sort(), externallySynced: g.externalSynced };
  }

  async function groupMembers(budget: Budget, groupId: string): Promise<{ ok: true; ids: string[] } | { ok: false; ids: string[]; error: ActionError }> {
    const r = await allPages(budget, (cursor) => ({
      method: 'POST',
      path: `${v2read}/users/search`,
      body: cursor ? { cursor } : { groupIds: [groupId], limit: PAGE_LIMIT },
      why: `list members of group ${groupId}`,
      unscopedOnly: true,
      readOnly: true,
    }));
    return r.ok ? { ok: true, ids: accountIdsOf(r.items) } : { ok: false, ids: accountIdsOf(r.items), error: r.error };
  }

  /** Everyone holding `role` (on the resources `forms`) by ANY method, 100 per page: the only listing the API offers. */
  function roleSearch(role: string, forms: string[] | undefined, why: string) {
    return (cursor?: string): RequestSpec => ({
      method: 'POST',
      path: `${v2read}/users/search`,
      body: cursor ? { cursor } : { roleIds: [role], ...(forms ? { resourceIds: forms } : {}), limit: PAGE_LIMIT },
      why,
      unscopedOnly: true,
      readOnly: true,
    });
  }

  /**
   * The holders of a role, with as few requests as the spec allows. The user search lists everyone who
   * holds the role by ANY method; the only per-user answer to "how" is one role-assignment read each,
   * which an org with hundreds of admins cannot afford in one invocation. So the listing classifies:
   * 1. groups that hold the role (group search, then each group's role assignments, compared by
   *    meaning) and their members: they hold it through the group (`viaGroups`);
   * 2. for a resource role, the org admins, who hold it by inference;
   * 3. the role search: a candidate in neither set can hold it only directly (the spec's assignment
   *    methods are `direct`, `group_direct` and `inferred`), so it is a holder with no further read;
   * 4. a candidate in either set may ALSO hold it directly: one role-assignment read each, the
   *    `confirmFirst` accounts first, then in turn from `accountCursor`, up to `maxAccountReads`.
   */
  async function roleHolders(budget: Budget, target: Exclude<Access, { type: 'groupMembership' }>, o: HolderReadOptions): Promise<HolderSnapshot> {
    const role = target.role;
    const resource = target.type === 'resourceRole' ? target.resource : undefined;
    const forms = resource ? resourceForms(role, resource) : undefined;
    const what = describeTarget(target);
    const first = [...new Set(o.confirmFirst ?? [])];
    const firstSet = new Set(first);
    let problem: ActionError | undefined;
    const note = (e: ActionError) => {
      problem ??= e;
    };
    const result = (holders: string[], complete: boolean, extra: Partial<HolderSnapshot> = {}): HolderSnapshot => ({
      complete: complete && !problem,
      holders: [...new Set(holders)].sort(),
      externallySynced: false,
      ...(problem ? { error: problem } : {}),
      ...extra,
    });

    // 1. Groups that hold the role, and their members.
    const groups = await allPages(budget, (cursor) => ({
      method: 'POST',
      path: `${v2read}/groups/search`,
      body: cursor ? { cursor } : { roleIds: [role], ...(forms ? { resourceIds: forms } : {}), limit: PAGE_LIMIT },
      why: `list groups that hold ${what}`,
      unscopedOnly: true,
      readOnly: true,
    }));
    if (!groups.ok) {
      note(groups.error);
      return result([], false);
    }
    const viaGroups: GroupHolding[] = [];
    const shadow = new Set<string>();
    for (const g of groups.items) {
      if (!isObject(g) || typeof g.id !== 'string') continue;
      const groupId = g.id;
      const groupName = typeof g.name === 'string' ? g.name : undefined;
      let holds: 'same' | 'unknown' = 'same';
      if (resource) {
        // The search's role and resource filters need not apply to the same assignment: read the group's.
        const ra = await allPages(budget, (cursor) => ({
          method: 'GET',
          path: `${v2read}/groups/${enc(groupId)}/role-assignments`,
          query: cursor ? [['cursor', cursor]] : [['roleIds', role], ['limit', String(PAGE_LIMIT)]],
          why: `read role assignments of group ${groupName ?? groupId}`,
          readOnly: true,
        }));
        if (!ra.ok) {
          note(ra.error);
          holds = 'unknown';
        } else {
          const verdicts = ra.items
            .filter((e): e is Record<string, unknown> => isObject(e) && Array.isArray(e.roles) && e.roles.includes(role))
            .map((e) => sameResource(role, resource, typeof e.resourceId === 'string' ? e.resourceId : ''));
          if (verdicts.includes('same')) holds = 'same';
          else if (verdicts.includes('unknown')) {
            holds = 'unknown';
            note({
              code: 'UNVERIFIED',
              message: redact(`group ${groupName ?? groupId} holds ${role} on a resource in a form the app cannot compare with \`${resource}\`; its members may hold ${what}`),
              retryable: true,
            });
          } else continue;
        }
      }
      const members = await groupMembers(budget, groupId);
      if (!members.ok) note(members.error);
      for (const id of members.ids) shadow.add(id);
      if (holds === 'same') viaGroups.push({ groupId, ...(groupName ? { groupName } : {}), accountIds: [...new Set(members.ids)].sort() });
    }
    if (problem?.code === 'BUDGET_EXHAUSTED') return result([], false, { viaGroups });

    // 2. For a resource role: the org admins (any method), who hold it by inference.
    if (resource) {
      const fresh = orgAdminListing && clock.now() - orgAdminListing.at <= ORG_ADMIN_LISTING_TTL_MS ? orgAdminListing.ids : undefined;
      let admins = fresh;
      if (!admins) {
        const r = await allPages(budget, roleSearch(ORG_ADMIN_ROLE, undefined, 'list org admins (they hold resource roles by inference)'));
        if (!r.ok) {
          note(r.error);
          return result([], false, { viaGroups });
        }
        admins = new Set(accountIdsOf(r.items));
        orgAdminListing = { at: clock.now(), ids: admins };
      }
      for (const id of admins) shadow.add(id);
    }

    // 3. The role search; candidates outside `shadow` are direct holders. `enough` is asked after
    // each page, so a guard that only needs a few admins stops at the first page.
    const pure: string[] = [];
    const shadowed: string[] = [];
    const seen = new Set<string>();
    const classify = (items: unknown[]) => {
      for (const id of accountIdsOf(items)) {
        if (seen.has(id)) continue;
        seen.add(id);
        (shadow.has(id) ? shadowed : pure).push(id);
      }
    };
    const satisfied = () => o.enough?.([...pure]) ?? false;
    const candidates = await allPages(budget, roleSearch(role, forms, `list holders of ${what}`), (items) => (classify(items), satisfied()));
    if (!candidates.ok) {
      classify(candidates.items);
      note(candidates.error);
      return result(pure, false, { viaGroups });
    }
    classify(candidates.items);
    if (!resource && !candidates.stopped) orgAdminListing = { at: clock.now(), ids: new Set(seen) };
    if (candidates.stopped || satisfied()) return result(pure, !candidates.stopped && shadowed.length === 0, { viaGroups });

    // 4. Per-account reads of the candidates the listing cannot classify.
    const holdersFound = [...pure];
    const order = [...first.filter((id) => shadowed.includes(id)), ...rotate(shadowed.filter((id) => !firstSet.has(id)), o.accountCursor)];
    const maxReads = o.maxAccountReads ?? Number.POSITIVE_INFINITY;
    const reserve = Math.max(0, o.reserveRequests ?? 0);
    const unread: string[] = [];
    let reads = 0;
    let cursor = o.accountCursor;
    let stopped = false;
    let budgetOut = false;
    for (const accountId of order) {
      // A caller's own limits (`maxAccountReads`, `reserveRequests`) leave accounts for a later read;
      // running out of the budget without them is a truncated read.
      if (stopped || budgetOut || reads >= maxReads || (reserve > 0 && requestBudget - requestsSent <= reserve)) {
        unread.push(accountId);
        continue;
      }
      reads++;
      const h = await directHolding(budget, accountId, role, resource);
      if (!firstSet.has(accountId)) cursor = accountId;
      if (!h.ok) {
        // One unreadable account does not stop the others: their confirmed holders are a lower bound.
        note(h.error);
        if (h.error.code === 'BUDGET_EXHAUSTED') budgetOut = true;
        continue;
      }
      if (h.unknown.length && !h.direct) {
        note({
          code: 'UNVERIFIED',
          message: redact(`${accountId} holds ${role} on ${h.unknown.map((f) => `\`${f}\``).join(', ')}, a resource form the app cannot compare with \`${resource ?? ''}\`: possibly a holder`),
          retryable: true,
        });
      }
      if (!h.direct) continue;
      holdersFound.push(accountId);
      if (o.enough?.([...holdersFound])) stopped = true;
    }
    const left = stopped || budgetOut ? unread : [];
    const extra: Partial<HolderSnapshot> = {
      viaGroups,
      ...(unread.length && !stopped && !budgetOut ? { unread: [...unread].sort() } : {}),
      ...(cursor ? { accountCursor: cursor } : {}),
    };
    return result(holdersFound, left.length === 0, extra);
  }

  // -------------------------------------------------------------------------------------------
  // Health probes: each one operation within the operation budget; errors come back, never thrown.

  async function probe(p: OrgProbe): Promise<OrgProbeResult> {
    const budget = startBudget();
    try {
      switch (p.kind) {
        case 'key': {
          const r = await allPages(budget, (cursor) => ({
            method: 'GET',
            path: '/admin/v1/orgs',
            query: cursor ? [['cursor', cursor]] : [],
            why: 'list the organizations of ORG_API_KEY',
            unscopedOnly: true,
            readOnly: true,
          }));
          if (!r.ok) return r;
          return { ok: true, orgIds: r.items.filter(isObject).map((o) => String(o.id)) };
        }
        case 'directories': {
          const d = await listDirectories(budget);
          return d.ok ? { ok: true, count: d.ids.length } : d;
        }
        case 'roleEndpoint': {
          const spec: RequestSpec = {
            method: 'POST',
            path: `${v1}/users/${enc(PROBE_ACCOUNT_ID)}/role-assignments/revoke`,
            body: { role: ORG_ADMIN_ROLE },
            why: 'check the org-admin role endpoint (a revoke for an account that does not exist)',
            unscopedOnly: true,
            operation: 'POST /v1/orgs/{orgId}/users/{userId}/role-assignments/revoke',
          };
          const r = await send(budget, spec);
          if (!r.ok) return r;
          const reply = r.reply;
          if (is2xx(reply.status) || (reply.status === 404 && ROLE_404_CODES.has(reply.apiCode ?? ''))) return { ok: true };
          const changed = contractChanged(spec, reply, false);
          if (changed) return { ok: false, error: changed };
          return { ok: false, error: reply.status === 403 ? await forbidden(budget, spec, reply) : httpError(spec.why, reply) };
        }
        case 'group': {
          const g = await readGroup(budget, p.groupId);
          if (g.ok) return { ok: true, exists: true, externallySynced: g.externalSynced };
          return g.error.code === 'NOT_FOUND' ? { ok: true, exists: false } : g;
        }
        case 'resource': {
          const r = await allPages(budget, (cursor) => ({
            method: 'POST',
            path: `${v2}/workspaces`,
            body: cursor ? { cursor } : { limit: PAGE_LIMIT },
            why: 'list the organization\'s sites and products',
            readOnly: true,
          }));
          if (!r.ok) return r;
          const seen = r.items.filter(isObject).map((w) => sameResource(p.role, p.resource, String(w.id)));
          if (seen.includes('same')) return { ok: true, exists: true };
          if (seen.includes('unknown')) {
            return fail('UNVERIFIED', `resource ${p.resource}: the workspaces list names it only in a form the app cannot compare`, false);
          }
          return { ok: true, exists: false };
        }
        case 'orgAdmin': {
          const h = await directHolding(budget, p.accountId, ORG_ADMIN_ROLE, undefined);
          if (!h.ok) return h;
          return { ok: true, holding: h.direct ? 'direct' : h.otherMethods.length ? 'indirect' : 'none' };
        }
      }
    } catch (e) {
      return fail('NETWORK', redact(`health probe ${p.kind}: ${describeThrown(e)}`), true);
    }
  }

  return { assign, revoke, holders, requestUsage: () => ({ used: requestsSent, limit: requestBudget }), probe };
}
