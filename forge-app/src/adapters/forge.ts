/**
 * The Forge wiring: builds the ports from `@forge/*` for one invocation, and adapts the handlers
 * to Forge's calling conventions (resolver definitions, `InvocationError` for retries).
 * The only place besides the individual adapters that imports `@forge/*`.
 */
import { asApp, asUser, fetch as forgeFetch, getAppContext } from '@forge/api';
import { InvocationError, InvocationErrorCode } from '@forge/events';
import * as resolverModule from '@forge/resolver';
import type { InvocationKind } from '../platform';
import type { Clock, InvocationBudget, Log, Ports } from '../ports';
import { systemClock } from './clock';
import { createJira } from './jira';
import { createEvidenceStore } from './evidenceStore';
import { createOrgDirectory } from './orgAdmin';
import { createOrgAuditLog } from './orgEvents';
import { createQueue } from './queue';
import { createKvsStore } from './storage';

/** The time budget of one invocation kind. All durations are milliseconds on the ports' clock. */
export interface KindBudget {
  /**
   * Forge's limit ("Invocation limits"): 25 s for resolvers and post functions; for the consumer and
   * the sweep, their function's `timeoutSeconds` in manifest.yml (a test keeps the two equal).
   */
  limitMs: number;
  /** After this long, no new action starts: what is left goes to the queue. */
  inlineMs: number;
  /** Kept free at the end of the limit, for the answer itself. */
  safetyMs: number;
  /** One org-API operation (the adapter's `budgetMs`): retries, Retry-After waits and read-backs. */
  orgOperationMs: number;
  /** One HTTP request to the org API. */
  orgRequestMs: number;
  /** How long an org-admin revoke waits for the one before it. */
  leaseWaitMs: number;
  /** One Jira request; the attempts of one Jira call; the longest wait between them. */
  jiraRequestMs: number;
  jiraAttempts: number;
  jiraMaxDelayMs: number;
  /** Leave grants and revokes that fail retryably (or do not fit) to the queue consumer. */
  handOff: boolean;
}

/**
 * Budgets per invocation kind, in one place. A click (resolver) or a transition (post function)
 * decides and saves, then runs the outbox only while that leaves time to record the result: an
 * org-admin revoke (guard read + revoke) must start within ~4.5 s, a grant within ~9.5 s, nothing
 * starts after 12 s, and a grant or revoke the org API does not finish within its 5 s goes to the
 * queue consumer, which has two minutes, waits for the revoke lease and retries within 25 s per
 * operation. Worst cases stay below the limits (`fitsInline` in handlers/dispatch.ts enforces it):
 * resolver 25 s ≥ 2 s safety + 10 s revoke + 8.5 s to record it (a 6.5 s Jira call and storage).
 */
export const INVOCATION_BUDGETS: Record<InvocationKind, KindBudget> = {
  resolver: {
    limitMs: 25_000,
    inlineMs: 12_000,
    safetyMs: 2_000,
    orgOperationMs: 5_000,
    orgRequestMs: 4_000,
    leaseWaitMs: 0,
    jiraRequestMs: 3_000,
    jiraAttempts: 2,
    jiraMaxDelayMs: 500,
    handOff: true,
  },
  postFunction: {
    limitMs: 25_000,
    inlineMs: 12_000,
    safetyMs: 2_000,
    orgOperationMs: 5_000,
    orgRequestMs: 4_000,
    leaseWaitMs: 0,
    jiraRequestMs: 3_000,
    jiraAttempts: 2,
    jiraMaxDelayMs: 500,
    handOff: true,
  },
  consumer: {
    limitMs: 120_000,
    inlineMs: 90_000,
    safetyMs: 2_000,
    orgOperationMs: 25_000,
    orgRequestMs: 10_000,
    leaseWaitMs: 15_000,
    jiraRequestMs: 5_000,
    jiraAttempts: 3,
    jiraMaxDelayMs: 2_000,
    handOff: false,
  },
  sweep: {
    limitMs: 300_000,
    inlineMs: 240_000,
    safetyMs: 5_000,
    orgOperationMs: 30_000,
    orgRequestMs: 10_000,
    leaseWaitMs: 15_000,
    jiraRequestMs: 5_000,
    jiraAttempts: 3,
    jiraMaxDelayMs: 2_000,
    handOff: false,
  },
};

