/**
 * The Forge wiring: builds the ports from `@forge/*` for one invocation, and adapts the handlers
 * to Forge's calling conventions (resolver definitions, `InvocationError` for retries).
 * The only place besides the individual adapters that imports `@forge/*`.
 */
import { asApp, asUser, fetch as forgeFetch } from '@forge/api';
import { InvocationError, InvocationErrorCode } from '@forge/events';
import * as resolverModule from '@forge/resolver';
import type { InvocationKind } from '../platform';
import type { Clock, Log, Ports } from '../ports';
import { systemClock } from './clock';
import { createJira } from './jira';
import { createOrgDirectory } from './orgAdmin';
import { createQueue } from './queue';
import { createKvsStore } from './storage';

/** Forge's limits per invocation kind, minus a margin for the final save. */
const BUDGET_MS: Record<InvocationKind, number> = {
  resolver: 18_000,
  postFunction: 18_000,
  consumer: 45_000,
  sweep: 240_000,
};

/** Time one org-API operation may take (retries and read-backs included). */
const ORG_BUDGET_MS: Record<InvocationKind, number> = {
  resolver: 12_000,
  postFunction: 12_000,
  consumer: 30_000,
  sweep: 30_000,
};

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
  const org = createOrgDirectory({
    fetch: (url, init) => forgeFetch(url, init as never) as unknown as Promise<Response>,
    baseUrl: 'https://api.atlassian.com',
    orgId: process.env.ORG_ID ?? '',
    // Read at call time from the encrypted Forge variable; it goes nowhere else.
    apiKey: process.env.ORG_API_KEY ?? '',
    clock,
    budgetMs: ORG_BUDGET_MS[kind],
    log: (line) => log.info(line),
    ...options.orgOptions,
  });
  // `asUser()` without an account id: the user the platform authenticated for this invocation.
  const jira = createJira(asApp().requestJira, (line) => log.info(line), { sleep: (ms) => clock.sleep(ms) }, asUser());
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
    deadline: clock.now() + BUDGET_MS[kind],
  };
}

/** Asks Forge to deliver the event again later (post-functions and queue consumers). */
export function retryLater(seconds: number, reason: string): InvocationError {
  return new InvocationError({
    retryAfter: Math.min(Math.max(Math.ceil(seconds), 1), 900),
    retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST,
    retryData: { reason },
  });
}

/** What a resolver function receives from the platform, as far as the handlers need it. */
export interface ResolverRequest {
  payload: unknown;
  /** Platform-provided: who is calling and from where. Never taken from the payload. */
  context: { accountId?: string; moduleKey?: string; extension?: { issue?: { key?: string; id?: string } } };
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
