/**
 * Egress control for the local Forge runtime.
 *
 * `@forge/api`'s `fetch` is the global `fetch`, captured when `@forge/api` loads
 * (`out/api/fetch.js` `getFetchAPI()`: `fetch: wrapWithRouteUnwrapper(fetch)`, run from
 * `out/index.js`). Replacing `globalThis.fetch` would therefore depend on import order, which the
 * ESM loader does not guarantee for CommonJS packages. Instead this module wraps Node's global
 * undici dispatcher (`globalThis[Symbol.for('undici.globalDispatcher.1')]`), which every global
 * `fetch` uses however it was captured:
 *
 * - allowed origins (the manifest's `permissions.external.fetch.backend`) are rewritten to local
 *   emulators;
 * - every other URL is refused: the `fetch` rejects (`TypeError: fetch failed`) with `cause` set
 *   to `@forge/api`'s own `ExternalEndpointNotAllowedError` (name `REQUEST_EGRESS_ALLOWLIST_ERR`,
 *   status 403), and no connection is made;
 * - with no runtime running, it passes everything through;
 * - a policy's `decide` hook sees every allowed request first, synchronously and in the async
 *   context of the code that made it (so the runtime can tell which invocation it belongs to): it
 *   can refuse it, or send it elsewhere (the runtime's gate answers the 101st request of an
 *   invocation, or holds a request for an injected latency).
 *
 * Harness code that must reach the emulators directly uses `rawFetch` (the original dispatcher).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface EgressPolicy {
  /**
   * Allowed origins (`https://api.atlassian.com`, or `https://*.example.com`) and the local base URL
   * each is rewritten to. `null`: allowed and sent to the real host. `''`: allowed, but no emulator
   * is configured, so the call fails with a clear error.
   */
  allow: Record<string, string | null>;
  onRequest?: (entry: EgressLogEntry) => void;
  /** Called for every allowed request before it is sent; see `EgressDecision`. */
  decide?: (request: { url: string; method: string; target: string }) => EgressDecision | undefined;
}

/**
 * What to do with an allowed request: `refuse` makes the `fetch` reject with that error as its
 * cause; `redirect` sends the request to another local URL (origin and path) instead of `target`.
 */
export type EgressDecision = { refuse: Error } | { redirect: { origin: string; path: string } };

export interface EgressLogEntry {
  url: string;
  method: string;
  allowed: boolean;
  rewrittenTo?: string;
}

interface DispatchOptions {
  origin?: string | URL;
  path: string;
  method: string;
  [key: string]: unknown;
}

interface Dispatcher {
  dispatch(options: DispatchOptions, handler: unknown): boolean;
}

const DISPATCHER = Symbol.for('undici.globalDispatcher.1');
const STATE = Symbol.for('jit-admin.forge-runtime.egress');

interface EgressState {
  original: Dispatcher;
  policy: EgressPolicy | null;
}

function originMatches(pattern: string, url: URL): boolean {
  const p = new URL(pattern.replace('*.', 'wildcard-placeholder.'));
  if (p.protocol !== url.protocol || p.port !== url.port) return false;
  if (p.hostname.startsWith('wildcard-placeholder.')) {
    const suffix = p.hostname.slice('wildcard-placeholder'.length);
    return url.hostname.endsWith(suffix) && url.hostname.length > suffix.length;
  }
  return p.hostname === url.hostname;
}

function refusal(url: string): Error {
  const { ExternalEndpointNotAllowedError } = require('@forge/api/out/api/errors') as {
    ExternalEndpointNotAllowedError: new (url: string) => Error;
  };
  return new ExternalEndpointNotAllowedError(url);
}

function install(): EgressState {
  const g = globalThis as unknown as Record<symbol, unknown>;
  const existing = g[STATE] as EgressState | undefined;
  if (existing) return existing;
  void globalThis.fetch; // loads Node's undici, which creates the global dispatcher
  const original = g[DISPATCHER] as Dispatcher | undefined;
  if (!original || typeof original.dispatch !== 'function') {
    throw new Error('forge-runtime/egress: Node did not create a global undici dispatcher; cannot control egress');
  }
  const state: EgressState = { original, policy: null };
  const dispatch = (opts: DispatchOptions, handler: unknown): boolean => {
    const policy = state.policy;
    if (!policy || opts.origin === undefined) return original.dispatch(opts, handler);
    const origin = new URL(String(opts.origin));
    const href = `${origin.origin}${opts.path}`;
    const method = String(opts.method ?? 'GET').toUpperCase();
    for (const [pattern, target] of Object.entries(policy.allow)) {
      if (!originMatches(pattern, origin)) continue;
      if (target === null) {
        policy.onRequest?.({ url: href, method, allowed: true });
        return original.dispatch(opts, handler);
      }
      if (target === '') {
        policy.onRequest?.({ url: href, method, allowed: true });
        throw new Error(`egress to ${pattern} is allowed, but no local emulator is configured for it (startForgeRuntime orgAdminUrl/egress)`);
      }
      const base = new URL(target);
      const path = `${base.pathname.replace(/\/$/, '')}${opts.path}`;
      const decision = policy.decide?.({ url: href, method, target: `${base.origin}${path}` });
      if (decision && 'refuse' in decision) {
        policy.onRequest?.({ url: href, method, allowed: false });
        throw decision.refuse;
      }
      if (decision && 'redirect' in decision) {
        policy.onRequest?.({ url: href, method, allowed: true, rewrittenTo: `${decision.redirect.origin}${decision.redirect.path}` });
        return original.dispatch({ ...opts, origin: decision.redirect.origin, path: decision.redirect.path }, handler);
      }
      policy.onRequest?.({ url: href, method, allowed: true, rewrittenTo: `${base.origin}${path}` });
      return original.dispatch({ ...opts, origin: base.origin, path }, handler);
    }
    policy.onRequest?.({ url: href, method, allowed: false });
    throw refusal(href);
  };
  g[DISPATCHER] = new Proxy(original as object, {
    get(target, prop) {
      if (prop === 'dispatch') return dispatch;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  g[STATE] = state;
  return state;
}

const egress = install();

/** `fetch` through the original dispatcher: not subject to the egress policy (for harness code). */
export const rawFetch: typeof fetch = (input, init) =>
  fetch(input, { ...init, dispatcher: egress.original } as RequestInit);

export function setEgressPolicy(policy: EgressPolicy | null): void {
  egress.policy = policy;
}
