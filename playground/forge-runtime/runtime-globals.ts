/**
 * The process-wide globals the Forge SDKs read (`__forge_runtime__`, `__forge_fetch__`), installed when this
 * module loads, with stable sub-objects (`@forge/kvs` captures them when it loads). Per-invocation fields read
 * the current invocation's own context (an `AsyncLocalStorage`), so concurrent invocations never see each other.
 * The running runtime plugs itself in with `setRuntimeNow` and `setActiveFetch`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { ForgeFetchTarget, ForgeRuntimeOptions, InvocationRecord } from './runtime-types';

export interface RuntimeGlobal {
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

export type ForgeFetch = (target: ForgeFetchTarget, path: string, init?: RequestInit) => Promise<Response>;

export const g = globalThis as unknown as { __forge_runtime__?: RuntimeGlobal; __forge_fetch__?: ForgeFetch };

/** Counters recorded by the metrics stub (name → count). */
export const metricsCounters = new Map<string, number>();

/** The invocation the current code runs in (set by the running runtime). */
export interface Invocation {
  record: InvocationRecord;
  ended: boolean;
  accountId?: string;
  /** Clock time at which the invocation ends. */
  deadline: number;
  /** For a consumer invocation: the chain depth of the event it handles. */
  eventDepth?: number;
}

export const invocations = new AsyncLocalStorage<Invocation>();
let runtimeNow: (() => number) | null = null;

// Install the globals at import, with stable sub-objects: `@forge/kvs` captures
// `__forge_runtime__.proxy/kvs/tracing` when it loads and reads their fields on every call.
export const runtimeGlobal: RuntimeGlobal = g.__forge_runtime__ ?? {
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

/** The running runtime's clock (null: none running). */
export function setRuntimeNow(now: (() => number) | null): void {
  runtimeNow = now;
}

/** The running runtime's `__forge_fetch__` (null: none running). */
export function setActiveFetch(fetch: ForgeFetch | null): void {
  activeFetch = fetch;
}

/** Fills `__forge_runtime__` for a starting runtime (in place: the SDKs hold on to its sub-objects). */
export function installRuntimeContext(c: {
  proxyToken: string;
  kvs: { url: string; host: string };
  contextAri: string;
  appId: string;
  environmentId: string;
  installationId: string;
  options: Pick<ForgeRuntimeOptions, 'appVersion' | 'environmentType' | 'scopes' | 'egress'>;
}): void {
  Object.assign(runtimeGlobal.proxy, { token: c.proxyToken, url: 'http://forge-proxy.local' });
  Object.assign(runtimeGlobal.kvs, { url: c.kvs.url, host: c.kvs.host });
  Object.assign(runtimeGlobal.tracing, { traceId: hex(8), spanId: hex(8) });
  Object.assign(runtimeGlobal.appContext, {
    appId: c.appId,
    appVersion: c.options.appVersion ?? '1.0.0',
    environmentId: c.environmentId,
    environmentType: c.options.environmentType ?? 'DEVELOPMENT',
    installationId: c.installationId,
    license: undefined,
    installation: undefined,
    permissions: { scopes: c.options.scopes ?? [], external: { fetch: { backend: Object.keys(c.options.egress ?? { 'https://api.atlassian.com': '' }) } } },
  });
  runtimeGlobal.contextAri = c.contextAri;
}

/** `bytes` random bytes as hex. */
export const hex = (bytes: number) => randomBytes(bytes).toString('hex');
