/**
 * Local Forge runtime: lets the real `@forge/api`, `@forge/kvs`, `@forge/events` and
 * `@forge/resolver` code run in this process against the local emulators.
 *
 * The SDKs talk to the platform through two globals (read from their sources in node_modules):
 *
 * - `global.__forge_fetch__(target, path, init) => Promise<Response>`
 *   - `@forge/api` `out/api/fetch.js` `__fetchProduct`: target `{type: 'fpp', provider, accountId,
 *     remote?, contextAri?}`; `asApp().requestJira` sends `{type:'fpp', provider:'app', remote:'jira'}`,
 *     `asUser(id).requestJira` `{type:'fpp', provider:'user', remote:'jira', accountId: id}`, and
 *     `asUser().requestJira` the same without `accountId`: the platform then acts as the user the
 *     invocation runs for (served here from the invocation's own context, so two users' calls
 *     running at once never act as each other; no user: `NEEDS_AUTHENTICATION_ERR`),
 *     `__requestAtlassianAsApp` (used by `@forge/events`) `{type:'fpp', provider:'app', remote:'stargate'}`.
 *     A `forge-proxy-error` response header makes the SDK throw (`handleProxyResponseErrors`).
 *   - `@forge/kvs` `out/index.js` `getFetchClient`: `{type:'kvs'}` with `Authorization: Bearer
 *     ${__forge_runtime__.proxy.token}`, `Host: ${__forge_runtime__.kvs.host}` and b3 trace headers
 *     when `__forge_runtime__.kvs.url` and `.host` are set when the module loads; otherwise
 *     `{type:'kvs', provider:'app', remote:'kvs'}` without them. Both are served here.
 * - `global.__forge_runtime__`: `proxy.token`, `kvs.{url,host}`, `tracing.{traceId,spanId}`
 *   (`@forge/kvs`), `metrics.counter(name,tags).incr()`, `metrics.timing(name,tags).measure().stop()`,
 *   `appContext.{appId, appVersion, environmentId, environmentType, invocationId, installationId,
 *   moduleKey, license, installation, permissions}`, `lambdaContext.getRemainingTimeInMillis`,
 *   `contextAri`, `aaid`, `externalAuth`, `container.appCodeDir` (`@forge/api` `out/api/runtime.js`,
 *   `out/api/fetch.js`, `out/webTrigger.js`, `out/authorization/index.js`, `out/api/i18n.js`).
 *
 * Egress `fetch` is the global `fetch` (see ./egress): `https://api.atlassian.com` is rewritten to
 * the org-admin emulator and every other host is refused, as the manifest's egress allow-list does.
 *
 * Import order does not matter for egress. It matters a little for `@forge/kvs`, which picks its
 * transport when it loads: importing this module first (or preloading ./register) makes it use the
 * `{type: 'kvs'}` path with the proxy token, as in production; otherwise it uses the
 * `{type: 'kvs', provider: 'app', remote: 'kvs'}` path. Both are served.
 */
import './egress';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import { ACT_AS_USER_HEADER, APP_AUTH_HEADER } from '../emulators/jira/index';
import { rawFetch, setEgressPolicy, type EgressLogEntry } from './egress';
import { realClock, type TimerClock } from './clock';
import { startKvsEmulator, type EntityDefinition, type KvsEmulator } from './kvs-emulator';
import { LocalQueue, seededRandom, type AsyncEvent, type ConsumerHandler, type QueueFaults } from './queue';

export { rawFetch } from './egress';
export { createClock, realClock, scaledClock, VirtualClock, type Clock, type TimerClock, type ClockOptions } from './clock';
export { LocalQueue, QUEUE_LIMITS, seededRandom, type AsyncEvent, type ConsumerHandler, type DeliveryRecord, type QueuedEvent } from './queue';
export { KVS_LIMITS, startKvsEmulator, type EntityDefinition, type KvsEmulator } from './kvs-emulator';

/** What `__forge_fetch__` receives as its first argument. */
export interface ForgeFetchTarget {
  type: 'fpp' | 'tpp' | 'kvs' | 'frc' | 'fcc' | string;
  provider?: 'app' | 'user' | 'none' | string;
  remote?: string;
  accountId?: string;
  contextAri?: string;
  service?: string;
}

export interface ForgeFetchLogEntry {
  target: ForgeFetchTarget;
  path: string;
  method: string;
  status: number;
  /** Parsed JSON body of the request, when it had one. */
  body?: unknown;
}