/** The longest one Jira call may take under a budget: every attempt times out, with the waits between. */
export const jiraCallMs = (b: KindBudget) => b.jiraAttempts * b.jiraRequestMs + (b.jiraAttempts - 1) * b.jiraMaxDelayMs;
/** Storage writes and reads around recording a result (Forge storage is not slow; a margin). */
const STORAGE_MS = 2_000;

/** A timer on `clock` that can be cancelled (a `VirtualClock` has one; elsewhere `setTimeout`). */
function timer(clock: Clock, ms: number): { fired: Promise<void>; cancel(): void } {
  const timers = clock as Clock & { setTimer?: (at: number, fn: () => void) => () => void };
  if (typeof timers.setTimer === 'function') {
    let cancel = () => {};
    const fired = new Promise<void>((resolve) => (cancel = timers.setTimer!(clock.now() + ms, resolve)));
    return { fired, cancel: () => cancel() };
  }
  let handle: ReturnType<typeof setTimeout> | undefined;
  const fired = new Promise<void>((resolve) => (handle = setTimeout(resolve, ms)));
  return { fired, cancel: () => clearTimeout(handle) };
}

/**
 * Bounds a request to `ms` of clock time: aborts it and rejects then. The adapters' own timeouts
 * are wall-clock; this one is on the invocation's clock, so time limits hold on any clock.
 */
export function boundedRequest<A extends unknown[], R>(
  clock: Clock,
  ms: number,
  request: (signal: AbortSignal, ...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const controller = new AbortController();
    const t = timer(clock, ms);
    try {
      return await Promise.race([
        request(controller.signal, ...args),
        t.fired.then(() => {
          controller.abort();
          // Named, so the adapters report a timeout (retryable, TIMEOUT) and not a network error.
          const timeout = new Error(`no answer within ${ms} ms`);
          timeout.name = 'TimeoutError';
          throw timeout;
        }),
      ]);
    } finally {
      t.cancel();
    }
  };
}

/** Follows an outer abort signal (the caller's own timeout) into ours. */
function linked(outer: AbortSignal | null | undefined, inner: AbortSignal): AbortSignal {
  if (!outer) return inner;
  return AbortSignal.any([outer, inner]);
}

export interface ForgePortsOptions {
  clock?: Clock;
  /** Overrides for the org adapter (tests shorten waits). */
  orgOptions?: { verifyAttempts?: number; verifyIntervalMs?: number; requestTimeoutMs?: number; random?: () => number };
  log?: Log;
}

