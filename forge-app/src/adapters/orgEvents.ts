/**
 * The organization's audit log: one page of `GET /admin/v1/orgs/{orgId}/events` per call
 * (`actor`, `from`, `to` in epoch milliseconds, `limit`, `cursor`), flattened into the core's
 * `OrgEvent`s. It never waits or retries itself: the events API allows 10 requests a minute per
 * user and per path (its spec description), so the evidence consumer paces the pages and answers
 * a 429 by coming back after `Retry-After` on the queue, where waiting costs no invocation time.
 */
import type { OrgEvent } from '../decision/core';
import type { EventsPage, EventsQuery, OrgAuditLog } from '../ports';

export type { EventsPage, EventsQuery, OrgAuditLog } from '../ports';

export interface OrgEventsOptions {
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  baseUrl: string;
  orgId: string;
  apiKey: string;
  clock: { now(): number };
}

/** When a 429 carries no `Retry-After`: the per-minute window starts again within a minute. */
const DEFAULT_RETRY_AFTER_MS = 60_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** `type id (name)` for one context or container object of an event. */
function describeObject(o: unknown): string | undefined {
  if (!isObject(o)) return undefined;
  const attrs = isObject(o.attributes) ? o.attributes : {};
  const name = str(attrs.name) ?? str(attrs.displayName);
  const parts = [str(o.type), str(o.id)].filter(Boolean).join(' ');
  return parts ? (name ? `${parts} (${name})` : parts) : undefined;
}

/** One `EventModel` as the core's `OrgEvent`; null when it lacks what every event must have. */
export function toOrgEvent(model: unknown): OrgEvent | null {
  if (!isObject(model) || !isObject(model.attributes)) return null;
  const a = model.attributes;
  const actor = isObject(a.actor) ? a.actor : {};
  const id = str(model.id);
  const time = str(a.time);
  const action = str(a.action);
  const actorId = str(actor.id);
  if (!id || !time || !action || !actorId) return null;
  const context = (Array.isArray(a.context) ? a.context : []).map(describeObject).filter((c): c is string => !!c);
  const location = isObject(a.location) ? a.location : {};
  return {
    id,
    time,
    action,
    actorId,
    ...(str(actor.name) ? { actorName: str(actor.name) } : {}),
    context,
    ...(str(location.ip) ? { ip: str(location.ip) } : {}),
  };
}

/** The cursor of the next page: `meta.next`, else the `cursor` of the `links.next` URL (or the link itself). */
function nextCursor(body: Record<string, unknown>): string | undefined {
  const meta = isObject(body.meta) ? str(body.meta.next) : undefined;
  if (meta) return meta;
  const link = isObject(body.links) ? str(body.links.next) : undefined;
  if (!link) return undefined;
  try {
    return new URL(link, 'https://api.atlassian.com').searchParams.get('cursor') ?? link;
  } catch {
    return link;
  }
}

export function createOrgAuditLog(options: OrgEventsOptions): OrgAuditLog {
  const base = options.baseUrl.replace(/\/+$/, '');
  const redact = (text: string) => (options.apiKey.length >= 4 ? text.split(options.apiKey).join('[redacted]') : text);
  const path = `/admin/v1/orgs/${encodeURIComponent(options.orgId)}/events`;
  return {
    async events(q) {
      const params = new URLSearchParams({
        actor: q.actor,
        from: String(Math.floor(q.fromMs)),
        to: String(Math.ceil(q.toMs)),
        limit: String(Math.min(500, Math.max(1, q.limit ?? 100))),
      });
      if (q.cursor) params.set('cursor', q.cursor);
      let res: Response;
      let text: string;
      try {
        res = await options.fetch(`${base}${path}?${params}`, { method: 'GET', headers: { Accept: 'application/json', Authorization: `Bearer ${options.apiKey}` } });
        text = await res.text();
      } catch (e) {
        return { ok: false, kind: 'failed', retryable: true, code: 'NETWORK', message: redact(`reading the org audit log failed: ${(e as Error)?.message ?? String(e)}`) };
      }
      const what = `GET /v1/orgs/{orgId}/events answered ${res.status}`;
      if (res.status === 403 || res.status === 404) {
        return { ok: false, kind: 'unavailable', status: res.status, message: `${what}: the organization's audit log is not available to this API key (it needs Atlassian Guard)` };
      }
      if (res.status === 429) {
        const header = res.headers.get('retry-after');
        const seconds = header && /^\d+(\.\d+)?$/.test(header.trim()) ? Number(header) * 1000 : header ? Date.parse(header) - options.clock.now() : NaN;
        return { ok: false, kind: 'rateLimited', retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds) : DEFAULT_RETRY_AFTER_MS, message: what };
      }
      if (res.status === 401) return { ok: false, kind: 'failed', retryable: false, code: 'UNAUTHORIZED', message: `${what}: ORG_API_KEY is unknown, expired or revoked` };
      if (res.status >= 500) return { ok: false, kind: 'failed', retryable: true, code: 'SERVER_ERROR', message: what };
      if (res.status !== 200) return { ok: false, kind: 'failed', retryable: false, code: 'BAD_REQUEST', message: redact(`${what}: ${text.slice(0, 300)}`) };
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return { ok: false, kind: 'failed', retryable: true, code: 'SERVER_ERROR', message: `${what} with a body that is not JSON` };
      }
      if (!isObject(body) || !Array.isArray(body.data)) {
        return { ok: false, kind: 'failed', retryable: true, code: 'SERVER_ERROR', message: `${what} without a \`data\` array` };
      }
      const events = body.data.map(toOrgEvent).filter((e): e is OrgEvent => e !== null);
      const next = body.data.length > 0 ? nextCursor(body) : undefined;
      return { ok: true, events, ...(next ? { next } : {}) };
    },
  };
}
