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
 * Invocations run as Forge runs them ("Invocation limits"): each has its own context (an
 * `AsyncLocalStorage`, so concurrent invocations never see each other's module key, invocation id,
 * user or remaining time), ends at its time limit on the runtime's clock (resolvers and post
 * functions 25 s; consumers and scheduled triggers 55 s or their function's `timeoutSeconds`, read
 * from the manifest through `modules`), and then can reach nothing more: every later platform call
 * or egress request of it is refused. Each invocation may make 100 egress requests and write 100
 * log lines per runtime minute of its limit (rounded up; `requestJira` and storage do not count):
 * the next egress request is answered 429 with `forge-proxy-error: FETCH_LIMIT_EXCEEDED` without
 * being sent, and further log lines (or any past 200 KB) are dropped. Every invocation is recorded
 * in `invocations` with what it used. Post functions are retried at most four times; scheduled
 * triggers must return `{statusCode}`; `retryData` is at most 4 KB.
 *
 * Import order does not matter for egress. It matters a little for `@forge/kvs`, which picks its
 * transport when it loads: importing this module first (or preloading ./register) makes it use the
 * `{type: 'kvs'}` path with the proxy token, as in production; otherwise it uses the
 * `{type: 'kvs', provider: 'app', remote: 'kvs'}` path. Both are served.
 */
import './egress';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { format } from 'node:util';
import { ACT_AS_USER_HEADER, APP_AUTH_HEADER } from '../emulators/jira/index';
import { rawFetch, setEgressPolicy, type EgressDecision, type EgressLogEntry } from './egress';
import { realClock, type TimerClock } from './clock';
import { startKvsEmulator, type ConflictAnswer, type EntityDefinition, type KvsEmulator } from './kvs-emulator';
import { timeLimitSeconds, type InvocationKind, type ModuleConfig } from './manifest';
import { LocalQueue, QUEUE_LIMITS, retryDataBytes, seededRandom, type AsyncEvent, type ConsumerHandler, type QueueFaults } from './queue';
import { ForgeMeter } from './meter';

export { rawFetch } from './egress';
export { createClock, realClock, scaledClock, VirtualClock, type Clock, type TimerClock, type ClockOptions } from './clock';
export { LocalQueue, QUEUE_LIMITS, seededRandom, type AsyncEvent, type ConsumerHandler, type DeliveryRecord, type QueuedEvent } from './queue';
export {
  attributeProblem,
  DEFAULT_CONFLICT_ANSWERS,
  ENTITY_LIMITS,
  KVS_LIMITS,
  startKvsEmulator,
  validateEntityDefinitions,
  type ConflictAnswer,
  type EntityDefinition,
  type KvsEmulator,
} from './kvs-emulator';
export { modulesFromManifest, TIME_LIMITS, timeLimitSeconds, type InvocationKind, type ModuleConfig } from './manifest';
export { FORGE_PRICING, ForgeMeter, monthlyBill, PLATFORM_LATENCY_MS, totalUsage, type InvocationUsage, type MonthlyBill, type UsageTotals } from './meter';

/** Forge's per-invocation limits besides time ("Invocation limits", "Async events limits"). */
export const INVOCATION_LIMITS = {
  /** Egress requests per runtime minute of the invocation's limit, rounded up (`requestJira` excluded). */
  egressPerRuntimeMinute: 100,
  /** Log lines per runtime minute of the invocation's limit, rounded up. */
  logLinesPerRuntimeMinute: 100,
  logBytes: 200 * 1024,
  /** "You can only retry an event for a maximum of four times" (product events, post functions). */
  productEventRetries: 4,
  retryDataBytes: QUEUE_LIMITS.retryDataBytes,
  resolverPayloadBytes: 500 * 1024,
  resolverResponseBytes: 5 * 1024 * 1024,
} as const;

/** The error an invocation that ran past its time limit fails with. */
export class FunctionTimeoutError extends Error {
  override readonly name = 'FunctionTimeoutError';
  constructor(
    readonly moduleKey: string,
    readonly limitMs: number,
  ) {
    super(`the invocation of \`${moduleKey}\` ran past its ${limitMs / 1000} s limit and was stopped`);
  }
}

