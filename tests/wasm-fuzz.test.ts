/**
 * Hostile input straight into the Wasm module's exports, as JavaScript hands it over: random
 * JSON-like values, valid inputs with one part replaced, JS values JSON cannot hold, and absurd
 * nesting. A panic or stack overflow in Wasm is a trap that kills the Forge invocation, so every
 * call must return an answer `{ok, ...}` (a refusal with a code) and never throw.
 * FUZZ_ITERATIONS=100000 runs it longer (the default keeps `npm test` quick).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { core } from '../forge-app/src/decision/core';
import { demoPolicy } from '../playground/local-app';
import { seededRandom } from '../playground/forge-runtime/queue';

const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 1500);

const rng = seededRandom;

const STRINGS = [
  '', 'now', 'org-admin', 'submit', 'approve', 'tick', 'alice', 'perm-1', '2026-06-01T09:00:00Z', '2027-02-29T00:00:00Z',
  '2026-03-29T02:30:00+01:00', '9999-12-31T23:59:59-12:00', '\u202e\u0000\ufffd', '\ud800', '💥'.repeat(50), 'x'.repeat(5000),
];
const KEYS = ['type', 'policy', 'grant', 'event', 'now', 'actor', 'accountId', 'targets', 'key', 'access', 'role', 'records', 'snapshot', 'viewer', 'action'];

function value(r: () => number, depth: number): unknown {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const k = Math.floor(r() * (depth > 3 ? 7 : 10));
  switch (k) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return pick([0, -1, 1.5, 2 ** 53 + 1, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER, 60, 1e-300]);
    case 3: return pick(STRINGS);
    case 4: return pick([undefined, Number.NaN, Number.POSITIVE_INFINITY, -0]);
    case 5: return `s${Math.floor(r() * 1000)}`;
    case 6: return Math.floor(r() * 500) - 100;
    case 7: return Array.from({ length: Math.floor(r() * 5) }, () => value(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 5); i > 0; i--) o[pick(KEYS)] = value(r, depth + 1);
      return o;
    }
  }
}

/** Replaces one randomly chosen node of a valid input with a random value. */
function graft(input: unknown, r: () => number): unknown {
  const copy = structuredClone(input) as Record<string, unknown>;
  let node: unknown = copy;
  for (;;) {
    const entries = node && typeof node === 'object' ? Object.keys(node as object) : [];
    if (entries.length === 0 || r() < 0.3) break;
    const key = entries[Math.floor(r() * entries.length)]!;
    const child = (node as Record<string, unknown>)[key];
    if (!child || typeof child !== 'object' || r() < 0.4) {
      (node as Record<string, unknown>)[key] = value(r, 3);
      return copy;
    }
    node = child;
  }
  return value(r, 0);
}

const policy = demoPolicy();
const VALID: Record<keyof typeof core, unknown> = {
  decide: {
    policy,
    now: '2026-06-01T09:00:00Z',
    actor: { accountId: 'alice', groupIds: [] },
    event: { type: 'submit', grantId: 'JIT-1', issueKey: 'JIT-1', target: 'org-admin', durationMinutes: 60, justification: 'rotate the SAML certificate' },
  },
  sweep: {
    policy,
    grants: [],
    now: '2026-06-01T09:00:00Z',
    snapshot: { complete: true, targets: [{ target: 'org-admin', complete: true, holders: ['perm-1', 'mallory'] }] },
  },
  explainHolders: {
    policy,
    now: '2026-06-01T09:00:00Z',
    snapshot: { complete: true, targets: [{ target: 'org-admin', complete: true, holders: ['perm-1', 'mallory'] }] },
  },
  view: { policy, viewer: { accountId: 'alice' }, now: '2026-06-01T09:00:00Z' },
  gate: { policy, now: '2026-06-01T09:00:00Z', statusCategory: 'done' },
  validatePolicy: { policy },
  verifyAudit: { records: [] },
  guardRevocation: {
    policy,
    action: { type: 'revoke', key: 'k', target: 'org-admin', access: { type: 'orgRole', role: 'atlassian/org-admin' }, accountId: 'alice', reason: 'expired', attempt: 1 },
    orgAdmins: { target: 'org-admin', complete: true, holders: ['perm-1', 'alice'] },
  },
  authorizeAdmin: { call: 'getPolicy', actor: 'perm-1', jiraAdmin: true, current: { policy, version: 1, updatedAt: '2026-06-01T09:00:00Z', updatedBy: 'perm-1' }, now: '2026-06-01T09:00:00Z' },
  policyChange: {
    command: { type: 'save', policy: { ...policy, driftMode: 'enforce' } },
    actor: 'perm-1',
    jiraAdmin: true,
    orgAdmins: { complete: true, holders: ['perm-1'] },
    current: { policy, version: 1, updatedAt: '2026-06-01T09:00:00Z', updatedBy: 'perm-1' },
    now: '2026-06-01T09:00:00Z',
  },
  judgeHealth: {
    now: '2026-06-01T09:00:00Z',
    key: { outcome: 'ok', orgIds: ['o'], configuredOrgId: 'o' },
    directory: { outcome: 'ok', count: 1 },
    roleEndpoints: { outcome: 'failed', error: { code: 'FORBIDDEN', message: 'no' } },
    queue: { push: 'ok' },
    sweep: { outcome: 'ok' },
  },
  version: undefined,
  // The contract example's input: an ended grant, its collection and three events.
  evidenceReport: JSON.parse(readFileSync(new URL('../core/contract/examples/29-evidence-report.input.json', import.meta.url), 'utf8')),
};