interface RuntimeGlobal {
  proxy: { token: string; url: string };
  kvs: { url: string; host: string };
  tracing: { traceId: string; spanId: string };
  metrics: {
    counter(name: string, tags?: Record<string, string>): { incr(n?: number): void };
    timing(name: string, tags?: Record<string, string>): { measure(): { stop(tags?: Record<string, string>): void } };
    gauge(name: string, tags?: Record<string, string>): { set(v: number): void };
  };
  appContext: {
    appId: string;
    appVersion: string;
    environmentId: string;
    environmentType: string;
    invocationId: string;
    installationId: string;
    moduleKey: string;
    license?: unknown;
    installation?: unknown;
    permissions: { scopes: string[]; external: Record<string, unknown> };
  };
  lambdaContext: { getRemainingTimeInMillis(): number };
  contextAri: string;
  aaid?: string;
  externalAuth: unknown[];
  container: { appCodeDir?: string };
}

type ForgeFetch = (target: ForgeFetchTarget, path: string, init?: RequestInit) => Promise<Response>;

const g = globalThis as unknown as { __forge_runtime__?: RuntimeGlobal; __forge_fetch__?: ForgeFetch };

/** Counters recorded by the metrics stub (name → count). */
export const metricsCounters = new Map<string, number>();

// Install the globals at import, with stable sub-objects: `@forge/kvs` captures
// `__forge_runtime__.proxy/kvs/tracing` when it loads and reads their fields on every call.
const runtimeGlobal: RuntimeGlobal = g.__forge_runtime__ ?? {
  proxy: { token: '', url: 'http://forge-proxy.invalid' },
  kvs: { url: 'http://kvs.invalid', host: 'kvs.invalid' },
  tracing: { traceId: '', spanId: '' },
  metrics: {
    counter: (name) => ({ incr: (n = 1) => void metricsCounters.set(name, (metricsCounters.get(name) ?? 0) + n) }),
    timing: () => ({ measure: () => ({ stop: () => undefined }) }),
    gauge: () => ({ set: () => undefined }),
  },
  appContext: {
    appId: '',
    appVersion: '',
    environmentId: '',
    environmentType: 'DEVELOPMENT',
    invocationId: '',
    installationId: '',
    moduleKey: '',
    permissions: { scopes: [], external: {} },
  },
  lambdaContext: { getRemainingTimeInMillis: () => 25_000 },
  contextAri: '',
  externalAuth: [],
  container: {},
};
g.__forge_runtime__ = runtimeGlobal;
let activeFetch: ForgeFetch | null = null;
g.__forge_fetch__ = (target, path, init) => {
  if (!activeFetch) return Promise.reject(new Error('__forge_fetch__: no local Forge runtime is running (call startForgeRuntime first)'));
  return activeFetch(target, path, init);
};

export interface ForgeRuntimeOptions {
  /** Base URL of the Jira emulator. */
  jiraUrl: string;
  /** Bearer token the Jira emulator accepts as the app identity (its `appToken`). */
  jiraAppToken?: string;
  /** Base URL of the org-admin emulator; `https://api.atlassian.com/...` egress is rewritten to it. */
  orgAdminUrl?: string;
  /**
   * Allowed egress origins → local base URL (default `{'https://api.atlassian.com': orgAdminUrl}`).
   * Everything else is refused.
   */
  egress?: Record<string, string>;
  /** SQLite file for the KVS emulator; `:memory:` (default) for tests. */
  kvsPath?: string;
  /** Custom entity definitions (manifest `app.storage.entities`), for validation and indexes. */
  entities?: Record<string, EntityDefinition>;
  /** Shared clock (default: real time). A clock passed in is not closed by `close()`. */
  clock?: TimerClock;
  appId?: string;
  appVersion?: string;
  environmentId?: string;
  environmentType?: 'DEVELOPMENT' | 'STAGING' | 'PRODUCTION';
  installationId?: string;
  cloudId?: string;
  /** Site URL reported in resolver contexts. */
  siteUrl?: string;
  /** Manifest scopes (`getAppContext().permissions`). */
  scopes?: string[];
  /** Environment variables (Forge variables such as ORG_API_KEY) set while the runtime runs. */
  env?: Record<string, string>;
  queueFaults?: QueueFaults;
  /** Seed for the queue's fault injection randomness. */
  seed?: number;
}

export interface InvokeResolverOptions {
  functionKey: string;
  payload?: unknown;
  /**
   * The invocation context. `accountId` is the user the platform authenticated (delivered to the
   * resolver as `context.accountId`, from the backend principal); the rest (`extension`, `localId`,
   * `moduleKey`, ...) is the front-end context, e.g. `{extension: {type: 'jira:issuePanel',
   * issue: {key, id}}}`.
   */
  context?: { accountId?: string; [key: string]: unknown };
  jobId?: string;
}

