/**
 * Local async-events queue for `@forge/events`.
 *
 * `Queue.push()` posts `{queueName, jobId, type, schema, payload: PushEvent[], time}` to
 * `/webhook/queue/publish/{contextAri}/{environmentId}/{appId}/{appVersion}` through
 * `__requestAtlassianAsApp` (`@forge/events` `out/queue.js`, `out/queries.js`); success is 201
 * (`out/validators.js`, `validatePushAPIResponse`). This queue records each event with its
 * `delayInSeconds` and delivers it to the registered consumer when the clock reaches its time,
 * as an `AsyncEvent` `{body, queueName, jobId, eventId, delayInSeconds?, concurrency?, retryContext?}`.
 *
 * Delivery is at least once. A consumer that throws, or returns an `InvocationError`
 * (`{_retry: true, retryOptions: {retryAfter, retryReason, retryData}}`, `out/invocationError.js`),
 * is retried (`retryAfter` seconds, capped at 900; thrown errors back off exponentially up to
 * 900 s) with `retryContext {retryCount, retryReason, retryData, retentionWindow}` until the 24 h
 * retention window ends. For reliability tests it can duplicate and reorder deliveries.
 *
 * Limits ("Async events limits", `@forge/events` validators): ≤ 50 events and ≤ 200 KB per push,
 * `delayInSeconds` 0..900, 500 events per minute per installation (429), an event pushed by a
 * consumer may start a chain at most 1,000 deep (405, `InvocationLimitReachedError`), each event
 * ≤ 100 KB when the queue's consumer runs longer than 55 s (413), and `retryData` ≤ 4 KB: a retry
 * asked for with more is refused and handled as a failed invocation (Guess: the page says only
 * that the size is enforced).
 */
import { randomUUID } from 'node:crypto';
import type { TimerClock } from './clock';
import type { AsyncEvent, ConsumerHandler, EventState, QueuedEvent, DeliveryRecord, QueueFaults, LocalQueueOptions } from './queue-types';
import { seededRandom } from '../emulators/org-admin/faults';

/** The org emulator's seeded PRNG (mulberry32), so fault injection is reproducible here too. */
export { seededRandom };
export type { AsyncEvent, ConsumerHandler, EventState, QueuedEvent, DeliveryRecord, QueueFaults, LocalQueueOptions } from './queue-types';

export const QUEUE_LIMITS = {
  eventsPerPush: 50,
  payloadKB: 200,
  /** One event's size when the consumer's function has `timeoutSeconds` above 55. */
  longRunningEventKB: 100,
  longRunningAboveSeconds: 55,
  maxDelaySeconds: 900,
  maxRetryAfterSeconds: 900,
  eventsPerMinute: 500,
  retentionMs: 24 * 3600 * 1000,
  retryDataBytes: 4 * 1024,
  cyclicDepth: 1000,
} as const;

/** Size of `retryData` as the platform stores it (JSON). */
export const retryDataBytes = (data: unknown): number => (data === undefined ? 0 : Buffer.byteLength(JSON.stringify(data) ?? '', 'utf8'));

interface Consumer {
  handler: ConsumerHandler;
  moduleKey: string;
  /** The consumer function's `timeoutSeconds` (undefined: the default 55 s). */
  timeoutSeconds?: number;
}

/** Raised by the runtime when an invocation runs past its time limit (retried as `FUNCTION_TIME_OUT`). */
export const isTimeout = (e: unknown) => (e as { name?: unknown } | null)?.name === 'FunctionTimeoutError';

