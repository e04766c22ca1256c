/**
 * Clocks shared by the emulators, the KVS emulator (timestamps, TTL) and the async-events queue.
 *
 * - `realClock()`: wall time, timers on `setTimeout`.
 * - `scaledClock(factor)`: time runs `factor` times faster than the wall clock (playground demos).
 * - `VirtualClock`: time only moves when `advance(ms)` is called; due timers run in time order and
 *   `advance` waits for the work they start (including HTTP round trips) before moving on.
 *
 * Every clock tracks its timers so `close()` leaves nothing running.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Clock {
  /** Milliseconds since the epoch, in this clock's time. */
  now(): number;
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
}

export interface TimerClock extends Clock {
  readonly mode: 'real' | 'scaled' | 'virtual';
  /** Runs `fn` when this clock reaches `at` (absolute, ms). Returns a cancel function. */
  setTimer(at: number, fn: () => unknown): () => void;
  /** Resolves when no timer callback started by this clock is still running. */
  idle(): Promise<void>;
  /** Cancels every pending timer. */
  close(): void;
  /**
   * Work started outside this clock's timers (a test's click, a playground request) that time
   * must wait for, like a timer callback's: on a `VirtualClock`, `advance` does not move time
   * while it runs unless it is parked in `sleep()`. Other clocks ignore it.
   */
  track?(work: Promise<unknown>): void;
}

/** Set while a timer callback (and everything it starts) runs: its work is tracked already. */
const inTimerTask = new AsyncLocalStorage<true>();

interface Timer {
  seq: number;
  at: number;
  fn: () => unknown;
  cancelled: boolean;
}

/** Tracks promises returned by timer callbacks, so callers can wait for them. */
class InFlight {
  private readonly tasks = new Set<Promise<unknown>>();
  private waiters: Array<() => void> = [];

  run(fn: () => unknown, onError: (e: unknown) => void): void {
    let result: unknown;
    try {
      result = inTimerTask.run(true, fn);
    } catch (e) {
      onError(e);
      return;
    }
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      this.track(
        Promise.resolve(result as Promise<unknown>).then(
          () => undefined,
          (e) => onError(e),
        ),
      );
    }
  }

  track(work: Promise<unknown>): void {
    const p = work.then(
      () => undefined,
      () => undefined,
    );
    this.tasks.add(p);
    void p.finally(() => {
      this.tasks.delete(p);
      this.wake();
    });
  }

  get size(): number {
    return this.tasks.size;
  }

  /** Resolves on the next change (a task settling, or `wake()`). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async idle(): Promise<void> {
    while (this.tasks.size) await Promise.allSettled([...this.tasks]);
  }
}

const reportTimerError = (e: unknown): void => {
  // A timer callback that throws must not crash the process; the owner (queue, emulator)
  // records its own failures, so this only catches bugs in the harness itself.
  console.error('[clock] timer callback failed:', e);
};

/**
 * A clock whose time is `start + (wall time since creation) * factor`.
 * `factor = 1` with `start = Date.now()` is the real clock.
 */
export function scaledClock(factor = 1, start = Date.now()): TimerClock {
  if (!(factor > 0)) throw new RangeError('clock speed-up factor must be > 0');
  const realStart = performance.now();
  const handles = new Set<ReturnType<typeof setTimeout>>();
  const inflight = new InFlight();
  const now = () => start + (performance.now() - realStart) * factor;
  /** Calls `fn` once `now() >= at`; re-arms if the wall-clock timer fires a little early. */
  const at = (when: number, fn: () => void): (() => void) => {
    let h: ReturnType<typeof setTimeout>;
    const arm = () => {
      h = setTimeout(() => {
        handles.delete(h);
        if (now() < when) arm();
        else fn();
      }, Math.max(0, when - now()) / factor);
      handles.add(h);
    };
    arm();
    return () => {
      clearTimeout(h);
      handles.delete(h);
    };
  };
  return {
    mode: factor === 1 ? 'real' : 'scaled',
    now,
    sleep(ms: number) {
      return new Promise<void>((resolve) => void at(now() + Math.max(0, ms), resolve));
    },
    setTimer(when: number, fn: () => unknown) {
      return at(when, () => inflight.run(fn, reportTimerError));
    },
    idle: () => inflight.idle(),
    close() {
      for (const h of handles) clearTimeout(h);
      handles.clear();
    },
  };
}

export function realClock(): TimerClock {
  return scaledClock(1, Date.now());
}

/**
 * Virtual time. Nothing happens until `advance(ms)`; then every timer due up to the target time
 * runs in (time, registration) order, with `now()` equal to the timer's time. Before running the
 * next timer, `advance` waits for the promise each callback returned, unless that work is parked in
 * `sleep()` on this clock (then its wake-up timer runs in order with the others). Work that waits
 * on something else this clock controls (not `sleep`) can make `advance` wait forever.
 */
