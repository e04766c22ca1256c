/** Percentiles and timing helpers shared by the benchmarks (the same rules as core/benches/decide.rs). */
import os from 'node:os';

export interface Summary {
  n: number;
  median: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** Median, p99, min, max and mean of values (in whatever unit they are), rounded to 3 decimals. */
export function summarize(values: number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return {
    n: s.length,
    median: round3(percentile(s, 50)),
    p99: round3(percentile(s, 99)),
    min: round3(s[0] ?? 0),
    max: round3(s.at(-1) ?? 0),
    mean: round3(mean),
  };
}

/** Nanoseconds since an arbitrary origin, as a number. */
export const nowNs = (): number => Number(process.hrtime.bigint());

/**
 * Warms `run` up for `warmupMs`, then times `samples` calls one by one (ns each). `make` prepares
 * each call's input outside the timed region, in batches.
 */
export function measure<I, O>(warmupMs: number, samples: number, make: () => I, run: (input: I) => O, check?: (output: O) => void): number[] {
  const started = performance.now();
  while (performance.now() - started < warmupMs) check ? check(run(make())) : run(make());
  const out: number[] = [];
  const BATCH = 128;
  while (out.length < samples) {
    const batch = Array.from({ length: Math.min(BATCH, samples - out.length) }, make);
    for (const input of batch) {
      const t = nowNs();
      const output = run(input);
      out.push(nowNs() - t);
      check?.(output);
    }
  }
  return out;
}

/** Whole-process CPU and load context, for the record (the machine is shared). */
export function machine(): { cpus: number; model: string; loadAvg1m: number; node: string } {
  const cpus = os.cpus();
  return { cpus: cpus.length, model: cpus[0]?.model ?? '?', loadAvg1m: Math.round(os.loadavg()[0]! * 100) / 100, node: process.version };
}
