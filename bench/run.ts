/**
 * `npm run bench` (scripts/bench.sh builds first, then runs this): every benchmark, one after
 * the other, then a table on stdout and the figures in bench/results.json. A full run also
 * rewrites the figures section of BENCHMARKS.md.
 *
 *   scripts/node22.sh bench/run.ts [--quick]
 *
 * These are benchmarks, not timed tests: a missed target is reported, never a failure. The run
 * fails only on a broken invariant (a refused decision, native and Wasm sweeps that disagree, a
 * revoke that never happens, access left over at the end).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { coldStart, type ColdStartReport } from './cold-start';
import { buildFixtures } from './fixtures';
import type { LatenessReport } from './lateness';
import { orgCalls, type OrgCallsReport } from './org-calls';
import { metering, type MeteringReport } from './metering';
import { machine, summarize, type Summary } from './stats';
import { wasmSize, type WasmSizeReport } from './wasm-size';

const quick = process.argv.includes('--quick');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'bench/out');
const node22 = path.join(root, 'scripts/node22.sh');
const started = performance.now();
const log = (line: string) => console.error(`bench: ${line}`);
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;

/** Runs a command, its stderr passed through; resolves with its stdout, rejects on a non-zero exit. */
function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, NODE_NO_WARNINGS: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let partial = '';
    const pass = (line: string) => {
      if (line.trim() && !/ExperimentalWarning|trace-warnings/.test(line)) console.error(`  ${line}`);
    };
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(pass);
    });
    child.stderr.on('end', () => pass(partial));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      code === 0 ? resolve(stdout) : reject(Object.assign(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}`), { signal })),
    );
  });
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/** The commit measured, and the files that differed from it (the working tree is shared). */
function sourceState(): { commit: string; uncommitted: string[] } {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  try {
    const uncommitted = git('status', '--porcelain', '--', 'core', 'forge-app/src', 'src', 'Cargo.lock', 'package-lock.json')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3));
    return { commit: git('rev-parse', '--short', 'HEAD'), uncommitted };
  } catch {
    return { commit: 'unknown', uncommitted: [] };
  }
}

// ---------------------------------------------------------------------------------------------
// The phases.

interface NativeReport {
  decide: { cases: Record<string, { typedUs: Summary; valueUs: Summary }>; headline: { typedUs: Summary; valueUs: Summary }; samplesPerCase: number };
  sweep: Record<string, { typedMs: Summary; valueMs: Summary; check: Record<string, unknown> }>;
}
interface WasmReport {
  initMs: number;
  calibration: { jsonParseApproveInputUs: number; approveInputBytes: number };
  boundary: { emptyCallUs: number; approveConversionInOnlyUs: number; approveFullUs: number; jsStringifyInputUs: number; jsParseAnswerUs: number; answerBytes: number };
  decide: { cases: Record<string, { us: Summary }>; headline: { us: Summary }; samplesPerCase: number };
  sweep: Record<string, { ms: Summary; check: Record<string, unknown> }>;
  /** V8 flags the step needed: `--no-turbofan` after Node 22.23.3 died in its deoptimizer (BENCHMARKS.md, "Also found"). */
  v8Flags: string[];
}

async function nativeBench(fixtures: string): Promise<NativeReport> {
  const file = path.join(out, 'native.json');
  const cargoBin = path.join(process.env.CARGO_HOME ?? path.join(os.homedir(), '.cargo'), 'bin');
  await run('cargo', ['bench', '--quiet', '-p', 'jit-admin-core', '--bench', 'decide', '--', ...(quick ? ['--quick'] : []), '--fixtures', fixtures, '--out', file], {
    env: { PATH: `${cargoBin}:${process.env.PATH}` },
  });
  return readJson(file);
}

async function wasmBench(fixtures: string): Promise<WasmReport> {
  const file = path.join(out, 'wasm.json');
  const step = (v8Flags: string[]) => run('bash', [node22, ...v8Flags, 'bench/wasm.ts', fixtures, file, ...(quick ? ['--quick'] : [])]);
  try {
    await step([]);
    return { ...readJson<Omit<WasmReport, 'v8Flags'>>(file), v8Flags: [] };
  } catch (error) {
    // A fatal V8 error ends the process by a signal; a refusal or a broken invariant exits with a code and stays a failure.
    if (!(error as { signal?: string | null }).signal) throw error;
    log(`the Wasm step died (${(error as Error).message}); V8's optimising compiler is known to crash on it: once more with --no-turbofan`);
    await step(['--no-turbofan']);
    return { ...readJson<Omit<WasmReport, 'v8Flags'>>(file), v8Flags: ['--no-turbofan'] };
  }
}

