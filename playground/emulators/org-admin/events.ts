/**
 * The organization's audit log: the events the emulated org's own operations produce (role
 * assignments and revocations, group memberships) and the actions a person performs in the
 * org that the emulator does not otherwise model (API keys, authentication policies, user
 * deletion: `act`), served by `GET /v1/orgs/{orgId}/events` and `GET /v1/orgs/{orgId}/events/{eventId}`
 * as the published spec describes them: filters `actor` (comma-separated, `explode: false`),
 * `action`, `q`, `ip`, `from`/`to` (epoch milliseconds), `limit` 1–500 (default 30), an opaque
 * `cursor` (`links.next` is the next page's URL, `meta.next` its cursor), newest first.
 *
 * Limits: "Rate limit per user: 10 requests per minute; rate limit per API path: 10 requests per
 * minute" (the operation's description): the 11th request within 60 s per key, or per path, gets
 * the gateway's 429 with `Retry-After`. An org without Atlassian Guard has no audit-log access
 * (support.atlassian.com "Track organization activities from the audit log": "you must have at
 * least Atlassian Guard Standard"); the spec documents no answer for that, so we answer 403
 * (Guess; the app treats 403 and 404 alike).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ApiContext, ApiRequest, ApiResponse } from './api';
import type { OrgOperation } from './routes';

// The spec's two error shapes, as `api.ts` writes them (not imported: api.ts reaches this file through routes.ts).
const appError = (status: number, code: string, detail: string, title: string): ApiResponse => ({
  status,
  body: { errors: [{ id: randomUUID(), status: String(status), code, title, detail }] },
});
const proxyError = (status: number, message: string, headers?: Record<string, string>): ApiResponse => ({ status, body: { code: status, message }, headers });

export interface AuditEventRecord {
  id: string;
  /** Epoch milliseconds. */
  at: number;
  action: string;
  actor: { id: string; name?: string; authType?: 'api-token' };
  context: Array<{ type: string; id: string; name?: string }>;
  ip?: string;
}

/** Requests per window, per key and per path. */
export const EVENTS_RATE_LIMIT = 10;
export const EVENTS_RATE_WINDOW_MS = 60_000;
/** Most events kept (oldest dropped): a long playground session stays small. */
const MAX_EVENTS = 10_000;

/** Who the org records for calls made with an organization API key (Guess: the key, not a person). */
export const API_KEY_ACTOR = { id: 'org-api-key', name: 'Organization API key', authType: 'api-token' as const };

export class OrgAuditLog {
  events: AuditEventRecord[] = [];
  /** False: the org has no Atlassian Guard, and the events API refuses every read. */
  available = true;
  private readonly calls = new Map<string, number[]>();

  constructor(private readonly now: () => number) {}

  record(e: Omit<AuditEventRecord, 'id' | 'at'> & { at?: number }): AuditEventRecord {
    const event: AuditEventRecord = { id: randomUUID(), at: e.at ?? this.now(), action: e.action, actor: e.actor, context: e.context, ...(e.ip ? { ip: e.ip } : {}) };
    this.events.push(event);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    return event;
  }

  /** Counts one request against each bucket; the seconds to wait when one is full. */
  admit(buckets: string[]): number | null {
    const t = this.now();
    let wait = 0;
    for (const b of buckets) {
      const recent = (this.calls.get(b) ?? []).filter((x) => t - x < EVENTS_RATE_WINDOW_MS);
      this.calls.set(b, recent);
      if (recent.length >= EVENTS_RATE_LIMIT) wait = Math.max(wait, recent[0] + EVENTS_RATE_WINDOW_MS - t);
    }
    if (wait > 0) return Math.max(1, Math.ceil(wait / 1000));
    for (const b of buckets) this.calls.get(b)!.push(t);
    return null;
  }

  snapshot(): { events: AuditEventRecord[]; available: boolean } {
    return { events: structuredClone(this.events), available: this.available };
  }

  restore(s: { events?: AuditEventRecord[]; available?: boolean } | undefined): void {
    this.events = structuredClone(s?.events ?? []);
    this.available = s?.available ?? true;
    this.calls.clear();
  }

  clear(): void {
    this.restore(undefined);
  }
}

/** The actor of the request being served: the person `act` stands for, else the API key. */
export function actorOf(ctx: ApiContext): AuditEventRecord['actor'] {
  return ctx.actingAs ? { id: ctx.actingAs } : API_KEY_ACTOR;
}

/** The spec's `EventModel`. */
function eventModel(ctx: ApiContext, e: AuditEventRecord) {
  return {
    id: e.id,
    type: 'events',
    attributes: {
      time: new Date(e.at).toISOString(),
      action: e.action,
      actor: { id: e.actor.id, ...(e.actor.name ? { name: e.actor.name } : {}), ...(e.actor.authType ? { auth: { authType: e.actor.authType } } : {}) },
      context: e.context.map((c) => ({ id: c.id, type: c.type, ...(c.name ? { attributes: { name: c.name } } : {}) })),
      ...(e.ip ? { location: { ip: e.ip } } : {}),
    },
    links: { self: `${ctx.publicUrl}/admin/v1/orgs/${encodeURIComponent(ctx.orgId)}/events/${encodeURIComponent(e.id)}` },
  };
}

