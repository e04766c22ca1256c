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
import { randomUUID } from 'node:crypto';
import { rawFetch, setEgressPolicy, type EgressLogEntry } from './egress';
import { realClock, type TimerClock } from './clock';
import { egressDecider, startEgressGate } from './egress-gate';
import { createForgeFetch } from './forge-fetch';
import { ForgeMeter } from './meter';
import { interceptConsole } from './log-lines';
import { hex, installRuntimeContext, invocations, runtimeGlobal, setActiveFetch, setRuntimeNow, type Invocation } from './runtime-globals';
import {
  FunctionTimeoutError,
  INVOCATION_LIMITS,
  type DeliverEventResult,
  type ForgeFetchLogEntry,
  type ForgeRuntime,
  type ForgeRuntimeOptions,
  type InvocationRecord,
  type InvokeResolverOptions,
  type LogLine,
  type ScheduledTriggerRun,
} from './runtime-types';
import { startKvsEmulator, type ConflictAnswer, type EntityDefinition, type KvsEmulator } from './kvs-emulator';
import { timeLimitSeconds, type InvocationKind, type ModuleConfig } from './manifest';
import { LocalQueue, QUEUE_LIMITS, retryDataBytes, seededRandom, type AsyncEvent, type ConsumerHandler } from './queue';

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
export { metricsCounters } from './runtime-globals';
export { FORGE_PRICING, ForgeMeter, monthlyBill, PLATFORM_LATENCY_MS, totalUsage, type InvocationUsage, type MonthlyBill, type UsageTotals } from './meter';
export {
  FunctionTimeoutError,
  INVOCATION_LIMITS,
  type DeliverEventResult,
  type ForgeFetchLogEntry,
  type ForgeFetchTarget,
  type ForgeRuntime,
  type ForgeRuntimeOptions,
  type InvocationRecord,
  type InvokeResolverOptions,
  type LogLine,
  type ScheduledTriggerRun,
} from './runtime-types';

let running = false;


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
  installRuntimeContext({ proxyToken, kvs, contextAri, appId, environmentId, installationId, options });
  setRuntimeNow(() => clock.now());

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
  const logs = interceptConsole(options.onLog);

  const queue = new LocalQueue({
    clock,
    random: seededRandom(options.seed ?? 1),
    faults: options.queueFaults,
    invoke: (handler, event: AsyncEvent, moduleKey, meta) =>
      withInvocation({ kind: 'consumer', moduleKey, eventDepth: meta.depth }, () => handler(event, { installContext: contextAri })),
  });

  // ---- __forge_fetch__
  const fetchLog: ForgeFetchLogEntry[] = [];
  const handleFetch = createForgeFetch({ fetchLog, endedError, proxyToken, kvsUrl: kvs.url, jiraToken, jiraUrl, queue, meter });
  setActiveFetch(handleFetch);

  // ---- egress: counted per invocation; the gate answers requests past the limit and holds slowed ones
  const egressLog: EgressLogEntry[] = [];
  const allow: Record<string, string> = options.egress ?? { 'https://api.atlassian.com': options.orgAdminUrl ?? '' };
  let latency: ((request: { url: string; method: string }) => number) | null = null;
  const gate = await startEgressGate(clock);
  const decide = egressDecider(gate.origin, endedError, () => latency);
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
      logs.writeLine(line, level, () => logs.original.log(line), true);
    },

    async close() {
      if (closed) return;
      closed = true;
      queue.close();
      setActiveFetch(null);
      setEgressPolicy(null);
      logs.restore();
      setRuntimeNow(null);
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