export interface DeliverEventResult {
  attempts: number;
  result?: unknown;
  error?: unknown;
}

export interface ForgeRuntime {
  clock: TimerClock;
  kvs: KvsEmulator;
  queue: LocalQueue;
  /** Every `__forge_fetch__` call, in order. */
  fetchLog: ForgeFetchLogEntry[];
  /** Every egress `fetch`, allowed or refused. */
  egressLog: EgressLogEntry[];
  contextAri: string;
  cloudId: string;
  /** `fetch` that bypasses the egress policy (for harness code). */
  rawFetch: typeof fetch;
  /**
   * Calls a resolver handler (the function `new Resolver().getDefinitions()` returns) exactly as
   * the platform does: `handler({call: {functionKey, payload, jobId}, context}, {principal:
   * {accountId}, installContext, license, installation})`. Returns its JSON-serialised result.
   */
  invokeResolver(handler: (...args: never[]) => unknown, options: InvokeResolverOptions): Promise<unknown>;
  /** Calls a function module handler `(event, context)` once (post function, scheduled trigger). */
  invokeFunction(handler: (event: never, context: never) => unknown, event: unknown, options?: { moduleKey?: string; accountId?: string }): Promise<unknown>;
  /**
   * Delivers a product event (e.g. a workflow post-function event) with Forge's retry rules: an
   * `InvocationError` result is retried after `retryAfter` seconds on the clock, with
   * `retryContext {retryCount, retryReason, retryData}`, at most `maxRetries` (default 4) times.
   */
  deliverEvent(handler: (event: never, context: never) => unknown, event: Record<string, unknown>, options?: { moduleKey?: string; maxRetries?: number }): Promise<DeliverEventResult>;
  /** Registers the consumer function of an async-events queue. */
  registerConsumer(queueKey: string, handler: ConsumerHandler, options?: { moduleKey?: string }): void;
  close(): Promise<void>;
}

let running = false;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

function jsonResponse(status: number, body?: unknown, headers: Record<string, string> = {}): Response {
  const text = body === undefined || status === 204 ? null : JSON.stringify(body);
  return new Response(text, { status, headers: { ...(text ? { 'content-type': 'application/json' } : {}), ...headers } });
}

function parseBody(init?: RequestInit): unknown {
  if (typeof init?.body !== 'string' || !init.body) return undefined;
  try {
    return JSON.parse(init.body);
  } catch {
    return undefined;
  }
}

/**
 * Starts the local Forge runtime: KVS emulator (HTTP + node:sqlite), async-events queue,
 * `__forge_fetch__` routing, egress policy and the `__forge_runtime__` context.
 * Only one runtime can run at a time (the globals are process-wide).
 */
export async function startForgeRuntime(options: ForgeRuntimeOptions): Promise<ForgeRuntime> {
  if (running) throw new Error('a local Forge runtime is already running in this process');
  running = true;
  try {
    return await start(options);
  } catch (e) {
    running = false;
    throw e;
  }
}

