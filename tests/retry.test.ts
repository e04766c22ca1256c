/** The one retry loop (`forge-app/src/shared/retry.ts`) every retrying handler and adapter uses. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Clock } from '../forge-app/src/ports';
import { again, conflictBackoff, done, exponential, retry } from '../forge-app/src/shared/retry';

/** Virtual time: `sleep` returns at once and moves the clock; every sleep is recorded. */
function virtualClock(start = 1_000) {
  let t = start;
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  };
  return { clock, sleeps };
}

/** An attempt that fails `failures` times, then answers `value`. */
function flaky<T>(failures: number, value: T, waitMs?: number) {
  const seen: number[] = [];
  return {
    seen,
    attempt: async (n: number) => {
      seen.push(n);
      return n > failures ? done(value) : again(waitMs);
    },
  };
}

test('retry: a first attempt that succeeds is the answer, with no wait', async () => {
  const { clock, sleeps } = virtualClock();
  const f = flaky(0, 'yes');
  assert.deepEqual(await retry(clock, { attempts: 5, delayMs: () => 100 }, f.attempt), { ok: true, value: 'yes', attempts: 1 });
  assert.deepEqual(f.seen, [1]);
  assert.deepEqual(sleeps, []);
});

test('retry: waits the policy delay for each failed attempt number, then answers the success', async () => {
  const { clock, sleeps } = virtualClock();
  const f = flaky(3, 42);
  const r = await retry(clock, { attempts: 5, delayMs: (n) => n * 10 }, f.attempt);
  assert.deepEqual(r, { ok: true, value: 42, attempts: 4 });
  assert.deepEqual(f.seen, [1, 2, 3, 4]);
  assert.deepEqual(sleeps, [10, 20, 30]);
});

test('retry: stops at the attempt cap without a wait after the last attempt', async () => {
  const { clock, sleeps } = virtualClock();
  const f = flaky(Infinity, 'never');
  const r = await retry(clock, { attempts: 3, delayMs: () => 7 }, f.attempt);
  assert.deepEqual(r, { ok: false, attempts: 3, stop: 'attempts', waitMs: 7 });
  assert.deepEqual(f.seen, [1, 2, 3]);
  assert.deepEqual(sleeps, [7, 7]);
});

test("retry: an attempt's own wait (Retry-After) replaces the policy delay, even 0 ms", async () => {
  const { clock, sleeps } = virtualClock();
  await retry(clock, { attempts: 3, delayMs: () => 500 }, flaky(2, 'ok', 3_000).attempt);
  assert.deepEqual(sleeps, [3_000, 3_000]);
  const zero = virtualClock();
  await retry(zero.clock, { attempts: 3 }, flaky(2, 'ok', 0).attempt);
  assert.deepEqual(zero.sleeps, [0, 0], 'a named wait yields to the clock even when it is 0 ms');
});

test('retry: without delays it retries at once and never sleeps on the clock', async () => {
  const clock: Clock = { now: () => 0, sleep: () => assert.fail('slept') };
  const r = await retry(clock, { attempts: 20 }, flaky(19, 'last').attempt);
  assert.deepEqual(r, { ok: true, value: 'last', attempts: 20 });
});

test('retry: a wait that would reach the deadline is not started, and the stop says which wait', async () => {
  const { clock, sleeps } = virtualClock(0);
  // Waits 100, 200, 400: after 300 ms the next (400) would end at 700 ≥ 650.
  const f = flaky(Infinity, 'never');
  const r = await retry(clock, { attempts: Infinity, delayMs: exponential(100, 10_000), deadline: 650 }, f.attempt);
  assert.deepEqual(r, { ok: false, attempts: 3, stop: 'deadline', waitMs: 400 });
  assert.deepEqual(sleeps, [100, 200]);
  assert.equal(clock.now(), 300);
  const exact = virtualClock(0);
  const atDeadline = await retry(exact.clock, { attempts: 5, delayMs: () => 50, deadline: 50 }, flaky(Infinity, 0).attempt);
  assert.equal(atDeadline.ok ? 'ok' : atDeadline.stop, 'deadline', 'a wait ending exactly at the deadline is not started');
  assert.deepEqual(exact.sleeps, []);
});

test('retry: a deadline already passed still allows the first attempt, and only it', async () => {
  const { clock } = virtualClock(1_000);
  const f = flaky(Infinity, 'x');
  const r = await retry(clock, { attempts: 10, delayMs: () => 1, deadline: 1_000 }, f.attempt);
  assert.deepEqual(f.seen, [1]);
  assert.equal(r.ok, false);
});

test('retry: an attempt that throws ends the retries with its error', async () => {
  const { clock } = virtualClock();
  let calls = 0;
  await assert.rejects(
    retry(clock, { attempts: 5, delayMs: () => 1 }, async () => {
      calls++;
      if (calls === 2) throw new Error('for good');
      return again();
    }),
    /for good/,
  );
  assert.equal(calls, 2);
});

test('retry: onRetry hears each attempt number and its wait before the wait starts', async () => {
  const { clock, sleeps } = virtualClock();
  const heard: Array<[number, number, number]> = [];
  await retry(clock, { attempts: 4, delayMs: (n) => n, onRetry: (n, wait) => heard.push([n, wait, sleeps.length]) }, flaky(2, 'ok').attempt);
  assert.deepEqual(heard, [
    [1, 1, 0],
    [2, 2, 1],
  ]);
});

test('exponential: doubles from the first delay up to the cap, then passes each step through the jitter', () => {
  const plain = exponential(500, 8_000);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 60].map(plain), [500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  const halved = exponential(40, 1_000, (ms) => ms / 2);
  assert.deepEqual([1, 5, 6].map(halved), [20, 320, 500]);
});

test('conflictBackoff: 40 ms doubling to 1 s, each wait within half and one and a half of its step', () => {
  for (let i = 0; i < 200; i++) {
    for (const [attempt, step] of [
      [1, 40],
      [4, 320],
      [6, 1_000],
      [16, 1_000],
    ] as const) {
      const ms = conflictBackoff(attempt);
      assert.ok(ms >= step * 0.5 && ms <= step * 1.5, `attempt ${attempt}: ${ms} ms`);
    }
  }
});