type PublishResult = { status: number; body?: unknown };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class LocalQueue {
  private readonly clock: TimerClock;
  private readonly invoke: LocalQueueOptions['invoke'];
  private readonly random: () => number;
  private faults: QueueFaults;
  private readonly consumers = new Map<string, Consumer>();
  private readonly byId = new Map<string, QueuedEvent>();
  private readonly cancels = new Map<string, () => void>();
  private readonly running = new Map<string, number>(); // concurrency key → running count
  private readonly recentPushes: number[] = [];
  private forcedDuplicates = 0;
  private closed = false;
  /** Every delivery attempt, in order. */
  readonly deliveries: DeliveryRecord[] = [];

  constructor(options: LocalQueueOptions) {
    this.clock = options.clock;
    this.invoke = options.invoke;
    this.random = options.random ?? seededRandom(1);
    this.faults = { ...options.faults };
  }

  /** Registers the consumer function of a queue (manifest `consumer` module). */
  registerConsumer(queueName: string, handler: ConsumerHandler, options: { moduleKey?: string; timeoutSeconds?: number } = {}): void {
    this.consumers.set(queueName, { handler, moduleKey: options.moduleKey ?? `${queueName}-consumer`, timeoutSeconds: options.timeoutSeconds });
    // Deliver what arrived before the consumer existed.
    for (const e of this.byId.values()) {
      if (e.queueName === queueName && e.state === 'pending' && e.dueAt <= this.clock.now()) this.schedule(e, e.dueAt);
    }
  }

  setFaults(faults: QueueFaults): void {
    this.faults = { ...faults };
  }

  /** The next `n` deliveries are each made twice. */
  duplicateNextDeliveries(n = 1): void {
    this.forcedDuplicates += n;
  }

  events(filter: { queueName?: string; state?: EventState } = {}): QueuedEvent[] {
    return [...this.byId.values()]
      .filter((e) => (!filter.queueName || e.queueName === filter.queueName) && (!filter.state || e.state === filter.state))
      .map((e) => structuredClone(e));
  }

  /**
   * Handles `POST /webhook/queue/publish/...` (the request `@forge/events` `Queue.push` sends).
   * `depth`: the chain depth of the pushed events (the pushing consumer's event depth + 1).
   */
  publish(request: unknown, options: { depth?: number } = {}): PublishResult {
    if (!isObject(request) || typeof request.queueName !== 'string' || typeof request.jobId !== 'string' || !Array.isArray(request.payload)) {
      return { status: 400, body: { message: 'Invalid push request.' } };
    }
    const events = request.payload as unknown[];
    if (events.length === 0) return { status: 400, body: { message: 'No events pushed.' } };
    if (events.length > QUEUE_LIMITS.eventsPerPush) {
      return { status: 400, body: { message: `This push contains more than the ${QUEUE_LIMITS.eventsPerPush} events allowed.` } };
    }
    if (Buffer.byteLength(JSON.stringify(events)) / 1024 > QUEUE_LIMITS.payloadKB) {
      return { status: 413, body: { errorMessage: `The maximum payload size is ${QUEUE_LIMITS.payloadKB}KB.` } };
    }
    const depth = options.depth ?? 0;
    if (depth > QUEUE_LIMITS.cyclicDepth) {
      return { status: 405, body: { message: `An event resolver pushed events more than ${QUEUE_LIMITS.cyclicDepth} times in a cycle.` } };
    }
    const consumer = this.consumers.get(request.queueName);
    const longRunning = (consumer?.timeoutSeconds ?? 0) > QUEUE_LIMITS.longRunningAboveSeconds;
    for (const e of events) {
      if (!isObject(e) || !isObject(e.body)) return { status: 400, body: { message: 'Event body must be an object.' } };
      const d = e.delayInSeconds;
      if (d !== undefined && (typeof d !== 'number' || d < 0 || d > QUEUE_LIMITS.maxDelaySeconds)) {
        return { status: 400, body: { message: 'The delayInSeconds setting must be between 0 and 900.' } };
      }
      if (longRunning && Buffer.byteLength(JSON.stringify(e)) / 1024 > QUEUE_LIMITS.longRunningEventKB) {
        return { status: 413, body: { errorMessage: `The maximum size of one event for a long-running consumer is ${QUEUE_LIMITS.longRunningEventKB}KB.` } };
      }
    }
    const t = this.clock.now();
    while (this.recentPushes.length && this.recentPushes[0]! <= t - 60_000) this.recentPushes.shift();
    if (this.recentPushes.length + events.length > QUEUE_LIMITS.eventsPerMinute) {
      return { status: 429, body: { message: 'Too many requests.' } };
    }
    for (const raw of events as Array<Record<string, unknown>>) {
      this.recentPushes.push(t);
      const delay = typeof raw.delayInSeconds === 'number' ? raw.delayInSeconds : undefined;
      const e: QueuedEvent = {
        eventId: randomUUID(),
        jobId: request.jobId,
        queueName: request.queueName,
        body: structuredClone(raw.body as Record<string, unknown>),
        ...(delay !== undefined ? { delayInSeconds: delay } : {}),
        ...(isObject(raw.concurrency) ? { concurrency: structuredClone(raw.concurrency) as QueuedEvent['concurrency'] } : {}),
        enqueuedAt: t,
        dueAt: t + (delay ?? 0) * 1000,
        state: 'pending',
        attempts: 0,
        retryCount: 0,
        depth,
      };
      this.byId.set(e.eventId, e);
      this.schedule(e, e.dueAt);
    }
    return { status: 201, body: { jobId: request.jobId } };
  }

  /** Handles `/webhook/queue/stats/...`. */
  stats(request: unknown): PublishResult {
    const job = isObject(request) ? String(request.jobId) : '';
    const events = [...this.byId.values()].filter((e) => e.jobId === job);
    if (!events.length) return { status: 404, body: { message: 'Job not found.' } };
    return {
      status: 200,
      body: {
        success: events.filter((e) => e.state === 'succeeded').length,
        inProgress: events.filter((e) => e.state === 'pending' || e.state === 'running').length,
        failed: events.filter((e) => e.state === 'dropped').length,
      },
    };
  }

  /** Handles `/webhook/queue/cancel/...`. */
  cancel(request: unknown): PublishResult {
    const job = isObject(request) ? String(request.jobId) : '';
    const events = [...this.byId.values()].filter((e) => e.jobId === job);
    if (!events.length) return { status: 404, body: { message: 'Job not found.' } };
    for (const e of events) {
      if (e.state !== 'pending') continue;
      e.state = 'cancelled';
      this.cancels.get(e.eventId)?.();
      this.cancels.delete(e.eventId);
    }
    return { status: 204 };
  }

  private schedule(e: QueuedEvent, at: number): void {
    if (this.closed) return;
    const jitter = this.faults.reorderWindowMs ? Math.floor(this.random() * this.faults.reorderWindowMs) : 0;
    this.cancels.get(e.eventId)?.();
    this.cancels.set(
      e.eventId,
      this.clock.setTimer(at + jitter, () => this.deliver(e.eventId)),
    );
  }

  private async deliver(eventId: string): Promise<void> {
    const e = this.byId.get(eventId);
    if (!e || e.state !== 'pending' || this.closed) return;
    this.cancels.delete(eventId);
    const consumer = this.consumers.get(e.queueName);
    if (!consumer) return; // delivered when a consumer registers
    const key = e.concurrency?.key;
    if (key && (this.running.get(key) ?? 0) >= e.concurrency!.limit) {
      this.schedule(e, this.clock.now() + 1000);
      return;
    }
    let duplicate = false;
    if (this.forcedDuplicates > 0) {
      this.forcedDuplicates--;
      duplicate = true;
    } else if (this.faults.duplicateRate && this.random() < this.faults.duplicateRate) {
      duplicate = true;
    }
    e.state = 'running';
    if (key) this.running.set(key, (this.running.get(key) ?? 0) + 1);
    try {
      const outcome = await this.attempt(e, consumer, false);
      if (duplicate) await this.attempt(e, consumer, true);
      this.settle(e, outcome);
    } finally {
      if (key) this.running.set(key, (this.running.get(key) ?? 1) - 1);
    }
  }

  private async attempt(
    e: QueuedEvent,
    consumer: Consumer,
    duplicate: boolean,
  ): Promise<{ kind: 'ok' } | { kind: 'retry'; afterSeconds: number; reason: string; data: unknown } | { kind: 'error'; error: unknown; reason: string }> {
    const now = this.clock.now();
    const event: AsyncEvent = {
      body: structuredClone(e.body),
      queueName: e.queueName,
      jobId: e.jobId,
      eventId: e.eventId,
      ...(e.delayInSeconds !== undefined ? { delayInSeconds: e.delayInSeconds } : {}),
      ...(e.concurrency ? { concurrency: structuredClone(e.concurrency) } : {}),
      ...(e.retryCount > 0
        ? {
            retryContext: {
              retryCount: e.retryCount,
              retryReason: e.retryReason ?? 'FUNCTION_RETRY_REQUEST',
              retryData: e.retryData,
              retentionWindow: {
                startTime: new Date(e.enqueuedAt).toISOString(),
                remainingTimeMs: Math.max(0, e.enqueuedAt + QUEUE_LIMITS.retentionMs - now),
              },
            },
          }
        : {}),
    };
    if (!duplicate) e.attempts++;
    const record: DeliveryRecord = {
      eventId: e.eventId,
      jobId: e.jobId,
      queueName: e.queueName,
      at: now,
      attempt: e.attempts,
      duplicate,
      outcome: 'succeeded',
    };
    this.deliveries.push(record);
    try {
      const result = await this.invoke(consumer.handler, event, consumer.moduleKey, { depth: e.depth, timeoutSeconds: consumer.timeoutSeconds });
      if (isObject(result) && result._retry === true) {
        const opts = isObject(result.retryOptions) ? result.retryOptions : {};
        const size = retryDataBytes(opts.retryData);
        if (size > QUEUE_LIMITS.retryDataBytes) {
          record.outcome = 'failed';
          record.error = `RETRY_DATA_TOO_LARGE: retryData is ${size} bytes; at most ${QUEUE_LIMITS.retryDataBytes} are allowed`;
          return { kind: 'error', error: new Error(record.error), reason: 'FUNCTION_PLATFORM_UNKNOWN_ERROR' };
        }
        const requested = typeof opts.retryAfter === 'number' && opts.retryAfter > 0 ? opts.retryAfter : 1;
        const afterSeconds = Math.min(requested, QUEUE_LIMITS.maxRetryAfterSeconds);
        record.outcome = 'retry-requested';
        record.retryAfterSeconds = afterSeconds;
        return {
          kind: 'retry',
          afterSeconds,
          reason: typeof opts.retryReason === 'string' ? opts.retryReason : 'FUNCTION_RETRY_REQUEST',
          data: opts.retryData,
        };
      }
      return { kind: 'ok' };
    } catch (error) {
      record.outcome = 'failed';
      record.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { kind: 'error', error, reason: isTimeout(error) ? 'FUNCTION_TIME_OUT' : 'FUNCTION_ERROR' };
    }
  }

  private settle(e: QueuedEvent, outcome: Awaited<ReturnType<LocalQueue['attempt']>>): void {
    if (outcome.kind === 'ok') {
      e.state = 'succeeded';
      return;
    }
    const now = this.clock.now();
    let afterSeconds: number;
    if (outcome.kind === 'retry') {
      afterSeconds = outcome.afterSeconds;
      e.retryReason = outcome.reason;
      e.retryData = outcome.data;
    } else {
      // A failed invocation (error, timeout, refused retry): exponential backoff up to ~15 minutes.
      afterSeconds = Math.min(QUEUE_LIMITS.maxRetryAfterSeconds, 15 * 2 ** e.retryCount);
      e.retryReason = outcome.reason;
      e.retryData = undefined;
    }
    const at = now + afterSeconds * 1000;
    if (at > e.enqueuedAt + QUEUE_LIMITS.retentionMs) {
      e.state = 'dropped';
      this.deliveries.push({
        eventId: e.eventId,
        jobId: e.jobId,
        queueName: e.queueName,
        at: now,
        attempt: e.attempts,
        duplicate: false,
        outcome: 'dropped',
      });
      return;
    }
    e.retryCount++;
    e.state = 'pending';
    e.dueAt = at;
    this.schedule(e, at);
  }

  close(): void {
    this.closed = true;
    for (const c of this.cancels.values()) c();
    this.cancels.clear();
  }
}
