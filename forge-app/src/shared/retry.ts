/**
 * The one retry loop: every place that tries something again (a lost conditional write, a
 * throttled or failing API call, a busy lease) states its attempt cap, its delays and what counts
 * as worth another try, and leaves the counting, the waiting and the deadline to this.
 *
 * Waits are on the Clock it is given: the ports' clock where the wait is part of the invocation's
 * time (API back-off, lease waits), `wallClock` where it only spreads racing writers apart and must
 * not wait for a virtual clock to be moved on.
 */
import type { Clock } from '../ports';

/** What one attempt came to: a value, or another try (after `waitMs`, when the attempt knows it, e.g. `Retry-After`). */
export type Attempt<T> = { done: true; value: T } | { done: false; waitMs?: number };

/** The attempt succeeded (or failed for good): stop with `value`. */
export const done = <T>(value: T): Attempt<T> => ({ done: true, value });

/** The attempt is worth repeating; `waitMs` overrides the policy's delay. */
export const again = (waitMs?: number): Attempt<never> => (waitMs === undefined ? { done: false } : { done: false, waitMs });

export interface RetryPolicy {
  /** Attempts in all, the first included (`Infinity`: until the deadline). */
  attempts: number;
  /** The wait after failed attempt `attempt` (from 1), unless the attempt names one; absent: retry at once. */
  delayMs?: (attempt: number) => number;
  /** On the clock: a wait that would reach it is not started, so the caller can still finish in time. */
  deadline?: number;
  /** Told before each wait (a log line, say). */
  onRetry?: (attempt: number, waitMs: number) => void;
}

/** `attempts`: how many were made. A stop names what ended the tries, and the wait it did not start. */
export type Retried<T> = { ok: true; value: T; attempts: number } | { ok: false; attempts: number; stop: 'attempts' | 'deadline'; waitMs: number };

/** Runs `attempt` (given its number, from 1) until it is done, the attempts are used up, or the next wait would reach the deadline. */
export async function retry<T>(clock: Clock, policy: RetryPolicy, attempt: (n: number) => Promise<Attempt<T>>): Promise<Retried<T>> {
  for (let n = 1; ; n++) {
    const step = await attempt(n);
    if (step.done) return { ok: true, value: step.value, attempts: n };
    const waitMs = Math.max(0, step.waitMs ?? policy.delayMs?.(n) ?? 0);
    if (n >= policy.attempts) return { ok: false, attempts: n, stop: 'attempts', waitMs };
    if (policy.deadline !== undefined && clock.now() + waitMs >= policy.deadline) return { ok: false, attempts: n, stop: 'deadline', waitMs };
    policy.onRetry?.(n, waitMs);
    // A policy without delays retries at once; any other wait, even 0 ms, yields to the clock.
    if (step.waitMs !== undefined || policy.delayMs) await clock.sleep(waitMs);
  }
}

/**
 * Exponential back-off: `firstMs` after the first failure, doubled after each one, at most `maxMs`,
 * then passed through `jitter` (which spreads callers that failed together apart).
 */
export function exponential(firstMs: number, maxMs: number, jitter: (stepMs: number) => number = (ms) => ms): (attempt: number) => number {
  return (attempt) => jitter(Math.min(maxMs, firstMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30)));
}

/** Real time. For waits that only spread racing writers apart: a virtual clock would park them until it is moved on. */
export const wallClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/** Back-off between conflicting writes: 40 ms doubling to 1 s, each wait between half and one and a half of that, in real time. */
export const conflictBackoff = exponential(40, 1000, (ms) => ms * (0.5 + Math.random()));
