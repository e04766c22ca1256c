/**
 * The runtime's `__forge_fetch__`: where the SDKs' platform calls go. `{type: 'kvs'}` to the KVS emulator with the
 * proxy token; `fpp` `jira` to the Jira emulator as the app or as the invocation's user; `fpp` `stargate` queue
 * pushes, stats and cancels to the local queue; anything else is the proxy's error.
 */
import { ACT_AS_USER_HEADER, APP_AUTH_HEADER } from '../emulators/jira/index';
import { rawFetch } from './egress';
import type { ForgeMeter } from './meter';
import type { LocalQueue } from './queue';
import { invocations, type ForgeFetch } from './runtime-globals';
import type { ForgeFetchLogEntry } from './runtime-types';

/** What the platform calls reach. */
export interface ForgeFetchDeps {
  fetchLog: ForgeFetchLogEntry[];
  /** The refusal for a call made by an invocation that has ended, or null. */
  endedError(what: string): Error | null;
  proxyToken: string;
  kvsUrl: string;
  jiraToken: string;
  jiraUrl: string;
  queue: LocalQueue;
  /** Told of every KVS and Jira call and queue push, for the invocation that made it. */
  meter: ForgeMeter;
}

/** A JSON `Response` (no body for 204). */
export function jsonResponse(status: number, body?: unknown, headers: Record<string, string> = {}): Response {
  const text = body === undefined || status === 204 ? null : JSON.stringify(body);
  return new Response(text, { status, headers: { ...(text ? { 'content-type': 'application/json' } : {}), ...headers } });
}

/** A request's JSON body, when it has one. */
export function parseBody(init?: RequestInit): unknown {
  if (typeof init?.body !== 'string' || !init.body) return undefined;
  try {
    return JSON.parse(init.body);
  } catch {
    // Not JSON (a multipart upload): logged as the text sent.
    return init.body;
  }
}

/** The `__forge_fetch__` of a running runtime. */
export function createForgeFetch(d: ForgeFetchDeps): ForgeFetch {
  const proxyError = (status: number, reason: string) => jsonResponse(status, { message: reason }, { 'forge-proxy-error': reason });

  const handleFetch: ForgeFetch = async (target, path, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    const entry: ForgeFetchLogEntry = { target: { ...target }, path, method, status: 0, body: parseBody(init) };
    d.fetchLog.push(entry);
    const respond = (r: Response) => {
      entry.status = r.status;
      return r;
    };
    const ended = d.endedError(`${method} ${path}`);
    if (ended) throw ended;
    if (typeof path !== 'string' || !path.startsWith('/')) return respond(proxyError(400, 'INVALID_PATH'));

    if (target.type === 'kvs') {
      const headers = new Headers(init?.headers as HeadersInit | undefined);
      headers.delete('host');
      headers.set('authorization', `Bearer ${d.proxyToken}`);
      const sent = performance.now();
      const answer = respond(await rawFetch(`${d.kvsUrl}${path}`, { ...init, headers }));
      const text = await answer.clone().text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      // The meter's own parsing is not the app's time either.
      d.meter.kvs(invocations.getStore()?.record.id, path, entry.body, answer.status, json, performance.now() - sent);
      return answer;
    }

    if (target.type === 'fpp' && target.remote === 'jira') {
      const headers = new Headers(init?.headers as HeadersInit | undefined);
      headers.set(APP_AUTH_HEADER, `Bearer ${d.jiraToken}`);
      headers.delete(ACT_AS_USER_HEADER);
      // The invocation's own user (never the process-wide `aaid`, which overlapping invocations share).
      const invoker = invocations.getStore()?.accountId;
      const asUser = target.provider === 'user' ? (target.accountId ?? invoker) : target.provider === 'none' ? invoker : undefined;
      if (target.provider === 'user' && !asUser) return respond(proxyError(401, 'NEEDS_AUTHENTICATION_ERR'));
      if (asUser) headers.set(ACT_AS_USER_HEADER, asUser);
      const sent = performance.now();
      const answer = respond(await rawFetch(`${d.jiraUrl}${path}`, { ...init, headers }));
      d.meter.jira(invocations.getStore()?.record.id, performance.now() - sent);
      return answer;
    }

    if (target.type === 'fpp' && target.remote === 'stargate') {
      const body = parseBody(init);
      if (path.startsWith('/webhook/queue/publish/')) {
        // Events pushed by a consumer continue its event's chain (the cyclic invocation limit).
        const inv = invocations.getStore();
        const r = d.queue.publish(body, { depth: inv?.eventDepth !== undefined ? inv.eventDepth + 1 : 0 });
        const pushed = (body as { payload?: unknown } | undefined)?.payload;
        if (r.status < 300) d.meter.queue(inv?.record.id, Array.isArray(pushed) ? pushed.length : 1);
        return respond(jsonResponse(r.status, r.body));
      }
      if (path.startsWith('/webhook/queue/stats/')) {
        const r = d.queue.stats(body);
        return respond(jsonResponse(r.status, r.body));
      }
      if (path.startsWith('/webhook/queue/cancel/')) {
        const r = d.queue.cancel(body);
        return respond(jsonResponse(r.status, r.body));
      }
      return respond(jsonResponse(404, { message: `The local Forge runtime does not serve ${path}.` }));
    }

    return respond(proxyError(501, 'PROXY_ERR'));
  };
  return handleFetch;
}
