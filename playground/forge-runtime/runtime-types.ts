/**
 * The local Forge runtime's public shapes: its invocation limits and records, the `__forge_fetch__` target and
 * log, its options and its handle.
 */
import type { ConflictAnswer, EntityDefinition, KvsEmulator } from './kvs-emulator';
import type { InvocationKind, ModuleConfig } from './manifest';
import { QUEUE_LIMITS, type ConsumerHandler, type LocalQueue, type QueueFaults } from './queue';
import type { TimerClock } from './clock';
import type { EgressLogEntry } from './egress';
import type { ForgeMeter } from './meter';

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
  /** The request body: parsed JSON, or the text sent when it is not JSON (a multipart upload). */
  body?: unknown;
}

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