/** Names for the size breakdown: wasm-bindgen on cargo's output (fast), and in a full run also `wasm-opt -O -g` (the shipped code, names kept). */
async function namedModule(): Promise<{ file: string; optimised: boolean } | undefined> {
  const cargoWasm = path.join(root, 'target/wasm32-unknown-unknown/release/jit_admin_wasm.wasm');
  if (!existsSync(cargoWasm)) return undefined;
  const dir = path.join(out, 'named');
  mkdirSync(dir, { recursive: true });
  const hash = createHash('sha256').update(readFileSync(cargoWasm)).digest('hex');
  const stamp = path.join(dir, 'stamp');
  const bindgen = path.join(dir, 'jit_admin_wasm_bg.wasm');
  const optimised = path.join(dir, 'optimised.wasm');
  const fresh = existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash;
  if (!fresh || !existsSync(bindgen)) {
    const cargoBin = path.join(process.env.CARGO_HOME ?? path.join(os.homedir(), '.cargo'), 'bin');
    await run(path.join(cargoBin, 'wasm-bindgen'), [cargoWasm, '--target', 'web', '--out-dir', dir, '--out-name', 'jit_admin_wasm']);
    writeFileSync(stamp, `${hash}\n`);
  }
  if (quick) return existsSync(optimised) && fresh ? { file: optimised, optimised: true } : { file: bindgen, optimised: false };
  if (!fresh || !existsSync(optimised)) {
    // The flags wasm-pack passes by default (`-O`), plus -g to keep the names.
    const features = ['reference-types', 'bulk-memory', 'nontrapping-float-to-int', 'sign-ext', 'mutable-globals', 'multivalue'].map((x) => `--enable-${x}`);
    await run(path.join(root, 'node_modules/.bin/wasm-opt'), [bindgen, '-O', '-g', ...features, '-o', optimised]);
  }
  return { file: optimised, optimised: true };
}

interface LatenessRun {
  design: string;
  grants: number;
  shards: number;
  spanHours: number;
  reports: LatenessReport[];
}

/**
 * Every design over the same scenario, `grants` grants each, split into `shards` installations
 * (seeds 1..shards, so each design sees the same grants); all shards of all designs share one
 * pool of processes, as many at once as there are cores. Emulated time does not depend on how
 * busy the machine is, so running them side by side changes the wall time only.
 */
async function lateness(designs: Array<'app' | 'hourly'>, grants: number, shards: number, spanHours: number): Promise<LatenessRun[]> {
  const per = Math.ceil(grants / shards);
  const jobs = designs.flatMap((design) =>
    Array.from({ length: shards }, (_, s) => async () => {
      const file = path.join(out, `lateness-${design}-${s}.json`);
      await run('bash', [node22, 'bench/lateness.ts', design, String(Math.min(per, grants - s * per)), file, String(1 + s), String(spanHours)]);
      return readJson<LatenessReport>(file);
    }),
  );
  const reports = await pool(jobs);
  return designs.map((design, d) => ({ design, grants, shards, spanHours, reports: reports.slice(d * shards, (d + 1) * shards) }));
}

/** Runs jobs, as many at once as the machine has cores. */
async function pool<T>(jobs: Array<() => Promise<T>>, width = Math.max(1, os.cpus().length)): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]!();
      }
    }),
  );
  return results;
}