/** A short description of an input for a failure message (safe for cycles, BigInt and depth). */
function show(input: unknown): string {
  try {
    return (JSON.stringify(input) ?? String(input)).slice(0, 300);
  } catch {
    return Object.prototype.toString.call(input);
  }
}

function call(name: keyof typeof core, input: unknown): { ok?: unknown; error?: { code?: unknown; path?: unknown } } {
  let answer: unknown;
  try {
    answer = (core[name] as (i: unknown) => unknown)(input);
  } catch (error) {
    assert.fail(`${name} threw (a trap or an exception) on ${show(input)}: ${String(error)}`);
  }
  if (name === 'version') return {};
  assert.ok(answer && typeof answer === 'object', `${name} answered ${String(answer)}`);
  const a = answer as { ok?: unknown; error?: { code?: unknown; path?: unknown } };
  assert.equal(typeof a.ok, 'boolean', `${name} answered without an ok flag`);
  if (a.ok === false) assert.equal(typeof a.error?.code, 'string', `${name} refused without a code`);
  return a;
}

/** The input is refused as a whole: INVALID_INPUT at `input`. */
function refusedAtInput(name: keyof typeof core, input: unknown): void {
  const a = call(name, input);
  assert.equal(a.ok, false, `${name} accepted ${show(input)}`);
  assert.equal(a.error?.code, 'INVALID_INPUT', `${name}: ${show(a)}`);
  assert.equal(a.error?.path, 'input', `${name}: ${show(a)}`);
}

const ENTRY_POINTS = Object.keys(VALID).filter((n) => n !== 'version') as Array<keyof typeof core>;

test(`random values and grafted valid inputs never make a Wasm export throw or trap (${ITERATIONS} each)`, () => {
  const r = rng(20261126);
  for (const name of ENTRY_POINTS) {
    for (let i = 0; i < ITERATIONS; i++) call(name, i % 2 === 0 ? value(r, 0) : graft(VALID[name], r));
  }
});

test('JS values that JSON cannot hold are refused, not thrown', () => {
  const cyclic: Record<string, unknown> = { policy };
  cyclic.self = cyclic;
  const odd: unknown[] = [undefined, null, 42, 'decide', Symbol('x'), () => 1, 10n, new Date(0), new Map([['a', 1]]), new Uint8Array(4), cyclic, Object.create(null)];
  for (const name of ENTRY_POINTS) for (const input of odd) call(name, input);
  // A cycle and a BigInt make JSON.stringify throw: refused as a whole, with the reason.
  for (const name of ENTRY_POINTS) {
    refusedAtInput(name, cyclic);
    refusedAtInput(name, { ...(VALID[name] as object), count: 10n });
  }
});

test('absurdly deep nesting is refused, not a stack overflow', () => {
  for (const depth of [200, 5_000, 50_000]) {
    let deep: unknown = 1;
    for (let i = 0; i < depth; i++) deep = { policy: deep };
    let arrays: unknown = 1;
    for (let i = 0; i < depth; i++) arrays = [arrays];
    for (const name of ENTRY_POINTS) {
      refusedAtInput(name, deep);
      refusedAtInput(name, { ...(VALID[name] as object), extra: arrays });
    }
  }
});
