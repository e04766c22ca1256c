/**
 * The local queue's shapes: the event a consumer receives, the queue's record of each event and delivery, its
 * faults and options.
 */
import type { TimerClock } from './clock';

export interface AsyncEvent {
  body: Record<string, unknown>;
  queueName: string;
  jobId: string;
  eventId: string;
  delayInSeconds?: number;
  concurrency?: { key: string; limit: number };
  retryContext?: {
    retryCount: number;
    retryReason: string;
    retryData: unknown;
    retentionWindow?: { startTime: string; remainingTimeMs: number };
  };
}

export type ConsumerHandler = (event: AsyncEvent, context: Record<string, unknown>) => unknown;

export type EventState = 'pending' | 'running' | 'succeeded' | 'dropped' | 'cancelled';

export interface QueuedEvent {
  eventId: string;
  jobId: string;
  queueName: string;
  body: Record<string, unknown>;
  delayInSeconds?: number;
  concurrency?: { key: string; limit: number };
  enqueuedAt: number;
  dueAt: number;
  state: EventState;
  attempts: number;
  retryCount: number;
  retryReason?: string;
  retryData?: unknown;
  /** How many consumer invocations pushed the events this one descends from (0: pushed from elsewhere). */
  depth: number;
}

export interface DeliveryRecord {
  eventId: string;
  jobId: string;
  queueName: string;
  at: number;
  attempt: number;
  duplicate: boolean;
  outcome: 'succeeded' | 'retry-requested' | 'failed' | 'dropped';
  error?: string;
  retryAfterSeconds?: number;
}

export interface QueueFaults {
  /** Probability (0..1) that a delivery is made twice. */
  duplicateRate?: number;
  /** Maximum random extra delay (ms) added to each delivery, so events overtake each other. */
  reorderWindowMs?: number;
}

export interface LocalQueueOptions {
  clock: TimerClock;
  /** Runs a consumer inside an invocation context (set by the runtime). */
  invoke: (handler: ConsumerHandler, event: AsyncEvent, moduleKey: string, meta: { depth: number; timeoutSeconds?: number }) => Promise<unknown>;
  /** Deterministic randomness for fault injection. */
  random?: () => number;
  faults?: QueueFaults;
}