/** A JSON-lines logger that can never print the org API key, whatever it is handed. */
export function redactingLog(write: (line: string) => void = (l) => console.log(l)): Log {
  const redact = (text: string) => {
    const key = process.env.ORG_API_KEY;
    return key && key.length >= 8 ? text.split(key).join('[redacted]') : text;
  };
  const emit = (level: string, message: string, fields?: Record<string, unknown>) =>
    write(redact(JSON.stringify({ level, message, ...fields })));
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** The ports for one invocation, on the Forge platform (or the local Forge runtime). */
export function forgePorts(kind: InvocationKind, options: ForgePortsOptions = {}): Ports {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? redactingLog();
  const b = INVOCATION_BUDGETS[kind];
  const start = clock.now();
  // The platform's own count, where it gives one: the invocation may have started a while ago.
  const remaining = remainingMs(b.limitMs);
  const endsAt = start + Math.min(b.limitMs, remaining) - b.safetyMs;
  const org = createOrgDirectory({
    fetch: boundedRequest(clock, b.orgRequestMs, (signal, url: string, init: RequestInit) =>
      forgeFetch(url, { ...init, signal: linked(init.signal, signal) } as never) as unknown as Promise<Response>,
    ),
    baseUrl: 'https://api.atlassian.com',
    orgId: process.env.ORG_ID ?? '',
    // Read at call time from the encrypted Forge variable; it goes nowhere else.
    apiKey: process.env.ORG_API_KEY ?? '',
    clock,
    budgetMs: b.orgOperationMs,
    requestTimeoutMs: b.orgRequestMs,
    log: (line) => log.info(line),
    ...options.orgOptions,
  });
  const auditLog = createOrgAuditLog({
    fetch: boundedRequest(clock, b.orgRequestMs, (signal, url: string, init: RequestInit) =>
      forgeFetch(url, { ...init, signal: linked(init.signal, signal) } as never) as unknown as Promise<Response>,
    ),
    baseUrl: 'https://api.atlassian.com',
    orgId: process.env.ORG_ID ?? '',
    apiKey: process.env.ORG_API_KEY ?? '',
    clock,
  });
  const requestJira = asApp().requestJira;
  const jira = createJira(
    boundedRequest(clock, b.jiraRequestMs, (signal, path: Parameters<typeof requestJira>[0], init?: Parameters<typeof requestJira>[1]) =>
      requestJira(path, { ...init, signal: linked(init?.signal as AbortSignal | undefined, signal) } as never),
    ),
    (line) => log.info(line),
    { sleep: (ms) => clock.sleep(ms), maxAttempts: b.jiraAttempts, maxDelayMs: b.jiraMaxDelayMs },
    // `asUser()` without an account id: the user the platform authenticated for this invocation.
    asUser(),
  );
  const budget: InvocationBudget = {
    endsAt,
    orgOperationMs: b.orgOperationMs,
    leaseWaitMs: b.leaseWaitMs,
    tailMs: jiraCallMs(b) + STORAGE_MS,
    handOff: b.handOff,
  };
  return {
    org,
    jira,
    store: createKvsStore(() => clock.now()),
    queue: createQueue(),
    clock,
    log,
    bootstrapAdmins: (process.env.BOOTSTRAP_ADMINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    deadline: Math.min(start + b.inlineMs, endsAt),
    budget,
    orgId: process.env.ORG_ID ?? '',
    auditLog,
    evidence: createEvidenceStore(),
  };
}

/** The invocation's remaining time as Forge reports it (`fallback` where it does not). */
function remainingMs(fallback: number): number {
  try {
    const ms = getAppContext().invocationRemainingTimeInMillis();
    return Number.isFinite(ms) && ms > 0 ? ms : fallback;
  } catch {
    return fallback;
  }
}

/** Forge refuses `retryData` larger than 4 KB ("Async events limits"); the reason is only for the log. */
const RETRY_REASON_MAX_CHARS = 500;

/** Asks Forge to deliver the event again later (post-functions and queue consumers). */
export function retryLater(seconds: number, reason: string): InvocationError {
  const short = reason.length > RETRY_REASON_MAX_CHARS ? `${reason.slice(0, RETRY_REASON_MAX_CHARS)}…` : reason;
  return new InvocationError({
    retryAfter: Math.min(Math.max(Math.ceil(seconds), 1), 900),
    retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST,
    retryData: { reason: short },
  });
}

/** What a resolver function receives from the platform, as far as the handlers need it. */
export interface ResolverRequest {
  payload: unknown;
  /** Platform-provided: who is calling and from where. Never taken from the payload. */
  context: { accountId?: string; moduleKey?: string; extension?: { issue?: { key?: string; id?: string }; request?: { key?: string; typeId?: string } } };
}

type ResolverCtor = new () => {
  define(key: string, fn: (req: ResolverRequest) => unknown): unknown;
  getDefinitions(): (...args: never[]) => unknown;
};

/** `@forge/resolver`'s class: the bundler gives the default export, Node ESM the module object. */
function resolverClass(): ResolverCtor {
  const m = resolverModule as unknown as { default: ResolverCtor | { default: ResolverCtor } };
  const d = m.default;
  return (typeof d === 'function' ? d : d.default) as ResolverCtor;
}

/** Builds a Forge resolver handler from named functions. */
export function defineResolver(functions: Record<string, (req: ResolverRequest) => Promise<unknown>>) {
  const Resolver = resolverClass();
  const resolver = new Resolver();
  for (const [key, fn] of Object.entries(functions)) resolver.define(key, fn);
  return resolver.getDefinitions();
}