/** What one invocation was and used. */
export interface InvocationRecord {
  id: string;
  moduleKey: string;
  kind: InvocationKind;
  startedAt: number;
  endedAt?: number;
  limitMs: number;
  outcome: 'running' | 'ok' | 'error' | 'timeout';
  error?: string;
  /** Egress requests made (those past the limit included) and refused for being past it. */
  egressRequests: number;
  egressLimit: number;
  egressOverLimit: number;
  /** Log lines written (kept or not), dropped for being past the limit, and bytes kept. */
  logLines: number;
  logLimit: number;
  logsDropped: number;
  logBytes: number;
}

/** A scheduled trigger run as the platform judges it. */
export interface ScheduledTriggerRun {
  moduleKey: string;
  at: number;
  /** The returned `statusCode`, 424 when the response lacks one, 500 when the function threw or timed out. */
  status: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** A log line an invocation wrote (kept ones only go to `onLog`). */
export interface LogLine {
  line: string;
  level: string;
  invocationId: string;
  moduleKey: string;
}

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

/** The invocation the current code runs in (set by the running runtime). */
interface Invocation {
  record: InvocationRecord;
  ended: boolean;
  accountId?: string;
  /** Clock time at which the invocation ends. */
  deadline: number;
  /** For a consumer invocation: the chain depth of the event it handles. */
  eventDepth?: number;
}

const invocations = new AsyncLocalStorage<Invocation>();
let runtimeNow: (() => number) | null = null;

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
  lambdaContext: { getRemainingTimeInMillis: () => 900_000 },
  contextAri: '',
  externalAuth: [],
  container: {},
};
g.__forge_runtime__ = runtimeGlobal;
// Per invocation, read from the invocation's own context: concurrent invocations share the globals.
Object.defineProperty(runtimeGlobal.appContext, 'moduleKey', { get: () => invocations.getStore()?.record.moduleKey ?? '', enumerable: true, configurable: true });
Object.defineProperty(runtimeGlobal.appContext, 'invocationId', { get: () => invocations.getStore()?.record.id ?? '', enumerable: true, configurable: true });
Object.defineProperty(runtimeGlobal, 'aaid', { get: () => invocations.getStore()?.accountId, enumerable: true, configurable: true });
runtimeGlobal.lambdaContext = {
  getRemainingTimeInMillis: () => {
    const inv = invocations.getStore();
    // Outside an invocation (harness code) nothing limits the time: report Forge's longest limit.
    return inv && runtimeNow ? Math.max(0, inv.deadline - runtimeNow()) : 900_000;
  },
};
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
  /** Module key → kind and `timeoutSeconds` (`modulesFromManifest(manifest)`); unknown keys get their kind's default. */
  modules?: Record<string, ModuleConfig>;
  /** Where the kept log lines of invocations go (default: the console they were written to). */
  onLog?: (line: LogLine) => void;
  /** How the KVS emulator answers lost races (default `DEFAULT_CONFLICT_ANSWERS`). */
  kvsConflicts?: { condition?: ConflictAnswer; keyExists?: ConflictAnswer };
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
  /** The function still asked for a retry (or timed out) after the last one allowed. */
  retriesExhausted?: boolean;
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
  /** Calls a function module handler `(event, context)` once. */
  invokeFunction(handler: (event: never, context: never) => unknown, event: unknown, options?: { moduleKey?: string; accountId?: string }): Promise<unknown>;
  /**
   * Runs a scheduled trigger's function as the platform does: with `{context: {cloudId, moduleKey},
   * contextToken}`, judged by the `statusCode` it returns (none: 424 Failed dependency). Failures are
   * recorded in `scheduledTriggerRuns` and never retried.
   */
  invokeScheduledTrigger(handler: (request: never, context: never) => unknown, options: { moduleKey: string }): Promise<ScheduledTriggerRun>;
  /**
   * Delivers a product event (e.g. a workflow post-function event) with Forge's retry rules: an
   * `InvocationError` result is retried after `retryAfter` seconds on the clock, with
   * `retryContext {retryCount, retryReason, retryData}`, and so is a timed-out invocation
   * (`FUNCTION_TIME_OUT`); at most four retries (`maxRetries` can only lower that).
   */
  deliverEvent(handler: (event: never, context: never) => unknown, event: Record<string, unknown>, options?: { moduleKey?: string; maxRetries?: number }): Promise<DeliverEventResult>;
  /** Registers the consumer function of an async-events queue. */
  registerConsumer(queueKey: string, handler: ConsumerHandler, options?: { moduleKey?: string }): void;
  /** Every invocation so far (the last 10 000), oldest first. */
  invocations: InvocationRecord[];
  /** Every scheduled trigger run, oldest first. */
  scheduledTriggerRuns: ScheduledTriggerRun[];
  /**
   * Makes matching egress requests take `ms` of clock time before they are sent (a slow API).
   * `null` removes it.
   */
  setEgressLatency(latency: ((request: { url: string; method: string }) => number) | null): void;
  /** Writes a log line as the current invocation (counted against its limit) or, outside one, straight to `onLog`. */
  log(line: string, level?: string): void;
  close(): Promise<void>;
  /** What each finished invocation would be billed for (./meter). */
  meter: ForgeMeter;
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
 * The runtime's egress gate: answers requests past an invocation's egress limit as Forge does
 * (429 `Too Many Requests` with `forge-proxy-error: FETCH_LIMIT_EXCEEDED`, nothing sent; reported in
 * ECO-491), and holds slowed requests for their latency on the clock before forwarding them.
 */