function mergeLateness(run: LatenessRun) {
  const raw = run.reports.flatMap((r) => r.raw);
  const s = (xs: Array<{ ms: number }>) => summarize(xs.map((x) => x.ms / 1000));
  const sum = (f: (r: LatenessReport) => number) => run.reports.reduce((n, r) => n + f(r), 0);
  const problems = run.reports.flatMap((r) => [...r.neverRevoked.map((g) => `never revoked: ${g}`), ...r.leftoverHolders.map((h) => `left holding: ${h}`)]);
  return {
    design: run.design,
    grants: raw.length,
    installations: run.shards,
    spanHours: run.spanHours,
    doneClicks: sum((r) => r.doneClicks),
    latenessS: s(raw),
    expiryLatenessS: s(raw.filter((x) => !x.done)),
    doneLatenessS: s(raw.filter((x) => x.done)),
    stillHeldAt: { '1s': sum((r) => r.stillHeldAt['1s']), '5min': sum((r) => r.stillHeldAt['5min']), '60min': sum((r) => r.stillHeldAt['60min']) },
    queueDeliveries: sum((r) => r.queueDeliveries),
    orgApiCalls: sum((r) => r.orgApiCalls),
    simulationCpuSeconds: Math.round(sum((r) => r.wallSeconds)),
    problems,
  };
}

// ---------------------------------------------------------------------------------------------
// Results.

const KB = 1000;
const TARGETS = {
  decideWasmMedianUs: { limit: 30, text: 'Wasm decide median ≤ 30 µs' },
  decideWasmToNativeRatio: { limit: 5, text: 'Wasm ≤ 5× native (median)' },
  sweep10kMs: { limit: 50, text: 'sweep of 10,000 grants through Wasm ≤ 50 ms' },
  coldStartMs: { limit: 15, text: 'cold start (require + first decision) ≤ 15 ms' },
  coreColdStartMs: { limit: 15, text: "the core's own cold start (decode, compile, instantiate, first decide) ≤ 15 ms" },
  wasmBytes: { limit: 250 * KB, text: '.wasm ≤ 250 KB (250,000 bytes)' },
  revokeLatenessWorstS: { limit: 1, text: 'worst revocation lateness ≤ 1 s (app design)' },
  kvsReadBytesPerIdleSweep: { limit: 5 * KB, text: 'an idle sweep reads ≤ 5 KB of storage, whatever the history (10,000 grants stored)' },
  monthlyFreeAllowanceUsedPct: { limit: 10, text: 'the 2,000-elevation organisation uses ≤ 10% of every free Forge allowance' },
} as const;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.slice(1).map(line)].join('\n');
}