/** The gate every events read passes: the org, Guard, the rate limits. */
function gate(ctx: ApiContext, req: ApiRequest, path: string): ApiResponse | null {
  if (req.params.orgId !== ctx.orgId) return appError(404, 'ADMIN-404-2', `Organization \`${req.params.orgId}\` was not found`, 'Organization not found');
  if (!ctx.auditLog.available) {
    return appError(403, 'ADMIN-403-1', 'Audit log access needs Atlassian Guard for this organization', 'Forbidden');
  }
  const keyId = createHash('sha256').update(ctx.caller?.key ?? '').digest('hex').slice(0, 16);
  const wait = ctx.auditLog.admit([`path:${path}`, `key:${keyId}:${path}`]);
  if (wait !== null) return proxyError(429, 'Too Many Requests', { 'retry-after': String(wait) });
  return null;
}

const EPOCH_MS = /^\d{1,15}$/;

interface Filters {
  actor: string[];
  action?: string;
  q?: string;
  ip: string[];
  from?: number;
  to?: number;
}

const cursorOf = (offset: number, filters: Filters) =>
  Buffer.from(JSON.stringify({ o: offset, f: createHash('sha256').update(JSON.stringify(filters)).digest('hex').slice(0, 16) })).toString('base64url');

export function getEvents(ctx: ApiContext, req: ApiRequest): ApiResponse {
  const refused = gate(ctx, req, '/v1/orgs/{orgId}/events');
  if (refused) return refused;
  const q = req.query;
  const list = (name: string) => (q.get(name) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const time = (name: string): number | undefined | 'bad' => {
    const v = q.get(name);
    if (v === null || v === '') return undefined;
    return EPOCH_MS.test(v) ? Number(v) : 'bad';
  };
  const from = time('from');
  const to = time('to');
  if (from === 'bad' || to === 'bad') return appError(400, 'ADMIN-400-3', '`from` and `to` are UNIX epoch times in milliseconds', 'Invalid time date');
  if (from !== undefined && to !== undefined && from > to) return appError(400, 'ADMIN-400-3', '`from` is after `to`', 'Invalid time date');
  const filters: Filters = { actor: list('actor'), ip: list('ip'), ...(q.get('action') ? { action: q.get('action')! } : {}), ...(q.get('q') ? { q: q.get('q')!.toLowerCase() } : {}), from, to };
  const rawLimit = q.get('limit');
  const limit = rawLimit === null ? 30 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) return appError(400, 'ADMIN-400-19', '`limit` must be an integer from 1 to 500', 'Request syntax is not valid');
  let offset = 0;
  const cursor = q.get('cursor');
  if (cursor) {
    let parsed: { o?: unknown; f?: unknown } | undefined;
    try {
      parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const expected = JSON.parse(Buffer.from(cursorOf(0, filters), 'base64url').toString('utf8')).f;
    if (!parsed || typeof parsed.o !== 'number' || !Number.isInteger(parsed.o) || parsed.o < 0 || parsed.f !== expected) {
      return appError(400, 'ADMIN-400-1', 'The page cursor is not valid for this query', 'Invalid page cursor');
    }
    offset = parsed.o;
  }
  const matching = ctx.auditLog.events
    .filter(
      (e) =>
        (filters.actor.length === 0 || filters.actor.includes(e.actor.id)) &&
        (filters.ip.length === 0 || (e.ip !== undefined && filters.ip.includes(e.ip))) &&
        (filters.action === undefined || e.action === filters.action) &&
        (filters.from === undefined || e.at >= filters.from) &&
        (filters.to === undefined || e.at <= filters.to) &&
        (filters.q === undefined || [e.action, e.actor.id, e.actor.name ?? '', ...e.context.flatMap((c) => [c.id, c.name ?? ''])].some((s) => s.toLowerCase().includes(filters.q!))),
    )
    // Newest first, as the audit log lists them; ties by id so pages never overlap.
    .sort((a, b) => b.at - a.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const items = matching.slice(offset, offset + limit);
  const base = `${ctx.publicUrl}/admin/v1/orgs/${encodeURIComponent(ctx.orgId)}/events`;
  const withCursor = (c?: string) => {
    const p = new URLSearchParams(q);
    p.delete('cursor');
    if (c) p.set('cursor', c);
    const s = p.toString();
    return s ? `${base}?${s}` : base;
  };
  const next = offset + limit < matching.length ? cursorOf(offset + limit, filters) : undefined;
  const prev = offset > 0 ? cursorOf(Math.max(0, offset - limit), filters) : undefined;
  return {
    status: 200,
    body: {
      data: items.map((e) => eventModel(ctx, e)),
      links: { self: withCursor(cursor ?? undefined), ...(next ? { next: withCursor(next) } : {}), ...(prev ? { prev: withCursor(prev) } : {}) },
      meta: { page_size: items.length, ...(next ? { next } : {}) },
    },
  };
}

export function getEvent(ctx: ApiContext, req: ApiRequest): ApiResponse {
  const refused = gate(ctx, req, '/v1/orgs/{orgId}/events/{eventId}');
  if (refused) return refused;
  const e = ctx.auditLog.events.find((x) => x.id === req.params.eventId);
  if (!e) return appError(404, 'ADMIN-404-1', `Event \`${req.params.eventId}\` was not found`, 'Unknown resource');
  return { status: 200, body: { data: eventModel(ctx, e) } };
}

/** The org actions a person can perform in the playground, and what the audit log records for each. */
export const PERSON_ACTIONS = {
  createApiKey: { action: 'api_key_created', what: 'created an organization API key' },
  updateAuthenticationPolicy: { action: 'authentication_policy_updated', what: 'changed an authentication policy' },
  deleteUser: { action: 'user_deleted', what: 'deleted a user' },
  createGroup: { action: 'group_created', what: 'created a group' },
  exportUsers: { action: 'users_exported', what: 'exported the user list' },
} as const;
export type PersonAction = keyof typeof PERSON_ACTIONS;

/**
 * Records an action a person performed in the org that the emulator models no resource for (API
 * keys, authentication policies, user deletion, groups created by hand, exports). Role and group
 * changes go through the modelled operations instead, with `actingAs` set, so they change the org.
 */
export function recordPersonAction(ctx: ApiContext, actor: string, kind: PersonAction, subject?: string): AuditEventRecord {
  const def = PERSON_ACTIONS[kind];
  if (!def) throw new Error(`unknown org action \`${String(kind)}\``);
  const context =
    kind === 'createApiKey'
      ? [{ type: 'api-key', id: randomUUID(), name: subject ?? 'key created in the playground' }]
      : kind === 'updateAuthenticationPolicy'
        ? [{ type: 'authentication-policy', id: 'default', name: subject ?? 'Default policy' }]
        : kind === 'createGroup'
          ? [{ type: 'group', id: randomUUID(), name: subject ?? 'new group' }]
          : subject
            ? [{ type: 'user', id: subject }]
            : [];
  return ctx.auditLog.record({ action: def.action, actor: { id: actor }, context, ip: '203.0.113.7' });
}

/** The audit-log event of a role change (Guess: the action ids; Atlassian documents display names only). */
export function recordRoleEvent(ctx: ApiContext, verb: 'granted' | 'revoked', accountId: string, role: string, resource: string): void {
  const action = role === 'atlassian/org-admin' ? `org_admin_role_${verb}` : role === 'atlassian/site-admin' ? `site_admin_role_${verb}` : `user_role_${verb}`;
  ctx.auditLog.record({
    action,
    actor: actorOf(ctx),
    context: [
      { type: 'user', id: accountId },
      { type: 'role', id: role, name: resource },
    ],
  });
}

/** The audit-log operations (routes.ts spreads them into the route table). */
export const EVENT_OPERATIONS = {
  getEvents: { method: 'GET', path: '/admin/v1/orgs/{orgId}/events', purpose: "read the audit log (an elevated person's evidence pack)", scopes: ['read:events:admin'], handle: getEvents },
  getEvent: { method: 'GET', path: '/admin/v1/orgs/{orgId}/events/{eventId}', purpose: 'read one audit-log event', scopes: ['read:events:admin'], handle: getEvent },
} satisfies Record<string, OrgOperation>;

/**
 * `actor` acting in the org (the emulator's `act`): refused unless they hold org admin now.
 * `addOrgAdmin` runs the modelled role assignment (`assignOrgRole`, given by the server) as them,
 * so it changes the org and records its event with them as the actor.
 */
export function actInOrg(
  ctx: ApiContext,
  isOrgAdmin: (accountId: string) => boolean,
  assignOrgRole: (accountId: string) => ApiResponse,
  actor: string,
  action: PersonAction | 'addOrgAdmin',
  subject?: string,
): AuditEventRecord {
  if (!isOrgAdmin(actor)) throw new Error(`\`${actor}\` is not an organization admin now: the org refuses admin actions by them`);
  if (action !== 'addOrgAdmin') {
    if (!(action in PERSON_ACTIONS)) throw new Error(`unknown org action \`${String(action)}\`; one of addOrgAdmin, ${Object.keys(PERSON_ACTIONS).join(', ')}`);
    return recordPersonAction(ctx, actor, action, subject);
  }
  if (!subject) throw new Error('addOrgAdmin needs the account to make an org admin');
  const caller = ctx.caller;
  const before = ctx.auditLog.events.length;
  ctx.caller = undefined;
  ctx.actingAs = actor;
  try {
    const r = assignOrgRole(subject);
    if (r.status >= 300) throw new Error(`the org refused: ${JSON.stringify(r.body)}`);
  } finally {
    ctx.actingAs = undefined;
    ctx.caller = caller;
  }
  // Assigning a role someone already holds changes nothing and records nothing; say what was asked.
  return ctx.auditLog.events.length > before
    ? ctx.auditLog.events.at(-1)!
    : ctx.auditLog.record({ action: 'org_admin_role_granted', actor: { id: actor }, context: [{ type: 'user', id: subject }] });
}