export class VirtualClock implements TimerClock {
  readonly mode = 'virtual' as const;
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];
  private readonly inflight = new InFlight();
  private advancing = false;
  private sleepers = 0;
  private settle: (() => Promise<void>) | null = null;

  constructor(start = Date.UTC(2026, 0, 1, 9, 0, 0)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.sleepers++;
      this.setTimer(this.t + Math.max(0, ms), () => {
        this.sleepers--;
        resolve();
      });
    });
  }

  setTimer(at: number, fn: () => unknown): () => void {
    const timer: Timer = { seq: this.seq++, at: Math.max(at, this.t), fn, cancelled: false };
    this.timers.push(timer);
    if (this.advancing) this.inflight.wake();
    return () => {
      timer.cancelled = true;
    };
  }

  /**
   * Work outside this clock that `advance` must also wait for before running the next timer, e.g.
   * requests an emulator is still holding (a `timeout` fault lands after its client gave up), so
   * their effects happen at a reproducible point in virtual time. Null removes it.
   */
  setSettle(settle: (() => Promise<void>) | null): void {
    this.settle = settle;
  }

  track(work: Promise<unknown>): void {
    // Inside a timer callback the callback's own promise covers it; counting it twice would make
    // `advance` wait for a task that is parked in `sleep()`.
    if (inTimerTask.getStore()) return;
    this.inflight.track(work);
    if (this.advancing) this.inflight.wake();
  }

  /** Timers not yet run (for assertions and debugging). */
  pendingTimers(): Array<{ at: number }> {
    return this.timers.filter((t) => !t.cancelled).map((t) => ({ at: t.at })).sort((a, b) => a.at - b.at);
  }

  private takeNext(limit: number): Timer | undefined {
    let best: Timer | undefined;
    this.timers = this.timers.filter((t) => !t.cancelled);
    for (const t of this.timers) {
      if (t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    if (best) this.timers.splice(this.timers.indexOf(best), 1);
    return best;
  }

  /** Moves time forward by `ms`, running everything due on the way. */
  async advance(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError('cannot move a clock backwards');
    await this.advanceTo(this.t + ms);
  }

  async advanceTo(target: number): Promise<void> {
    if (this.advancing) throw new Error('VirtualClock.advance is already running');
    if (target < this.t) throw new RangeError('cannot move a clock backwards');
    this.advancing = true;
    try {
      for (;;) {
        // Wait until the work already started is finished or parked on this clock (sleeping),
        // so `now()` does not jump under a callback that is still doing I/O.
        while (this.inflight.size > this.sleepers) await this.inflight.changed();
        if (this.settle) await this.settle();
        const next = this.takeNext(target);
        if (!next) break;
        this.t = Math.max(this.t, next.at);
        this.inflight.run(next.fn, reportTimerError);
        // Let synchronous continuations register their timers before looking again.
        await new Promise<void>((r) => setImmediate(r));
      }
      this.t = target;
    } finally {
      this.advancing = false;
    }
  }

  /**
   * Waits for `work` that a test awaits outside this clock's timers (a click, a policy save), moving
   * time to the next timer whenever everything the clock tracks is parked in `sleep()`. Without it,
   * work that backs off on this clock (an org call that timed out and is retried after 500 ms)
   * waits for an `advance` that the awaiting test never gets to make: the run hangs. Time moves
   * only as far as the sleeping work needs, so work that never sleeps sees no time pass at all.
   * Inside a timer callback, or while another `advance` runs, the caller's clock loop moves time.
   */
  async drive<T>(work: Promise<T>): Promise<T> {
    if (inTimerTask.getStore()) return work;
    let done = false;
    const settled = work.then(
      () => void (done = true),
      () => void (done = true),
    );
    while (!done) {
      await Promise.race([settled, new Promise<void>((r) => setTimeout(r, 2))]);
      if (done || this.advancing || this.sleepers === 0 || this.inflight.size > this.sleepers) continue;
      const next = this.pendingTimers()[0];
      if (next) await this.advanceTo(next.at);
    }
    return work;
  }

  /** Runs whatever is due now and waits for it. */
  flush(): Promise<void> {
    return this.advance(0);
  }

  idle(): Promise<void> {
    return this.inflight.idle();
  }

  close(): void {
    for (const t of this.timers) t.cancelled = true;
    this.timers = [];
  }
}

export type ClockOptions =
  | { mode: 'real' }
  | { mode: 'scaled'; factor: number; start?: number }
  | { mode: 'virtual'; start?: number };

export function createClock(options: ClockOptions = { mode: 'real' }): TimerClock {
  switch (options.mode) {
    case 'real':
      return realClock();
    case 'scaled':
      return scaledClock(options.factor, options.start);
    case 'virtual':
      return new VirtualClock(options.start);
  }
}