async function start(options: ForgeRuntimeOptions): Promise<ForgeRuntime> {
  const ownsClock = !options.clock;
  const clock = options.clock ?? realClock();
  const appId = options.appId ?? 'a1b2c3d4-0000-4000-8000-00000000a99';
  const environmentId = options.environmentId ?? 'e1e2e3e4-0000-4000-8000-0000000000e1';
  const cloudId = options.cloudId ?? '00000000-0000-4000-8000-00000000c10d';
  const contextAri = `ari:cloud:jira::site/${cloudId}`;
  const installationId = options.installationId ?? 'i1i2i3i4-0000-4000-8000-0000000000i1';
  const proxyToken = `local-forge-proxy-${hex(16)}`;
  const jiraToken = options.jiraAppToken ?? 'jira-emulator-app-token';
  const jiraUrl = options.jiraUrl.replace(/\/$/, '');

  const kvs = await startKvsEmulator({ path: options.kvsPath, token: proxyToken, now: () => clock.now(), entities: options.entities });

  // ---- __forge_runtime__
  Object.assign(runtimeGlobal.proxy, { token: proxyToken, url: 'http://forge-proxy.local' });
  Object.assign(runtimeGlobal.kvs, { url: kvs.url, host: kvs.host });
  Object.assign(runtimeGlobal.tracing, { traceId: hex(8), spanId: hex(8) });
  Object.assign(runtimeGlobal.appContext, {
    appId,
    appVersion: options.appVersion ?? '1.0.0',
    environmentId,
    environmentType: options.environmentType ?? 'DEVELOPMENT',
    invocationId: '',
    installationId,
    moduleKey: '',
    license: undefined,
    installation: undefined,
    permissions: { scopes: options.scopes ?? [], external: { fetch: { backend: Object.keys(options.egress ?? { 'https://api.atlassian.com': '' }) } } },
  });
  runtimeGlobal.contextAri = contextAri;
  runtimeGlobal.aaid = undefined;

  // ---- invocation context (process-wide, like the globals; concurrent invocations share it).
  // Who an invocation runs for is also kept per async context: `asUser()` must act as THIS
  // invocation's user even while another user's invocation runs, as it does on Forge.
  const invocationUser = new AsyncLocalStorage<{ accountId?: string }>();
  const withInvocation = async <T>(ctx: { moduleKey: string; accountId?: string; timeoutMs: number }, fn: () => T | Promise<T>): Promise<T> =>
    invocationUser.run({ accountId: ctx.accountId }, () => invoke(ctx, fn));
  const invoke = async <T>(ctx: { moduleKey: string; accountId?: string; timeoutMs: number }, fn: () => T | Promise<T>): Promise<T> => {
    const saved = { moduleKey: runtimeGlobal.appContext.moduleKey, invocationId: runtimeGlobal.appContext.invocationId, aaid: runtimeGlobal.aaid, lambda: runtimeGlobal.lambdaContext };
    const startedAt = Date.now();
    runtimeGlobal.appContext.moduleKey = ctx.moduleKey;
    runtimeGlobal.appContext.invocationId = randomUUID();
    runtimeGlobal.aaid = ctx.accountId;
    runtimeGlobal.lambdaContext = { getRemainingTimeInMillis: () => Math.max(0, ctx.timeoutMs - (Date.now() - startedAt)) };
    runtimeGlobal.tracing.spanId = hex(8);
    try {
      return await fn();
    } finally {
      runtimeGlobal.appContext.moduleKey = saved.moduleKey;
      runtimeGlobal.appContext.invocationId = saved.invocationId;
      runtimeGlobal.aaid = saved.aaid;
      runtimeGlobal.lambdaContext = saved.lambda;
    }
  };

  const queue = new LocalQueue({
    clock,
    random: seededRandom(options.seed ?? 1),
    faults: options.queueFaults,
    invoke: (handler, event: AsyncEvent, moduleKey) =>
      withInvocation({ moduleKey, timeoutMs: 55_000 }, () => handler(event, { installContext: contextAri })),
  });

  // ---- __forge_fetch__
  const fetchLog: ForgeFetchLogEntry[] = [];
  const proxyError = (status: number, reason: string) => jsonResponse(status, { message: reason }, { 'forge-proxy-error': reason });

  const handleFetch: ForgeFetch = async (target, path, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    const entry: ForgeFetchLogEntry = { target: { ...target }, path, method, status: 0, body: parseBody(init) };
    fetchLog.push(entry);
    const respond = (r: Response) => {
      entry.status = r.status;
      return r;
    };
    if (typeof path !== 'string' || !path.startsWith('/')) return respond(proxyError(400, 'INVALID_PATH'));

    if (target.type === 'kvs') {
      const headers = new Headers(init?.headers as HeadersInit | undefined);
      headers.delete('host');
      headers.set('authorization', `Bearer ${proxyToken}`);
      return respond(await rawFetch(`${kvs.url}${path}`, { ...init, headers }));
    }

    if (target.type === 'fpp' && target.remote === 'jira') {
      const headers = new Headers(init?.headers as HeadersInit | undefined);
      headers.set(APP_AUTH_HEADER, `Bearer ${jiraToken}`);
      headers.delete(ACT_AS_USER_HEADER);
      // The invocation's own user (never the process-wide `aaid`, which overlapping invocations share).
      const invoker = invocationUser.getStore()?.accountId;
      const asUser = target.provider === 'user' ? (target.accountId ?? invoker) : target.provider === 'none' ? invoker : undefined;
      if (target.provider === 'user' && !asUser) return respond(proxyError(401, 'NEEDS_AUTHENTICATION_ERR'));
      if (asUser) headers.set(ACT_AS_USER_HEADER, asUser);
      return respond(await rawFetch(`${jiraUrl}${path}`, { ...init, headers }));
    }

    if (target.type === 'fpp' && target.remote === 'stargate') {
      const body = parseBody(init);
      if (path.startsWith('/webhook/queue/publish/')) {
        const r = queue.publish(body);
        return respond(jsonResponse(r.status, r.body));
      }
      if (path.startsWith('/webhook/queue/stats/')) {
        const r = queue.stats(body);
        return respond(jsonResponse(r.status, r.body));
      }
      if (path.startsWith('/webhook/queue/cancel/')) {
        const r = queue.cancel(body);
        return respond(jsonResponse(r.status, r.body));
      }
      return respond(jsonResponse(404, { message: `The local Forge runtime does not serve ${path}.` }));
    }

    return respond(proxyError(501, 'PROXY_ERR'));
  };
  activeFetch = handleFetch;

  // ---- egress
  const egressLog: EgressLogEntry[] = [];
  const allow: Record<string, string> = options.egress ?? { 'https://api.atlassian.com': options.orgAdminUrl ?? '' };
  setEgressPolicy({ allow, onRequest: (e) => egressLog.push(e) });

  // ---- env (Forge variables)
  const savedEnv = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(options.env ?? {})) {
    savedEnv.set(k, process.env[k]);
    process.env[k] = v;
  }

  const frontendContext = (moduleKey: string) => ({
    cloudId,
    siteUrl: options.siteUrl ?? jiraUrl,
    moduleKey,
    localId: `${moduleKey}-local-id`,
    environmentId,
    environmentType: options.environmentType ?? 'DEVELOPMENT',
    locale: 'en-US',
    timezone: 'UTC',
  });

  let closed = false;
  return {
    clock,
    kvs,
    queue,
    fetchLog,
    egressLog,
    contextAri,
    cloudId,
    rawFetch,

    async invokeResolver(handler, { functionKey, payload, context = {}, jobId }) {
      const { accountId, ...rest } = context;
      const moduleKey = typeof rest.moduleKey === 'string' ? rest.moduleKey : 'jit-admin-issue-panel';
      const invokePayload = { call: { functionKey, payload, jobId }, context: { ...frontendContext(moduleKey), ...rest } };
      const backendRuntimePayload = {
        principal: accountId ? { accountId } : undefined,
        installContext: contextAri,
        license: undefined,
        installation: undefined,
      };
      const call = handler as unknown as (p: typeof invokePayload, b: typeof backendRuntimePayload) => unknown;
      const result = await withInvocation({ moduleKey, accountId, timeoutMs: 25_000 }, () => call(invokePayload, backendRuntimePayload));
      return result === undefined ? undefined : JSON.parse(JSON.stringify(result));
    },

    async invokeFunction(handler, event, { moduleKey = 'jit-admin-function', accountId } = {}) {
      const call = handler as unknown as (e: unknown, c: unknown) => unknown;
      return withInvocation({ moduleKey, accountId, timeoutMs: 55_000 }, () =>
        call(structuredClone(event), { installContext: contextAri, ...(accountId ? { principal: { accountId } } : {}) }),
      );
    },

    async deliverEvent(handler, event, { moduleKey = 'jit-admin-post-function', maxRetries = 4 } = {}) {
      const call = handler as unknown as (e: unknown, c: unknown) => unknown;
      let attempts = 0;
      let retryContext: Record<string, unknown> | undefined;
      for (;;) {
        attempts++;
        const delivered = { ...structuredClone(event), ...(retryContext ? { retryContext } : {}) };
        let result: unknown;
        try {
          result = await withInvocation({ moduleKey, timeoutMs: 55_000 }, () => call(delivered, { installContext: contextAri }));
        } catch (error) {
          return { attempts, error };
        }
        const r = result as { _retry?: unknown; retryOptions?: { retryAfter?: number; retryReason?: string; retryData?: unknown } } | undefined;
        if (!r || r._retry !== true || attempts > maxRetries || closed) return { attempts, result };
        const after = Math.min(Math.max(r.retryOptions?.retryAfter ?? 1, 1), 900);
        retryContext = {
          retryCount: attempts,
          retryReason: r.retryOptions?.retryReason ?? 'FUNCTION_RETRY_REQUEST',
          retryData: r.retryOptions?.retryData,
        };
        await clock.sleep(after * 1000);
        if (closed) return { attempts, result };
      }
    },

    registerConsumer(queueKey, handler, opts) {
      queue.registerConsumer(queueKey, handler, opts);
    },

    async close() {
      if (closed) return;
      closed = true;
      queue.close();
      activeFetch = null;
      setEgressPolicy(null);
      for (const [k, v] of savedEnv) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await kvs.close();
      if (ownsClock) clock.close();
      runtimeGlobal.proxy.token = '';
      running = false;
    },
  };
}