async function startEgressGate(clock: TimerClock): Promise<{ origin: string; close(): Promise<void> }> {
  const readBody = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (url === '/fetch-limit') {
      res.writeHead(429, 'Too Many Requests', { 'forge-proxy-error': 'FETCH_LIMIT_EXCEEDED' });
      res.end();
      return;
    }
    const m = /^\/delay\/(\d+)\/([A-Za-z0-9_-]+)$/.exec(url);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const aborted = new AbortController();
    res.on('close', () => aborted.abort());
    try {
      const body = await readBody(req);
      await clock.sleep(Number(m[1]));
      if (aborted.signal.aborted) return;
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers.set(k, v);
      const upstream = await rawFetch(Buffer.from(m[2]!, 'base64url').toString('utf8'), {
        method: req.method,
        headers,
        body: body.length ? new Uint8Array(body) : undefined,
        signal: aborted.signal,
      });
      const out: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (k !== 'content-encoding' && k !== 'transfer-encoding' && k !== 'connection' && k !== 'content-length') out[k] = v;
      });
      const text = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, upstream.statusText, out);
      res.end(text);
    } catch {
      if (!res.headersSent) res.writeHead(502);
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
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

  const kvs = await startKvsEmulator({ path: options.kvsPath, token: proxyToken, now: () => clock.now(), entities: options.entities, conflicts: options.kvsConflicts });
  let closed = false;

  // ---- __forge_runtime__
  Object.assign(runtimeGlobal.proxy, { token: proxyToken, url: 'http://forge-proxy.local' });
  Object.assign(runtimeGlobal.kvs, { url: kvs.url, host: kvs.host });
  Object.assign(runtimeGlobal.tracing, { traceId: hex(8), spanId: hex(8) });
  Object.assign(runtimeGlobal.appContext, {
    appId,
    appVersion: options.appVersion ?? '1.0.0',
    environmentId,
    environmentType: options.environmentType ?? 'DEVELOPMENT',
    installationId,
    license: undefined,
    installation: undefined,
    permissions: { scopes: options.scopes ?? [], external: { fetch: { backend: Object.keys(options.egress ?? { 'https://api.atlassian.com': '' }) } } },
  });
  runtimeGlobal.contextAri = contextAri;
  runtimeNow = () => clock.now();

  // ---- invocations
  const modules = options.modules ?? {};
  const invocationLog: InvocationRecord[] = [];
  const scheduledTriggerRuns: ScheduledTriggerRun[] = [];
  const describe = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  const meter = new ForgeMeter({ virtualClock: typeof clock.track === 'function' });

  /**
   * Runs `fn` as one invocation of `moduleKey`: its own context, its time limit on the clock, its
   * egress and log budgets. Rejects with `FunctionTimeoutError` at the limit; from then on (and
   * once it has returned) the invocation can reach no platform API and no egress host.
   */
  const withInvocation = <T>(ctx: { kind: InvocationKind; moduleKey: string; accountId?: string; eventDepth?: number }, fn: () => T | Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new Error('the local Forge runtime is closed'));
    const config = modules[ctx.moduleKey];
    const seconds = timeLimitSeconds(ctx.kind, config?.kind === ctx.kind ? config.timeoutSeconds : undefined);
    const minutes = Math.ceil(seconds / 60);
    const startedAt = clock.now();
    const record: InvocationRecord = {
      id: randomUUID(),
      moduleKey: ctx.moduleKey,
      kind: ctx.kind,
      startedAt,
      limitMs: seconds * 1000,
      outcome: 'running',
      egressRequests: 0,
      egressLimit: INVOCATION_LIMITS.egressPerRuntimeMinute * minutes,
      egressOverLimit: 0,
      logLines: 0,
      logLimit: INVOCATION_LIMITS.logLinesPerRuntimeMinute * minutes,
      logsDropped: 0,
      logBytes: 0,
    };
    if (invocationLog.length >= 10_000) invocationLog.shift();
    invocationLog.push(record);
    meter.start(record);
    const inv: Invocation = { record, ended: false, accountId: ctx.accountId, deadline: startedAt + record.limitMs, eventDepth: ctx.eventDepth };
    const outcome = new Promise<T>((resolve, reject) => {
      let cancelTimer = () => {};
      const finish = (result: InvocationRecord['outcome'], error?: unknown) => {
        if (inv.ended) return false;
        inv.ended = true;
        cancelTimer();
        record.outcome = result;
        record.endedAt = clock.now();
        if (error !== undefined) record.error = describe(error);
        meter.finish(record);
        return true;
      };
      cancelTimer = clock.setTimer(inv.deadline, () => {
        const error = new FunctionTimeoutError(ctx.moduleKey, record.limitMs);
        if (finish('timeout', error)) reject(error);
      });
      invocations.run(inv, () => {
        runtimeGlobal.tracing.spanId = hex(8);
        Promise.resolve()
          .then(fn)
          .then(
            (value) => {
              if (finish('ok')) resolve(value);
            },
            (error) => {
              if (finish('error', error)) reject(error);
            },
          );
      });
    });
    // On a virtual clock, time waits for an invocation's work unless it is parked on the clock.
    clock.track?.(outcome);
    return outcome;
  };

  /** Refuses a platform call or egress request of an invocation that has ended. */
  const endedError = (what: string) => {
    const inv = invocations.getStore();
    return inv?.ended ? new Error(`${what}: the invocation ${inv.record.id} of \`${inv.record.moduleKey}\` has ended (${inv.record.outcome})`) : null;
  };

  // ---- log lines: counted per invocation; past the limit, dropped
  const CONSOLE_LEVELS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const originalConsole = Object.fromEntries(CONSOLE_LEVELS.map((l) => [l, console[l]])) as Record<(typeof CONSOLE_LEVELS)[number], (...args: unknown[]) => void>;
  /** `harness`: written by harness code through `log()` (outside an invocation it goes to `onLog`, not the console). */
  const writeLine = (line: string, level: string, passThrough: () => void, harness = false) => {
    const inv = invocations.getStore();
    if (!inv) {
      if (harness && options.onLog) options.onLog({ line, level, invocationId: '', moduleKey: '' });
      else passThrough();
      return;
    }
    const r = inv.record;
    r.logLines++;
    const bytes = Buffer.byteLength(line, 'utf8');
    if (inv.ended || r.logLines > r.logLimit || r.logBytes + bytes > INVOCATION_LIMITS.logBytes) {
      r.logsDropped++;
      return;
    }
    r.logBytes += bytes;
    if (options.onLog) options.onLog({ line, level, invocationId: r.id, moduleKey: r.moduleKey });
    else passThrough();
  };
  const interceptors = Object.fromEntries(
    CONSOLE_LEVELS.map((level) => [
      level,
      (...args: unknown[]) => writeLine(format(...args), level, () => originalConsole[level].apply(console, args)),
    ]),
  ) as typeof originalConsole;
  for (const level of CONSOLE_LEVELS) console[level] = interceptors[level];

  const queue = new LocalQueue({
    clock,
    random: seededRandom(options.seed ?? 1),
    faults: options.queueFaults,
    invoke: (handler, event: AsyncEvent, moduleKey, meta) =>
      withInvocation({ kind: 'consumer', moduleKey, eventDepth: meta.depth }, () => handler(event, { installContext: contextAri })),
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
    const ended = endedError(`${method} ${path}`);
    if (ended) throw ended;
    if (typeof path !== 'string' || !path.startsWith('/')) return respond(proxyError(400, 'INVALID_PATH'));

    if (target.type === 'kvs') {
      const headers = new Headers(init?.headers as HeadersInit | undefined);
      headers.delete('host');
      headers.set('authorization', `Bearer ${proxyToken}`);
      const sent = performance.now();
      const answer = respond(await rawFetch(`${kvs.url}${path}`, { ...init, headers }));
      const text = await answer.clone().text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      // The meter's own parsing is not the app's time either.
      const waited = performance.now() - sent;
      meter.kvs(invocations.getStore()?.record.id, path, entry.body, answer.status, json, waited);
      return answer;
    }

    if (target.type === 'fpp' && target.remote === 'jira') {
      const headers = new Headers(init?.headers as HeadersInit | undefined);
      headers.set(APP_AUTH_HEADER, `Bearer ${jiraToken}`);
      headers.delete(ACT_AS_USER_HEADER);
      // The invocation's own user (never the process-wide `aaid`, which overlapping invocations share).
      const invoker = invocations.getStore()?.accountId;
      const asUser = target.provider === 'user' ? (target.accountId ?? invoker) : target.provider === 'none' ? invoker : undefined;
      if (target.provider === 'user' && !asUser) return respond(proxyError(401, 'NEEDS_AUTHENTICATION_ERR'));
      if (asUser) headers.set(ACT_AS_USER_HEADER, asUser);
      const sent = performance.now();
      const answer = respond(await rawFetch(`${jiraUrl}${path}`, { ...init, headers }));
      meter.jira(invocations.getStore()?.record.id, performance.now() - sent);
      return answer;
    }

    if (target.type === 'fpp' && target.remote === 'stargate') {
      const body = parseBody(init);
      if (path.startsWith('/webhook/queue/publish/')) {
        // Events pushed by a consumer continue its event's chain (the cyclic invocation limit).
        const inv = invocations.getStore();
        const r = queue.publish(body, { depth: inv?.eventDepth !== undefined ? inv.eventDepth + 1 : 0 });
        if (r.status < 300) meter.queue(inv?.record.id, Array.isArray((body as { payload?: unknown } | undefined)?.payload) ? (body as { payload: unknown[] }).payload.length : 1);
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

  // ---- egress: counted per invocation; the gate answers requests past the limit and holds slowed ones
  const egressLog: EgressLogEntry[] = [];
  const allow: Record<string, string> = options.egress ?? { 'https://api.atlassian.com': options.orgAdminUrl ?? '' };
  let latency: ((request: { url: string; method: string }) => number) | null = null;
  const gate = await startEgressGate(clock);
  const decide = (request: { url: string; method: string; target: string }): EgressDecision | undefined => {
    const ended = endedError(`egress ${request.method} ${request.url}`);
    if (ended) return { refuse: ended };
    const inv = invocations.getStore();
    if (inv) {
      inv.record.egressRequests++;
      if (inv.record.egressRequests > inv.record.egressLimit) {
        inv.record.egressOverLimit++;
        return { redirect: { origin: gate.origin, path: '/fetch-limit' } };
      }
    }
    const ms = latency?.(request) ?? 0;
    if (ms > 0) return { redirect: { origin: gate.origin, path: `/delay/${Math.round(ms)}/${Buffer.from(request.target).toString('base64url')}` } };
    return undefined;
  };
  setEgressPolicy({ allow, onRequest: (e) => egressLog.push(e), decide });

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
      const payloadBytes = Buffer.byteLength(JSON.stringify(payload ?? null), 'utf8');
      if (payloadBytes > INVOCATION_LIMITS.resolverPayloadBytes) {
        throw new Error(`the invoke payload is ${payloadBytes} bytes; Forge accepts at most ${INVOCATION_LIMITS.resolverPayloadBytes}`);
      }
      const result = await withInvocation({ kind: 'resolver', moduleKey, accountId }, () => call(invokePayload, backendRuntimePayload));
      if (result === undefined) return undefined;
      const json = JSON.stringify(result);
      if (Buffer.byteLength(json, 'utf8') > INVOCATION_LIMITS.resolverResponseBytes) {
        throw new Error(`the resolver's answer is larger than the ${INVOCATION_LIMITS.resolverResponseBytes} bytes Forge returns to the front end`);
      }
      return JSON.parse(json);
    },

    async invokeFunction(handler, event, { moduleKey = 'jit-admin-function', accountId } = {}) {
      const call = handler as unknown as (e: unknown, c: unknown) => unknown;
      const kind = modules[moduleKey]?.kind ?? 'function';
      return withInvocation({ kind, moduleKey, accountId }, () =>
        call(structuredClone(event), { installContext: contextAri, ...(accountId ? { principal: { accountId } } : {}) }),
      );
    },

    async invokeScheduledTrigger(handler, { moduleKey }) {
      const call = handler as unknown as (e: unknown, c: unknown) => unknown;
      const at = clock.now();
      const request = { context: { cloudId, moduleKey }, contextToken: `local-context-token-${hex(8)}` };
      let run: ScheduledTriggerRun;
      try {
        const result = await withInvocation({ kind: 'scheduledTrigger', moduleKey }, () => call(request, { installContext: contextAri }));
        const status = (result as { statusCode?: unknown } | null | undefined)?.statusCode;
        run =
          typeof status === 'number' && Number.isInteger(status)
            ? { moduleKey, at, status, ok: status >= 200 && status < 300, result }
            : { moduleKey, at, status: 424, ok: false, result, error: 'the function did not return {statusCode} (424 Failed dependency)' };
      } catch (error) {
        run = { moduleKey, at, status: 500, ok: false, error: describe(error) };
      }
      scheduledTriggerRuns.push(run);
      return run;
    },

    async deliverEvent(handler, event, { moduleKey = 'jit-admin-post-function', maxRetries = INVOCATION_LIMITS.productEventRetries } = {}) {
      const call = handler as unknown as (e: unknown, c: unknown) => unknown;
      const retries = Math.min(Math.max(0, maxRetries), INVOCATION_LIMITS.productEventRetries);
      const kind = modules[moduleKey]?.kind ?? 'postFunction';
      let attempts = 0;
      let retryContext: Record<string, unknown> | undefined;
      for (;;) {
        attempts++;
        const delivered = { ...structuredClone(event), ...(retryContext ? { retryContext } : {}) };
        let result: unknown;
        let after: number;
        let reason: string;
        let data: unknown;
        try {
          result = await withInvocation({ kind, moduleKey }, () => call(delivered, { installContext: contextAri }));
          const r = result as { _retry?: unknown; retryOptions?: { retryAfter?: number; retryReason?: string; retryData?: unknown } } | undefined;
          if (!r || r._retry !== true) return { attempts, result };
          const size = retryDataBytes(r.retryOptions?.retryData);
          if (size > INVOCATION_LIMITS.retryDataBytes) {
            return { attempts, result, error: new Error(`RETRY_DATA_TOO_LARGE: retryData is ${size} bytes; at most ${INVOCATION_LIMITS.retryDataBytes} are allowed`) };
          }
          after = Math.min(Math.max(r.retryOptions?.retryAfter ?? 1, 1), 900);
          reason = r.retryOptions?.retryReason ?? 'FUNCTION_RETRY_REQUEST';
          data = r.retryOptions?.retryData;
        } catch (error) {
          // Timeouts are platform errors, retried like a requested retry; an app error is not.
          if (!(error instanceof FunctionTimeoutError)) return { attempts, error };
          result = undefined;
          after = 1;
          reason = 'FUNCTION_TIME_OUT';
          data = undefined;
          if (attempts > retries || closed) return { attempts, error, retriesExhausted: true };
        }
        if (attempts > retries || closed) return { attempts, result, retriesExhausted: !closed };
        retryContext = { retryCount: attempts, retryReason: reason, retryData: data };
        await clock.sleep(after * 1000);
        if (closed) return { attempts, result };
      }
    },

    registerConsumer(queueKey, handler, opts) {
      const config = opts?.moduleKey ? modules[opts.moduleKey] : undefined;
      queue.registerConsumer(queueKey, handler, { ...opts, timeoutSeconds: config?.kind === 'consumer' ? config.timeoutSeconds : undefined });
    },

    invocations: invocationLog,
    scheduledTriggerRuns,
    meter,

    setEgressLatency(fn) {
      latency = fn;
    },

    log(line, level = 'log') {
      writeLine(line, level, () => originalConsole.log(line), true);
    },

    async close() {
      if (closed) return;
      closed = true;
      queue.close();
      activeFetch = null;
      setEgressPolicy(null);
      for (const level of CONSOLE_LEVELS) if (console[level] === interceptors[level]) console[level] = originalConsole[level];
      runtimeNow = null;
      await gate.close();
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
