/**
 * `decide` and `sweep` through the Wasm boundary, from Node 22, loaded the way the Forge app
 * loads it (forge-app/src/decision/core.ts: the inlined base64 bytes, `initSync`) and called
 * with plain objects. Run in its own process by bench/run.ts:
 *
 *   scripts/node22.sh bench/wasm.ts <fixtures.json> <out.json> [--quick]
 *
 * Same inputs, warm-up and sample counts as core/benches/decide.rs. Each call gets its own deep
 * copy of the input (made outside the timed region), as a handler passes freshly loaded objects.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { core } from '../forge-app/src/decision/core';
import type { Fixtures } from './fixtures';
import { measure, nowNs, summarize } from './stats';
import { sweepInput } from './sweep-inputs';

const [fixturesPath, outPath] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const quick = process.argv.includes('--quick');
if (!fixturesPath || !outPath) throw new Error('usage: bench/wasm.ts <fixtures.json> <out.json> [--quick]');
const fixtures = JSON.parse(readFileSync(fixturesPath, 'utf8')) as Fixtures;

// The first call pays for decoding and compiling the module (initSync); it is reported apart.
const t0 = nowNs();
core.version();
const initMs = (nowNs() - t0) / 1e6;

const [warmupMs, samples] = quick ? [100, 500] : [500, 5_000];

/** Machine speed, for readers comparing figures across machines: JSON.parse of the approve input (≈ 2 KB). */
const approveText = JSON.stringify(fixtures.cases.find((c) => c.name === 'approve')!.input);
const calibration = { jsonParseApproveInputUs: summarize(measure(warmupMs, samples, () => approveText, (t) => JSON.parse(t)).map((n) => n / 1e3)).median, approveInputBytes: approveText.length };
const toUs = (ns: number[]) => summarize(ns.map((n) => n / 1e3));
const cases: Record<string, { us: ReturnType<typeof summarize> }> = {};
const pooled: number[] = [];
for (const c of fixtures.cases) {
  const ns = measure(
    warmupMs,
    samples,
    () => structuredClone(c.input),
    (input) => core.decide(input),
    (answer) => {
      if (!answer.ok) throw new Error(`case ${c.name}: the Wasm core refused it: ${answer.error.code} ${answer.error.message}`);
    },
  );
  if (c.headline) pooled.push(...ns);
  cases[c.name] = { us: toUs(ns) };
}

/** The same sizes and sample rule as core/benches/decide.rs (`sweep_sizes`, `sweep_samples`). */
const sizes = quick ? [100, 1_000, 10_000] : [100, 1_000, 10_000, 100_000];
const sweepSamples = (firstMs: number) => {
  const [budget, min, max] = quick ? [1_000, 1, 200] : [8_000, 3, 2_000];
  return Math.floor(Math.min(max, Math.max(min, budget / Math.max(firstMs, 1e-3))));
};
/**
 * Where a Wasm decide's time goes, for the approve input: the same input with one unknown field
 * first (`AAA`), so the core refuses it at its first key: that call pays for handing the whole
 * input over as JSON text (`JSON.stringify`, UTF-8, one copy) and, for a refusal, `serde_json`
 * checking the whole text; an empty call (`{}`), the floor of any call; and the two JavaScript
 * steps every call pays outside the module, measured alone: `JSON.stringify` of the input and
 * `JSON.parse` of the answer text.
 */
const approveInput = fixtures.cases.find((c) => c.name === 'approve')!.input;
const boundaryUs = (make: () => unknown) =>
  summarize(measure(warmupMs, samples, make, (i) => core.decide(i as never)).map((n) => n / 1e3)).median;
const approveAnswerText = JSON.stringify(core.decide(structuredClone(approveInput)));
const boundary = {
  emptyCallUs: boundaryUs(() => ({})),
  approveConversionInOnlyUs: boundaryUs(() => ({ AAA: 1, ...structuredClone(approveInput) })),
  approveFullUs: cases['approve']!.us.median,
  jsStringifyInputUs: summarize(measure(warmupMs, samples, () => structuredClone(approveInput), (i) => JSON.stringify(i)).map((n) => n / 1e3)).median,
  jsParseAnswerUs: summarize(measure(warmupMs, samples, () => approveAnswerText, (t) => JSON.parse(t)).map((n) => n / 1e3)).median,
  answerBytes: approveAnswerText.length,
};

const sweeps: Record<string, { ms: ReturnType<typeof summarize>; check: Record<string, unknown> }> = {};
for (const n of sizes) {
  // One input object, reused: a deep copy of 100,000 grants per sample would dominate the run,
  // and the core only reads its input. The first call is the warm-up and sizes the sample count.
  const input = sweepInput(fixtures.sweep, n);
  const t = nowNs();
  const last = core.sweep(input);
  const count = sweepSamples((nowNs() - t) / 1e6);
  if (!last.ok) throw new Error(`sweep ${n}: refused: ${last.error.code}`);
  const ns = measure(0, count, () => input, (i) => core.sweep(i));
  sweeps[String(n)] = {
    ms: summarize(ns.map((x) => x / 1e6)),
    check: {
      due: last.due.length,
      findings: last.findings.length,
      actions: last.actions.length,
      revokes: last.actions.filter((a) => a.type === 'revoke').length,
      fingerprint: last.fingerprint,
    },
  };
  console.error(`wasm sweep ${String(n).padStart(6)}: median ${sweeps[String(n)]!.ms.median} ms (${count} samples)`);
}

writeFileSync(outPath, JSON.stringify({ quick, initMs, calibration, boundary, decide: { cases, headline: { us: toUs(pooled) }, samplesPerCase: samples, warmupMs }, sweep: sweeps }, null, 2));
console.error(`wasm decide (headline events pooled): median ${toUs(pooled).median} µs`);