const f = (x: number | null | undefined, digits = 1) => (x === null || x === undefined ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 }));

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  const loadBefore = os.loadavg()[0]!;
  // Read before anything is built or measured: the working tree is shared and may move during the run.
  const source = sourceState();
  log(`${quick ? 'quick' : 'full'} run; ${os.cpus().length} CPUs, load average ${loadBefore.toFixed(2)}`);

  // 1. The decision inputs, made by the real core.
  const fixtures = buildFixtures();
  const fixturesFile = path.join(out, 'fixtures.json');
  writeFileSync(fixturesFile, JSON.stringify(fixtures));

  // 2-3. Decide and sweep, native then Wasm (one after the other: they must not share the cores).
  log(`native decide and sweep (cargo bench) [${elapsed()}]`);
  const native = await nativeBench(fixturesFile);
  log(`Wasm decide and sweep from Node 22 [${elapsed()}]`);
  const wasm = await wasmBench(fixturesFile);
  const same = (a: Record<string, unknown> = {}, b: Record<string, unknown> = {}) =>
    Object.keys({ ...a, ...b }).every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
  const mismatches = Object.keys(wasm.sweep).filter((n) => !same(native.sweep[n]?.check, wasm.sweep[n]?.check));
  if (mismatches.length) throw new Error(`native and Wasm sweeps disagree for ${mismatches.join(', ')} grants: ${JSON.stringify(mismatches.map((n) => [native.sweep[n]?.check, wasm.sweep[n]?.check]))}`);

  // 4. Cold start of the real bundle (scripts/bench.sh made it).
  const bundle = path.join(out, 'bundle/index.cjs');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run the bench through scripts/bench.sh (npm run bench), which bundles first`);
  log(`cold start of ${path.relative(root, bundle)} in fresh processes [${elapsed()}]`);
  const cold: ColdStartReport = await coldStart(bundle, fixtures, quick ? 3 : 15, quick ? 2 : 5, statSync(bundle).size);

  // 5. Org-API calls per lifecycle.
  log(`org-API calls per lifecycle [${elapsed()}]`);
  const calls: OrgCallsReport = await orgCalls();

  // 5b. What Forge bills: per lifecycle, per idle day, per month (the local runtime's meter).
  log(`Forge consumption: lifecycles, idle days with 0, 100 and 10,000 grants stored, monthly bills [${elapsed()}]`);
  const meter: MeteringReport = await metering(quick);

  // 6. Revocation lateness on emulated time (and, alongside, the names for the size breakdown).
  const grants = quick ? 12 : 1000;
  const shards = quick ? 1 : 4;
  const span = quick ? 1 : 24;
  log(`revocation lateness: ${grants} grants per design over ${span} h, ${shards} installation(s) each, ${os.cpus().length} at a time [${elapsed()}]`);
  const named = namedModule();
  const [app, hourly] = (await lateness(['app', 'hourly'], grants, shards, span)).map(mergeLateness) as [ReturnType<typeof mergeLateness>, ReturnType<typeof mergeLateness>];
  const problems = [...app.problems.map((p) => `app: ${p}`), ...hourly.problems.map((p) => `hourly: ${p}`)];
  if (problems.length) throw new Error(`revocation: ${problems.length} broken invariant(s): ${problems.slice(0, 5).join('; ')}`);

  // 7. Size.
  const names = await named;
  const wasmFile = path.join(root, 'forge-app/generated/jit_admin_wasm/jit_admin_wasm_bg.wasm');
  const size: WasmSizeReport = wasmSize(wasmFile, names?.file);
  const rel = (file: string) => path.relative(root, file);
  size.file = rel(size.file);
  if (size.unoptimised) size.unoptimised.file = rel(size.unoptimised.file);
  if (names) names.file = rel(names.file);

  // Results.
  const nd = native.decide.headline;
  const wd = wasm.decide.headline;
  const orgAdminDone = calls.lifecycles.find((l) => l.target === 'org-admin' && l.ending === 'done')!;
  const sweepGrowth = [100, 1_000, 10_000, 100_000].map((n) => ({
    grants: n,
    nativeTypedMs: native.sweep[String(n)]?.typedMs.median ?? null,
    nativeValueMs: native.sweep[String(n)]?.valueMs.median ?? null,
    wasmMs: wasm.sweep[String(n)]?.ms.median ?? null,
  }));
  const results = {
    mode: quick ? 'quick' : 'full',
    generatedAt: new Date().toISOString(),
    decideNativeMedianUs: nd.typedUs.median,
    decideNativeP99Us: nd.typedUs.p99,
    decideNativeValueMedianUs: nd.valueUs.median,
    decideWasmMedianUs: wd.us.median,
    decideWasmP99Us: wd.us.p99,
    decideWasmToNativeRatio: Math.round((wd.us.median / nd.typedUs.median) * 10) / 10,
    decideWasmToNativeValueRatio: Math.round((wd.us.median / nd.valueUs.median) * 10) / 10,
    sweep10kMs: wasm.sweep['10000']!.ms.median,
    sweep10kNativeMs: native.sweep['10000']!.typedMs.median,
    sweepGrowth,
    coldStartMs: cold.coldStartMs.median,
    coldStartMaxMs: cold.coldStartMs.max,
    coreColdStartMs: cold.coreColdStartMs.median,
    coreColdStartMaxMs: cold.coreColdStartMs.max,
    wasmBytes: size.bytes,
    wasmGzipBytes: size.gzipBytes,
    bundleBytes: cold.bundleBytes,
    revokeLatenessWorstS: app.latenessS.max,
    revokeLatenessP99S: app.latenessS.p99,
    hourlySweepLatenessWorstS: hourly.latenessS.max,
    hourlySweepLatenessP99S: hourly.latenessS.p99,
    hourlySweepExpiryLatenessMedianS: hourly.expiryLatenessS.median,
    orgApiCallsPerLifecycle: orgAdminDone.total,
    orgApiCallsPerLifecycleByTarget: Object.fromEntries(calls.lifecycles.map((l) => [`${l.target}/${l.ending}`, l.total])),
    orgApiCallsPerSweep: { idle: calls.sweepIdle.calls, oneOrgAdminGrantActive: calls.sweepOneActive.calls },
    queueDeliveriesPerLifecycle: calls.queue.deliveries,
    queueDeliveriesPerLifecycleStale: calls.queue.stale,
    queueDeliveriesPerGrantInLatenessRun: Math.round((app.queueDeliveries / app.grants) * 10) / 10,
    forgeGbSecondsPerLifecycle: meter.perLifecycle.gbSeconds,
    kvsReadBytesPerIdleSweep: Math.round(Math.max(...meter.idle.map((d) => d.perSweep.kvsReadBytes))),
    kvsWriteBytesPerIdleSweep: Math.round(Math.max(...meter.idle.map((d) => d.perSweep.kvsWriteBytes))),
    monthlyFreeAllowanceUsedPct: Math.round(meter.months.find((m) => m.elevationsPerMonth === 2_000)!.bill.largestPct * 10) / 10,
    kvsReadBytesPerLifecycle: meter.perLifecycle.kvsReadBytes,
    forgeMonthly: meter.months.map((m) => ({ elevationsPerMonth: m.elevationsPerMonth, allowanceUsedPct: m.bill.allowanceUsedPct, overageUsd: m.bill.overageUsd.total })),
    targets: {} as Record<string, { target: string; value: number; met: boolean }>,
    source,
    machine: { ...machine(), loadAvg1mAtStart: Math.round(loadBefore * 100) / 100, loadAvg1mAtEnd: Math.round(os.loadavg()[0]! * 100) / 100 },
    calibration: wasm.calibration,
    wasmBoundary: wasm.boundary,
    wasmV8Flags: wasm.v8Flags,
    wallSeconds: 0,
    details: { native, wasm, coldStart: cold, orgCalls: calls, lateness: { app, hourly }, size, sizeNames: names ?? null, metering: meter },
  };
  for (const [key, t] of Object.entries(TARGETS)) {
    const value = results[key as keyof typeof TARGETS] as number;
    results.targets[key] = { target: t.text, value, met: value <= t.limit };
  }
  results.wallSeconds = Math.round((performance.now() - started) / 1000);
  const resultsFile = path.join(root, 'bench/results.json');
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(out, `results.${results.mode}.json`), `${JSON.stringify(results, null, 2)}\n`);

  const met = (k: keyof typeof TARGETS) => (results.targets[k]!.met ? 'met' : 'NOT met');
  const summaryTable = table([
    ['figure', 'value', 'target', ''],
    ['decide, native (median / p99)', `${f(results.decideNativeMedianUs)} / ${f(results.decideNativeP99Us)} µs`, '', ''],
    ['decide, native on JSON text (median)', `${f(results.decideNativeValueMedianUs)} µs`, '', ''],
    ['decide, Wasm from Node (median / p99)', `${f(results.decideWasmMedianUs)} / ${f(results.decideWasmP99Us)} µs`, '≤ 30 µs', met('decideWasmMedianUs')],
    ['Wasm / native (median)', `${f(results.decideWasmToNativeRatio)}× (${f(results.decideWasmToNativeValueRatio)}× vs JSON text)`, '≤ 5×', met('decideWasmToNativeRatio')],
    ['sweep, 10,000 grants, Wasm (median)', `${f(results.sweep10kMs)} ms (native ${f(results.sweep10kNativeMs)} ms)`, '≤ 50 ms', met('sweep10kMs')],
    ['cold start: require + first decision (median / max)', `${f(results.coldStartMs)} / ${f(results.coldStartMaxMs)} ms`, '≤ 15 ms', met('coldStartMs')],
    ["cold start, the core's own (median / max)", `${f(results.coreColdStartMs)} / ${f(results.coreColdStartMaxMs)} ms`, '≤ 15 ms', met('coreColdStartMs')],
    ['.wasm raw / gzip -9', `${f(results.wasmBytes / KB)} / ${f(results.wasmGzipBytes / KB)} KB`, '≤ 250 KB raw', met('wasmBytes')],
    ['revocation lateness, app (worst / p99)', `${f(results.revokeLatenessWorstS, 3)} / ${f(results.revokeLatenessP99S, 3)} s`, '≤ 1 s worst', met('revokeLatenessWorstS')],
    ['revocation lateness, hourly sweep (worst / p99)', `${f(results.hourlySweepLatenessWorstS, 0)} / ${f(results.hourlySweepLatenessP99S, 0)} s`, '', ''],
    ['org-API calls per org-admin lifecycle', `${results.orgApiCallsPerLifecycle}`, '', ''],
    ['queue deliveries per lifecycle (stale)', `${results.queueDeliveriesPerLifecycle} (${results.queueDeliveriesPerLifecycleStale})`, '', ''],
    ['Forge duration per lifecycle', `${f(results.forgeGbSecondsPerLifecycle, 2)} GB-s`, '', ''],
    ['storage read / written per idle sweep (10,000 grants stored)', `${f(results.kvsReadBytesPerIdleSweep, 0)} / ${f(results.kvsWriteBytesPerIdleSweep, 0)} bytes`, '≤ 5 KB read', met('kvsReadBytesPerIdleSweep')],
    ['largest share of a free allowance, 2,000 elevations a month', `${f(results.monthlyFreeAllowanceUsedPct)}%`, '≤ 10%', met('monthlyFreeAllowanceUsedPct')],
  ]);
  const growth = table([
    ['grants', 'native typed', 'native JSON text', 'Wasm from Node'],
    ...sweepGrowth.map((g) => {
      const ms = (x: number | null, digits: number) => (x === null ? '— (full run only)' : `${f(x, digits)} ms`);
      return [f(g.grants, 0), ms(g.nativeTypedMs, 2), ms(g.nativeValueMs, 1), ms(g.wasmMs, 1)];
    }),
  ]);
  const monthly = monthlyTable(meter);
  console.log(`\n${summaryTable}\n\nSweep growth (median):\n${growth}\n\nForge consumption per month:\n${monthly}\n`);
  console.log(`bench: ${results.mode} run in ${results.wallSeconds} s; figures in ${path.relative(root, resultsFile)}`);
  if (!quick) updateBenchmarksMd(summaryTable, `${growth}\n\nForge consumption per month (share of each free allowance; dollars over it):\n\n${monthly}`, results);
}

/** Per organisation size: each free allowance's share used, and the month's bill over the allowances. */
function monthlyTable(meter: MeteringReport): string {
  const pct = (x: number) => `${f(x, x < 1 ? 2 : 1)}%`;
  return table([
    ['elevations a month', 'duration (GB-s)', 'KVS reads', 'KVS writes', 'logs', 'over the free allowances'],
    ...meter.months.map((m) => [
      f(m.elevationsPerMonth, 0),
      `${f(m.bill.gbSeconds, 0)} (${pct(m.bill.allowanceUsedPct.duration)})`,
      `${f(m.bill.kvsReadGb * 1000, 1)} MB (${pct(m.bill.allowanceUsedPct.kvsReads)})`,
      `${f(m.bill.kvsWriteGb * 1000, 1)} MB (${pct(m.bill.allowanceUsedPct.kvsWrites)})`,
      `${f(m.bill.logGb * 1000, 1)} MB (${pct(m.bill.allowanceUsedPct.logs)})`,
      `$${m.bill.overageUsd.total.toFixed(2)}`,
    ]),
  ]);
}

/** Replaces the generated figures section of BENCHMARKS.md (between the markers). */
function updateBenchmarksMd(summaryTable: string, growth: string, results: { generatedAt: string; wallSeconds: number; wasmV8Flags: string[]; source: { commit: string; uncommitted: string[] }; machine: { loadAvg1mAtStart: number; loadAvg1mAtEnd: number; cpus: number; model: string; node: string } }): void {
  const file = path.join(root, 'BENCHMARKS.md');
  if (!existsSync(file)) return;
  const text = readFileSync(file, 'utf8');
  const start = '<!-- figures:start (written by `npm run bench`; edit outside the markers) -->';
  const end = '<!-- figures:end -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return;
  const m = results.machine;
  const body = [
    start,
    `Full run finished ${results.generatedAt.slice(0, 16).replace('T', ' ')} UTC on commit ${results.source.commit}${results.source.uncommitted.length ? ` (plus uncommitted changes to ${results.source.uncommitted.join(', ')})` : ''}, ${results.wallSeconds} s; ${m.cpus} × ${m.model}, Node ${m.node}${results.wasmV8Flags.length ? ` (the Wasm step with ${results.wasmV8Flags.join(' ')})` : ''}, load average ${m.loadAvg1mAtStart} at the start and ${m.loadAvg1mAtEnd} at the end.`,
    '',
    summaryTable,
    '',
    'Sweep growth (median):',
    '',
    growth,
    end,
  ].join('\n');
  writeFileSync(file, text.slice(0, i) + body + text.slice(j + end.length));
}

main().catch((error: unknown) => {
  console.error(`bench: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
