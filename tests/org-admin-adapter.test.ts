import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import * as orgAdmin from '../forge-app/src/adapters/orgAdmin';
import type { Access } from '../forge-app/src/decision/contract';
import { createOrgDirectory, type OrgAdminOptions } from '../forge-app/src/adapters/orgAdmin';
// From the namespace, so that on a build without them only the tests that use them fail.
const { parseAri, resourceForms, sameResource } = orgAdmin;
import { startOrgAdminEmulator, type FaultKind, type OrgAdminEmulator, type OrgAdminEmulatorOptions, type OrgSeed } from '../playground/emulators/org-admin/index';
import { recordingFetch, type RecordedCall } from './support/openapi';

const ORG_ADMIN = 'atlassian/org-admin';
const SITE = 'f0c1a2b3-0000-4000-8000-00000000c10d';
const SITE_ARI = `ari:cloud:platform::site/${SITE}`;
const JIRA_ARI = `ari:cloud:jira-software::site/${SITE}`;
const GROUP = 'a1a1a1a1-0000-4000-8000-000000000001';
const SCIM_GROUP = 'a1a1a1a1-0000-4000-8000-000000000002';
const LEGACY_ADMINS = 'a1a1a1a1-0000-4000-8000-000000000003';
const BIG_GROUP = 'a1a1a1a1-0000-4000-8000-000000000004';
const acct = (n: number) => `712020:acc-${String(n).padStart(2, '0')}`;

const ORG = { type: 'orgRole', role: ORG_ADMIN } as const satisfies Access;
const SITE_ADMIN: Access = { type: 'resourceRole', role: 'atlassian/site-admin', resource: SITE_ARI };
const JIRA_ADMIN: Access = { type: 'resourceRole', role: 'atlassian/admin', resource: JIRA_ARI };
const JIRA_GROUP: Access = { type: 'groupMembership', groupId: GROUP, groupName: 'jira-admins-test' };
const SCIM: Access = { type: 'groupMembership', groupId: SCIM_GROUP };

/**
 * acct(1): direct org admin. acct(6): org admin only through a legacy group (group_direct).
 * acct(4): direct site admin. Seven members in BIG_GROUP (three pages of three).
 */
function seed(): OrgSeed {
  return {
    users: Array.from({ length: 8 }, (_, i) => ({ accountId: acct(i + 1), name: `User ${String.fromCharCode(65 + i)}` })),
    sites: [{ cloudId: SITE, name: 'test', products: ['jira-software'] }],
    groups: [
      { id: GROUP, name: 'jira-admins-test', members: [] },
      { id: SCIM_GROUP, name: 'idp-admins', externalSynced: true, members: [acct(3)] },
      { id: LEGACY_ADMINS, name: 'org-admins', members: [acct(6)], roles: [{ role: ORG_ADMIN }] },
      { id: BIG_GROUP, name: 'big', members: [1, 2, 3, 4, 5, 6, 7].map(acct) },
    ],
    assignments: [
      { accountId: acct(1), role: ORG_ADMIN },
      { accountId: acct(4), role: 'atlassian/site-admin', resource: SITE_ARI },
    ],
  };
}

/** Virtual time: `sleep` returns at once and moves the clock; every sleep is recorded. */
function jumpClock() {
  let t = Date.UTC(2026, 0, 1, 9);
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}

interface Setup {
  emu: OrgAdminEmulator;
  clock: ReturnType<typeof jumpClock>;
  calls: RecordedCall[];
  lines: string[];
  dir: ReturnType<typeof createOrgDirectory>;
  make(overrides?: Partial<OrgAdminOptions>): ReturnType<typeof createOrgDirectory>;
}

async function setup(
  t: { after(fn: () => unknown): void },
  o: { emulator?: OrgAdminEmulatorOptions; adapter?: Partial<OrgAdminOptions>; wrap?: (f: OrgAdminOptions['fetch']) => OrgAdminOptions['fetch'] } = {},
): Promise<Setup> {
  const clock = jumpClock();
  const emu = await startOrgAdminEmulator({ seed: seed(), now: clock.now, ...o.emulator });
  t.after(() => emu.close());
  const rec = recordingFetch();
  const lines: string[] = [];
  const make = (overrides: Partial<OrgAdminOptions> = {}) =>
    createOrgDirectory({
      fetch: o.wrap ? o.wrap(rec.fetch) : rec.fetch,
      baseUrl: emu.url,
      orgId: emu.orgId,
      apiKey: emu.apiKey,
      clock,
      random: () => 0.5,
      requestTimeoutMs: 2_000,
      log: (l) => lines.push(l),
      ...o.adapter,
      ...overrides,
    });
  return { emu, clock, calls: rec.calls, lines, dir: make(), make };
}

const holds = (emu: OrgAdminEmulator, accountId: string, target: Access): boolean => {
  const h = emu.holders('truth');
  if (target.type === 'groupMembership') return !!h.groups.find((g) => g.groupId === target.groupId)?.members.includes(accountId);
  const resource = target.type === 'orgRole' ? emu.orgAri : target.resource;
  return h.direct.some((d) => d.accountId === accountId && d.role === target.role && d.resource === resource);
};

const TARGETS: Array<[string, Access]> = [
  ['org admin role', ORG],
  ['site admin role on a site', SITE_ADMIN],
  ['product admin role on Jira', JIRA_ADMIN],
  ['product admin group membership', JIRA_GROUP],
];

for (const [name, target] of TARGETS) {
  test(`lifecycle (${name}): assign costs 1 call (a group's directory is looked up once per invocation), holders lists the user, revoke costs 1 call + 1 read-back and removes it`, async (t) => {
    const s = await setup(t);
    const a = await s.dir.assign(target, acct(2));
    assert.deepEqual(a, { ok: true, detail: 'assigned' });
    assert.equal(s.calls.length, target.type === 'groupMembership' ? 2 : 1, s.calls.map((c) => `${c.method} ${c.url}`).join('\n'));
    if (target.type === 'groupMembership') assert.match(s.calls[0].url, /\/directories(\?|$)/);
    assert.ok(holds(s.emu, acct(2), target));

    const h = await s.dir.holders(target);
    assert.equal(h.complete, true, JSON.stringify(h.error));
    assert.ok(h.holders.includes(acct(2)));
    assert.equal(h.externallySynced, false);

    s.calls.length = 0;
    const r = await s.dir.revoke(target, acct(2));
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.match((r as { detail: string }).detail, /^revoked; verified by read-back 1/);
    assert.equal(s.calls.length, 2, s.calls.map((c) => `${c.method} ${c.url}`).join('\n'));
    assert.ok(!holds(s.emu, acct(2), target));
    assert.ok(!(await s.dir.holders(target)).holders.includes(acct(2)));
  });
}

test('idempotence: assigning what is already held and revoking what is not held both succeed', async (t) => {
  const s = await setup(t);
  assert.deepEqual(await s.dir.assign(JIRA_GROUP, acct(2)), { ok: true, detail: 'assigned' });
  assert.deepEqual(await s.dir.assign(JIRA_GROUP, acct(2)), { ok: true, detail: 'already a member' });
  assert.equal((await s.dir.assign(SITE_ADMIN, acct(4))).ok, true);
  assert.equal((await s.dir.revoke(JIRA_GROUP, acct(2))).ok, true);
  const again = await s.dir.revoke(JIRA_GROUP, acct(2));
  assert.equal(again.ok, true);
  assert.match((again as { detail: string }).detail, /^was not assigned/);
  const role = await s.dir.revoke(JIRA_ADMIN, acct(5));
  assert.equal(role.ok, true);
});

test('holders: only direct assignments count (group-granted and inferred roles are not holders) and every page is followed', async (t) => {
  const s = await setup(t);
  const org = await s.dir.holders(ORG);
  assert.equal(org.complete, true);
  assert.deepEqual(org.holders, [acct(1)]);
  assert.deepEqual(org.viaGroups, [{ groupId: LEGACY_ADMINS, groupName: 'org-admins', accountIds: [acct(6)] }]);
  // The group search, its one member page, the role search; acct(1) is direct by elimination, and
  // acct(6), a member of the group, gets one read to see whether it ALSO holds the role directly.
  assert.equal(s.calls.length, 4, s.calls.map((c) => `${c.method} ${c.url}`).join('\n'));

  s.calls.length = 0;
  const site = await s.dir.holders(SITE_ADMIN);
  assert.equal(site.complete, true);
  assert.deepEqual(site.holders, [acct(4)]);
  assert.deepEqual(site.viaGroups, []);
  // The group search, the role search (the org admins listed a moment ago are reused: they hold site
  // admin by inference), and one read each for those org admins.
  assert.equal(s.calls.length, 4, s.calls.map((c) => `${c.method} ${c.url}`).join('\n'));

  s.calls.length = 0;
  const big = await s.dir.holders({ type: 'groupMembership', groupId: BIG_GROUP });
  assert.deepEqual(big, { complete: true, holders: [1, 2, 3, 4, 5, 6, 7].map(acct).sort(), externallySynced: false });
  assert.equal(s.calls.filter((c) => c.url.endsWith('/users/search')).length, 3, 'three pages of three');
});

test('holders with `enough`: the read stops once the caller is satisfied and says it is partial; group members are confirmed by a read, never counted from the listing', async (t) => {
  const s = await setup(t);
  for (const n of [2, 3, 5, 7]) assert.equal((await s.dir.assign(ORG, acct(n))).ok, true);
  const reads = () => s.calls.filter((c) => c.url.includes('/role-assignments') && c.method === 'GET').length;

  // Page size 3: the first role-search page confirms three direct holders by elimination.
  s.calls.length = 0;
  const seen: string[][] = [];
  const early = await s.dir.holders(ORG, { confirmFirst: [acct(6)], enough: (c) => (seen.push([...c]), c.length >= 2) });
  assert.equal(early.complete, false);
  assert.ok(early.holders.length >= 2 && !early.holders.includes(acct(6)), JSON.stringify(early));
  assert.equal(seen.length, 1, 'asked once, after the first page');
  assert.equal(reads(), 0, 'no per-account read was needed');

  // acct(6) holds org admin only through a group: even when it is to be confirmed first and more
  // holders are wanted, it is read, and not counted.
  s.emu.seed({ groups: [{ id: LEGACY_ADMINS, name: 'org-admins', members: [acct(6), acct(7)], roles: [{ role: ORG_ADMIN }] }] });
  s.calls.length = 0;
  const withGroup = await s.dir.holders(ORG, { confirmFirst: [acct(6), acct(7)], enough: (c) => c.length >= 99 });
  assert.equal(withGroup.complete, true);
  assert.deepEqual(withGroup.holders, [1, 2, 3, 5, 7].map(acct));
  assert.equal(reads(), 2, 'the two group members, acct(7) also holding it directly');

  // Never satisfied: the full list, complete, exactly as without options.
  const full = await s.dir.holders(ORG, { confirmFirst: [acct(7)], enough: () => false });
  assert.deepEqual(full.holders, [1, 2, 3, 5, 7].map(acct));
  assert.deepEqual((await s.dir.holders(ORG)).holders, full.holders);
});

test('revoke: removing a direct org-admin role succeeds even when the user still holds it through a group, and says so', async (t) => {
  const s = await setup(t);
  s.emu.grant(acct(6), ORG);
  const r = await s.dir.revoke(ORG, acct(6));
  assert.equal(r.ok, true);
  assert.match((r as { detail: string }).detail, /still holds atlassian\/org-admin through group_direct/);
  assert.ok(!holds(s.emu, acct(6), ORG));
});

const FAULT_CASES: FaultKind[] = ['429', '500', '503', 'timeout', 'drop'];
for (const kind of FAULT_CASES) {
  test(`retries: a ${kind} on the write is retried for assign and revoke of every target type, ending in the right state`, async (t) => {
    // Only the timeout case needs a short (wall-clock) request timeout; the emulator holds that request longer.
    const timeout = kind === 'timeout';
    const s = await setup(t, { emulator: { faults: { retryAfterSeconds: 3, timeoutMs: 250 } }, adapter: timeout ? { requestTimeoutMs: 100 } : {} });
    // A timed-out first attempt still lands when its hold ends, so wait for the holds before checking.
    const settle = () => (timeout ? delay(300) : Promise.resolve());
    for (const [, target] of TARGETS) {
      s.emu.injectFaults(kind);
      const a = await s.dir.assign(target, acct(7));
      assert.equal(a.ok, true, `${kind} assign ${JSON.stringify(a)}`);
    }
    await settle();
    for (const [, target] of TARGETS) assert.ok(holds(s.emu, acct(7), target));
    for (const [, target] of TARGETS) {
      s.emu.injectFaults(kind);
      const r = await s.dir.revoke(target, acct(7));
      assert.equal(r.ok, true, `${kind} revoke ${JSON.stringify(r)}`);
    }
    await settle();
    for (const [, target] of TARGETS) assert.ok(!holds(s.emu, acct(7), target), `${kind}: revoked in the end`);
    assert.equal(s.emu.stats().faults[kind], 8);
    if (kind === '429') assert.deepEqual(s.clock.sleeps, Array(8).fill(3_000), 'waited Retry-After each time');
    else if (!timeout) assert.deepEqual(s.clock.sleeps, Array(8).fill(375), 'one back-off step (500 ms with jitter 0.5) each time');
    else {
      // A loaded machine can make a healthy retry miss the 100 ms limit too: then there is one more back-off step.
      assert.ok(s.clock.sleeps.length >= 8);
      assert.ok(s.clock.sleeps.every((ms) => [375, 750, 1_500].includes(ms)));
    }
  });
}

test('retries: a failure that outlasts maxAttempts returns a retryable error after exponential back-off', async (t) => {
  const s = await setup(t, { emulator: { faults: { rate: 1, kinds: ['500'] } } });
  const a = await s.dir.assign(SITE_ADMIN, acct(2));
  assert.deepEqual(a.ok ? null : { code: a.error.code, retryable: a.error.retryable }, { code: 'SERVER_ERROR', retryable: true });
  assert.equal(s.calls.length, 4);
  assert.deepEqual(s.clock.sleeps, [375, 750, 1_500]);
});

test('budget: a Retry-After beyond the budget returns RATE_LIMITED at once, with the wait to pass on', async (t) => {
  const s = await setup(t, { emulator: { faults: { rate: 1, kinds: ['429'], retryAfterSeconds: 60 } } });
  const a = await s.dir.assign(ORG, acct(2));
  assert.equal(a.ok, false);
  assert.deepEqual(!a.ok && { code: a.error.code, retryable: a.error.retryable, retryAfterMs: a.error.retryAfterMs }, {
    code: 'RATE_LIMITED',
    retryable: true,
    retryAfterMs: 60_000,
  });
  assert.equal(s.calls.length, 1);
  assert.deepEqual(s.clock.sleeps, []);
});

test('budget: back-off that would overrun the budget stops with BUDGET_EXHAUSTED instead of overrunning the invocation', async (t) => {
  const s = await setup(t, { emulator: { faults: { rate: 1, kinds: ['503'] } }, adapter: { budgetMs: 1_000, maxAttempts: 10, backoffBaseMs: 400 } });
  const started = s.clock.now();
  const a = await s.dir.assign(JIRA_GROUP, acct(2));
  assert.equal(!a.ok && a.error.code, 'BUDGET_EXHAUSTED');
  assert.equal(!a.ok && a.error.retryable, true);
  assert.ok(s.clock.now() - started <= 1_000);
  assert.deepEqual(s.clock.sleeps, [300, 600]);
  assert.equal(s.calls.length, 3);
});

test('timeouts and network errors: an unreachable API gives retryable TIMEOUT or NETWORK errors', async (t) => {
  const s = await setup(t, { emulator: { faults: { rate: 1, kinds: ['timeout'], timeoutMs: 200 } }, adapter: { requestTimeoutMs: 30, maxAttempts: 2 } });
  const a = await s.dir.assign(ORG, acct(2));
  assert.deepEqual(!a.ok && [a.error.code, a.error.retryable], ['TIMEOUT', true]);

  const dead = await startOrgAdminEmulator({ seed: seed() });
  const url = dead.url;
  await dead.close();
  const d = s.make({ baseUrl: url, maxAttempts: 2 });
  const n = await d.assign(ORG, acct(2));
  assert.deepEqual(!n.ok && [n.error.code, n.error.retryable], ['NETWORK', true]);
  await delay(250); // the held requests finish before the emulator closes
});

test('eventual consistency: revoke polls the read-back and reports UNVERIFIED (retryable) while reads still show the role', async (t) => {
  const s = await setup(t, { emulator: { consistencyDelayMs: 30_000 }, adapter: { verifyAttempts: 3, verifyIntervalMs: 2_000 } });
  s.emu.grant(acct(2), SITE_ADMIN);
  const r = await s.dir.revoke(SITE_ADMIN, acct(2));
  assert.equal(r.ok, false);
  assert.deepEqual(!r.ok && [r.error.code, r.error.retryable], ['UNVERIFIED', true]);
  assert.equal(s.calls.length, 4, '1 revoke + 3 read-backs');
  assert.deepEqual(s.clock.sleeps, [2_000, 2_000]);
  assert.ok(!holds(s.emu, acct(2), SITE_ADMIN), 'the revoke itself landed');
});

test('eventual consistency: with enough polling inside the budget the revoke is verified once reads catch up', async (t) => {
  const s = await setup(t, { emulator: { consistencyDelayMs: 30_000 }, adapter: { verifyAttempts: 4, verifyIntervalMs: 10_000, budgetMs: 45_000 } });
  s.emu.grant(acct(2), JIRA_GROUP);
  const r = await s.dir.revoke(JIRA_GROUP, acct(2));
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.match((r as { detail: string }).detail, /verified by read-back 4/);
  assert.equal(s.calls.length, 1 + 5, 'the directory lookup, the revoke, four read-backs');
});

test('eventual consistency: with the default 20 s budget polling stops early rather than overrun', async (t) => {
  const s = await setup(t, { emulator: { consistencyDelayMs: 30_000 }, adapter: { verifyAttempts: 10, verifyIntervalMs: 8_000 } });
  s.emu.grant(acct(2), ORG);
  const r = await s.dir.revoke(ORG, acct(2));
  assert.deepEqual(!r.ok && r.error.code, 'UNVERIFIED');
  assert.ok(s.clock.sleeps.reduce((a, b) => a + b, 0) < 20_000);
});

test('SCIM: assign and revoke on an identity-provider-synced group fail with non-retryable SCIM_SYNCED, and holders flags the group', async (t) => {
  const s = await setup(t);
  for (const outcome of [await s.dir.assign(SCIM, acct(2)), await s.dir.revoke(SCIM, acct(3))]) {
    assert.equal(outcome.ok, false);
    if (outcome.ok) continue;
    assert.equal(outcome.error.code, 'SCIM_SYNCED');
    assert.equal(outcome.error.retryable, false);
    assert.match(outcome.error.message, /managed by your identity provider/);
    assert.match(outcome.error.message, /idp-admins/);
  }
  assert.equal(s.calls.length, 1 + 4, 'the directory lookup once, then each: the refused write + one group read');
  assert.deepEqual(await s.dir.holders(SCIM), { complete: true, holders: [acct(3)], externallySynced: true });
});

test('refusals: removing the last org admin is a non-retryable FORBIDDEN that names the reason (one extra read shows the key is not the cause)', async (t) => {
  const s = await setup(t, { emulator: { seed: { ...seed(), groups: [] } } });
  const r = await s.dir.revoke(ORG, acct(1));
  assert.equal(!r.ok && r.error.code, 'FORBIDDEN');
  assert.equal(!r.ok && r.error.retryable, false);
  assert.match(!r.ok ? r.error.message : '', /last organization admin/);
  assert.equal(s.calls.length, 2, 'the refused revoke + one users/search proving the key has no scopes');
  assert.match(s.calls[1].url, /\/users\/search$/);
});

test('holders: a page that fails makes the snapshot incomplete, never a partial list presented as complete', async (t) => {
  let searches = 0;
  let emuRef: OrgAdminEmulator | undefined;
  const s = await setup(t, {
    adapter: { maxAttempts: 2 },
    wrap: (f) => async (url, init) => {
      if (url.endsWith('/users/search') && ++searches === 2) emuRef?.setFaults({ rate: 1, kinds: ['503'], routes: ['searchUsers'] });
      return f(url, init);
    },
  });
  emuRef = s.emu;
  const h = await s.dir.holders({ type: 'groupMembership', groupId: BIG_GROUP });
  assert.equal(h.complete, false);
  assert.equal(h.error?.code, 'SERVER_ERROR');
  assert.equal(h.error?.retryable, true);
  assert.ok(h.holders.length < 7);

  s.emu.setFaults({ rate: 1, kinds: ['500'], routes: ['getUserRoleAssignments'] });
  const r = await s.dir.holders(ORG);
  assert.equal(r.complete, false);
  assert.equal(r.error?.code, 'SERVER_ERROR');
});

test('not found and unauthorized: an unknown org, an unknown user and a wrong key are non-retryable errors', async (t) => {
  const s = await setup(t);
  const badOrg = s.make({ orgId: '00000000-0000-4000-8000-000000000000' });
  for (const o of [await badOrg.assign(ORG, acct(2)), await badOrg.revoke(SITE_ADMIN, acct(2)), await badOrg.revoke(JIRA_GROUP, acct(2))]) {
    assert.deepEqual(!o.ok && [o.error.code, o.error.retryable], ['NOT_FOUND', false]);
  }
  const ghost = await s.dir.revoke(ORG, '712020:ghost');
  assert.deepEqual(!ghost.ok && [ghost.error.code, ghost.error.retryable], ['NOT_FOUND', false]);
  const h = await badOrg.holders(JIRA_GROUP);
  assert.deepEqual([h.complete, h.error?.code], [false, 'NOT_FOUND']);

  const wrongKey = s.make({ apiKey: 'not-the-key' });
  const u = await wrongKey.assign(ORG, acct(2));
  assert.deepEqual(!u.ok && [u.error.code, u.error.retryable], ['UNAUTHORIZED', false]);
  assert.match(!u.ok ? u.error.message : '', /ORG_API_KEY/);
  const uh = await wrongKey.holders(ORG);
  assert.deepEqual([uh.complete, uh.error?.code], [false, 'UNAUTHORIZED']);
});

test('input checks: an empty account id or a role the adapter does not manage is BAD_REQUEST without any call', async (t) => {
  const s = await setup(t);
  assert.deepEqual(await s.dir.assign(ORG, ''), { ok: false, error: { code: 'BAD_REQUEST', message: 'assign: accountId is empty', retryable: false } });
  const bad = await s.dir.revoke({ type: 'resourceRole', role: 'atlassian/user' as 'atlassian/admin', resource: JIRA_ARI }, acct(2));
  assert.equal(!bad.ok && bad.error.code, 'BAD_REQUEST');
  assert.equal((await s.dir.holders({ type: 'groupMembership', groupId: '' })).error?.code, 'BAD_REQUEST');
  assert.equal(s.calls.length, 0);
});

test('conflicts: a 409 licence limit is a non-retryable CONFLICT, not "already a member"', async () => {
  const clock = jumpClock();
  const licence = async () =>
    new Response(JSON.stringify({ errors: [{ id: 'x', status: '409', code: 'ADMIN-409-3', title: 'License limit exceeded', detail: 'user limit reached' }] }), {
      status: 409,
      headers: { 'content-type': 'application/json' },
    });
  const dir = createOrgDirectory({ fetch: licence, baseUrl: 'https://api.example', orgId: 'o', apiKey: 'k3y-k3y', clock });
  for (const o of [await dir.assign(JIRA_GROUP, acct(2)), await dir.assign(JIRA_ADMIN, acct(2))]) {
    assert.deepEqual(!o.ok && [o.error.code, o.error.retryable], ['CONFLICT', false]);
  }
});

test('secrecy: the API key never appears in an outcome, an error or a log line, even when upstream bodies echo it', async (t) => {
  const s = await setup(t, { emulator: { leakyErrors: true, faults: { retryAfterSeconds: 1 } }, adapter: { maxAttempts: 2 } });
  const outcomes: unknown[] = [];
  s.emu.setFaults({ rate: 1, kinds: ['500'], retryAfterSeconds: 1 });
  outcomes.push(await s.dir.assign(ORG, acct(2)));
  s.emu.setFaults({ rate: 1, kinds: ['429'], retryAfterSeconds: 1 });
  outcomes.push(await s.dir.assign(ORG, acct(2)));
  s.emu.setFaults(null);
  outcomes.push(await s.dir.assign({ type: 'resourceRole', role: 'atlassian/site-admin', resource: JIRA_ARI }, acct(2)));
  outcomes.push(await s.dir.revoke(ORG, acct(1)));
  outcomes.push(await s.dir.revoke(ORG, acct(6)));
  outcomes.push(await s.dir.assign(SCIM, acct(2)));
  outcomes.push(await s.dir.revoke(ORG, '712020:ghost'));
  outcomes.push(await s.dir.holders({ type: 'groupMembership', groupId: 'nope' }));
  const wrongKey = 'sk-live-WRONG-0123456789abcdef';
  const w = s.make({ apiKey: wrongKey });
  outcomes.push(await w.assign(ORG, acct(2)), await w.holders(SITE_ADMIN));

  const echoed = JSON.stringify(s.calls.map((c) => c.responseBody));
  assert.ok(echoed.includes(s.emu.apiKey) && echoed.includes(wrongKey), 'the emulator did echo both keys');
  const out = JSON.stringify(outcomes) + s.lines.join('\n');
  assert.ok(s.lines.length > 10);
  for (const key of [s.emu.apiKey, wrongKey]) assert.ok(!out.includes(key), `key leaked: ${out.slice(out.indexOf(key) - 80, out.indexOf(key) + 40)}`);
  assert.ok(out.includes('[redacted]'));
});

// ---------------------------------------------------------------------------------------------
// Directories: `-` is for reads only; writes and their read-backs use the group's real directory.

const DIR_A = 'd0d0d0d0-0000-4000-8000-00000000000a';
const DIR_B = 'd0d0d0d0-0000-4000-8000-00000000000b';
const GROUP_B = 'a1a1a1a1-0000-4000-8000-0000000000b1';

test('directories: group grants, revokes and their read-backs name the group\'s own directory (looked up once per invocation), never `-`', async (t) => {
  const s = await setup(t, {
    emulator: {
      directories: [
        { id: DIR_A, name: 'Primary' },
        { id: DIR_B, name: 'Contractors' },
      ],
      seed: {
        ...seed(),
        users: [...(seed().users ?? []), { accountId: acct(9), name: 'User in B', directoryId: DIR_B }],
        groups: [...(seed().groups ?? []), { id: GROUP_B, name: 'contractor-admins', directoryId: DIR_B }],
      },
    },
  });
  const inB: Access = { type: 'groupMembership', groupId: GROUP_B, groupName: 'contractor-admins' };
  assert.deepEqual(await s.dir.assign(inB, acct(9)), { ok: true, detail: 'assigned' });
  assert.ok(holds(s.emu, acct(9), inB));
  const r = await s.dir.revoke(inB, acct(9));
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.ok(!holds(s.emu, acct(9), inB));
  assert.equal((await s.dir.assign(JIRA_GROUP, acct(2))).ok, true, 'a group of the other directory');

  const writes = s.calls.filter((c) => c.url.includes('/memberships'));
  assert.equal(writes.length, 3);
  assert.ok(writes.every((c) => !c.url.includes('/directories/-/')), writes.map((c) => c.url).join('\n'));
  assert.ok(writes[0].url.includes(`/directories/${DIR_B}/groups/${GROUP_B}/memberships`));
  assert.ok(writes[2].url.includes(`/directories/${DIR_A}/groups/${GROUP}/memberships`));
  const readBack = s.calls.find((c) => c.method === 'POST' && c.url.endsWith('/users/search'));
  assert.ok(readBack?.url.includes(`/directories/${DIR_B}/users/search`), 'the read-back asks the same directory');
  assert.equal(s.calls.filter((c) => /\/directories(\?|$)/.test(c.url)).length, 1, 'Get directories once for the invocation');
  assert.equal(s.calls.filter((c) => c.method === 'GET' && c.url.endsWith(`/groups/${GROUP_B}`)).length, 1, 'each group looked up once');
});

test('directories: with one directory the lookup costs one read per invocation, and a group no directory holds is NOT_FOUND without a write', async (t) => {
  const s = await setup(t);
  const ghost: Access = { type: 'groupMembership', groupId: 'no-such-group' };
  assert.equal((await s.dir.assign(JIRA_GROUP, acct(2))).ok, true);
  assert.equal((await s.dir.assign(JIRA_GROUP, acct(3))).ok, true);
  assert.equal(s.calls.length, 3, 'one directory read, then one write each');
  const g = await s.dir.assign(ghost, acct(2));
  assert.deepEqual(!g.ok && [g.error.code, g.error.retryable], ['NOT_FOUND', false]);
});

// ---------------------------------------------------------------------------------------------
// API keys: the user-management and role endpoints have no scopes, so only a key WITHOUT scopes works.

test('api key: a key with scopes gets API_KEY_SCOPED saying to create an API key without scopes under Settings > API keys; expired and revoked keys are UNAUTHORIZED', async (t) => {
  const scoped = 'scoped-key-0123456789abcdef';
  const s = await setup(t, { emulator: { apiKeys: [{ key: scoped, scopes: ['read:directories:admin', 'read:groups:admin', 'read:orgs:admin'] }] } });
  const d = s.make({ apiKey: scoped });
  for (const o of [await d.assign(ORG, acct(2)), await d.revoke(SITE_ADMIN, acct(4)), await d.assign(JIRA_GROUP, acct(2))]) {
    assert.equal(!o.ok && o.error.code, 'API_KEY_SCOPED', JSON.stringify(o));
    assert.equal(!o.ok && o.error.retryable, false);
    const m = !o.ok ? o.error.message : '';
    assert.match(m, /API key without scopes/);
    assert.match(m, /admin\.atlassian\.com/);
    assert.match(m, /Settings > API keys/);
    assert.match(m, /ORG_API_KEY/);
    assert.ok(!m.includes(scoped));
  }
  const h = await d.holders(ORG);
  assert.deepEqual([h.complete, h.error?.code], [false, 'API_KEY_SCOPED']);
  assert.ok(!holds(s.emu, acct(2), ORG), 'nothing changed');

  for (const status of ['expired', 'revoked'] as const) {
    const key = `${status}-key-0123456789abcdef`;
    s.emu.addApiKey(key, { status });
    const o = await s.make({ apiKey: key }).assign(ORG, acct(2));
    assert.deepEqual(!o.ok && [o.error.code, o.error.retryable], ['UNAUTHORIZED', false]);
    assert.match(!o.ok ? o.error.message : '', /expired/);
    assert.match(!o.ok ? o.error.message : '', /API key without scopes/);
  }
});

test('role endpoints not enabled: with a key without scopes, a 403 or 404 from a role endpoint names Atlassian Support as the likely cause', async (t) => {
  const s = await setup(t);
  s.emu.setContractFaults({ roleApi: 'forbidden' });
  for (const o of [await s.dir.assign(SITE_ADMIN, acct(2)), await s.dir.assign(ORG, acct(2))]) {
    assert.equal(!o.ok && o.error.code, 'FORBIDDEN', JSON.stringify(o));
    assert.match(!o.ok ? o.error.message : '', /Atlassian Support/);
    assert.match(!o.ok ? o.error.message : '', /without scopes/);
  }
  s.emu.setContractFaults({ roleApi: 'missing' });
  const o = await s.dir.assign(SITE_ADMIN, acct(2));
  assert.equal(!o.ok && o.error.code, 'ORG_API_CONTRACT_CHANGED', JSON.stringify(o));
  assert.match(!o.ok ? o.error.message : '', /`POST \/v1\/orgs\/\{orgId\}\/users\/\{userId\}\/roles\/assign`/);
  assert.match(!o.ok ? o.error.message : '', /Atlassian Support/);
  // Group memberships and reads are unaffected.
  assert.equal((await s.dir.assign(JIRA_GROUP, acct(2))).ok, true);
});

// ---------------------------------------------------------------------------------------------
// The org-admin role-assignments operations are x-experimental.

test('experimental role-assignments: removed (404) or changed (400), the grant fails for good and the revoke keeps retrying, both as ORG_API_CONTRACT_CHANGED naming the endpoint', async (t) => {
  const s = await setup(t);
  assert.equal((await s.dir.assign(ORG, acct(2))).ok, true);
  for (const fault of ['removed', 'changed'] as const) {
    s.emu.setContractFaults({ orgRoleAssignments: fault });
    const a = await s.dir.assign(ORG, acct(3));
    assert.deepEqual(!a.ok && [a.error.code, a.error.retryable], ['ORG_API_CONTRACT_CHANGED', false], JSON.stringify(a));
    assert.match(!a.ok ? a.error.message : '', /`POST \/v1\/orgs\/\{orgId\}\/users\/\{userId\}\/role-assignments\/assign`/);
    assert.match(!a.ok ? a.error.message : '', /x-experimental/);
    assert.match(!a.ok ? a.error.message : '', fault === 'removed' ? /removed/ : /changed/);
    const r = await s.dir.revoke(ORG, acct(2));
    assert.deepEqual(!r.ok && [r.error.code, r.error.retryable], ['ORG_API_CONTRACT_CHANGED', true], JSON.stringify(r));
    assert.match(!r.ok ? r.error.message : '', /role-assignments\/revoke/);
    assert.ok(holds(s.emu, acct(2), ORG), 'still held: nothing claims otherwise');
    // The site-admin role endpoints are not experimental and still work.
    assert.equal((await s.dir.assign(SITE_ADMIN, acct(3))).ok, true);
    assert.equal((await s.dir.revoke(SITE_ADMIN, acct(3))).ok, true);
  }
  // A documented 404 (unknown user) is still NOT_FOUND, not a contract change.
  s.emu.setContractFaults(null);
  const ghost = await s.dir.assign(ORG, '712020:ghost');
  assert.equal(!ghost.ok && ghost.error.code, 'NOT_FOUND');
});

// ---------------------------------------------------------------------------------------------
// Resource ARIs: compared by meaning; an unknown form is unknown, never "not held".

test('ARIs: sameResource compares the kind and id of a resource, keeps products apart, and says unknown for forms it cannot compare', () => {
  const id = SITE;
  for (const form of ['platform', 'jira', 'jira-core']) {
    assert.equal(sameResource('atlassian/site-admin', SITE_ARI, `ari:cloud:${form}::site/${id}`), 'same', form);
  }
  assert.equal(sameResource('atlassian/site-admin', SITE_ARI, 'ari:cloud:jira-core::site/other'), 'different');
  assert.equal(sameResource('atlassian/site-admin', SITE_ARI, 'ari:cloud:platform::org/x'), 'different');
  assert.equal(sameResource('atlassian/admin', JIRA_ARI, `ari:cloud:confluence::site/${id}`), 'different');
  assert.equal(sameResource('atlassian/admin', JIRA_ARI, `ari:cloud:jira::site/${id}`), 'unknown', 'Jira products were merged and renamed');
  assert.equal(sameResource('atlassian/site-admin', SITE_ARI, `ari:cloud:jira-core::site-v2/${id}`), 'unknown');
  assert.equal(sameResource('atlassian/site-admin', SITE_ARI, 'not an ari'), 'unknown');
  assert.deepEqual(parseAri(`ari:cloud:jira-core::site/${id}`), { owner: 'jira-core', type: 'site', id });
  assert.deepEqual(resourceForms('atlassian/site-admin', SITE_ARI), [
    SITE_ARI,
    `ari:cloud:jira::site/${id}`,
    `ari:cloud:jira-core::site/${id}`,
  ]);
});

test('ARIs: holders finds the site admins although the org names the site in another form than the policy', async (t) => {
  const s = await setup(t);
  for (const form of ['platform', 'jira', 'jira-core']) {
    const target: Access = { type: 'resourceRole', role: 'atlassian/site-admin', resource: `ari:cloud:${form}::site/${SITE}` };
    const h = await s.dir.holders(target);
    assert.equal(h.complete, true, form);
    assert.deepEqual(h.holders, [acct(4)], form);
  }
});

test('ARIs: a revoke whose read-back names the site in another form stays UNVERIFIED while the role is still visible, whatever form the policy uses', async (t) => {
  for (const form of ['platform', 'jira', 'jira-core']) {
    const s = await setup(t, { emulator: { consistencyDelayMs: 30_000 }, adapter: { verifyAttempts: 2, verifyIntervalMs: 1_000 } });
    const target: Access = { type: 'resourceRole', role: 'atlassian/site-admin', resource: `ari:cloud:${form}::site/${SITE}` };
    s.emu.grant(acct(2), target);
    const r = await s.dir.revoke(target, acct(2));
    assert.deepEqual(!r.ok && [r.error.code, r.error.retryable], ['UNVERIFIED', true], `${form}: ${JSON.stringify(r)}`);
    s.clock.sleeps.push(0);
  }
});

test('ARIs: a form the adapter does not recognise is unknown: the revoke stays UNVERIFIED and the holder read is incomplete, never "not held"', async (t) => {
  // The API starts answering role reads with a resource type the adapter has never seen.
  const rewrite = (text: string) => text.replaceAll(`::site/${SITE}`, `::site-v2/${SITE}`);
  const s = await setup(t, {
    adapter: { verifyAttempts: 2, verifyIntervalMs: 1_000 },
    wrap: (f) => async (url, init) => {
      const res = await f(url, init);
      if (!/\/role-assignments(\?|$)/.test(url) || init.method !== 'GET') return res;
      return new Response(rewrite(await res.text()), { status: res.status, headers: res.headers });
    },
  });
  s.emu.grant(acct(2), SITE_ADMIN);
  s.emu.setConsistencyDelay(30_000);
  const r = await s.dir.revoke(SITE_ADMIN, acct(2));
  assert.deepEqual(!r.ok && r.error.code, 'UNVERIFIED', JSON.stringify(r));
  assert.match(!r.ok ? r.error.message : '', /site-v2/);
  s.emu.setConsistencyDelay(0);
  // acct(1) is an org admin (a site admin by inference), so its read decides: unknown, so incomplete.
  const h = await s.dir.holders(SITE_ADMIN);
  assert.equal(h.complete, false);
  assert.equal(h.error?.code, 'UNVERIFIED');
  assert.match(h.error?.message ?? '', /possibly a holder/);
});

// ---------------------------------------------------------------------------------------------
// Access through a group's role.

test('groups: members of a group that holds site admin are listed in viaGroups with the group, not as direct holders', async (t) => {
  const SITE_GROUP = 'a1a1a1a1-0000-4000-8000-000000000005';
  const s = await setup(t, {
    emulator: { seed: { ...seed(), groups: [...(seed().groups ?? []), { id: SITE_GROUP, name: 'site-admins-test', members: [acct(5), acct(7)], roles: [{ role: 'atlassian/site-admin', resource: SITE_ARI }] }] } },
  });
  s.emu.grant(acct(7), SITE_ADMIN); // acct(7) also holds it directly
  const h = await s.dir.holders(SITE_ADMIN);
  assert.equal(h.complete, true, JSON.stringify(h.error));
  assert.deepEqual(h.holders, [acct(4), acct(7)]);
  assert.deepEqual(h.viaGroups, [{ groupId: SITE_GROUP, groupName: 'site-admins-test', accountIds: [acct(5), acct(7)] }]);
  // A group holding site admin on ANOTHER site is not listed.
  s.emu.seed({ sites: [{ cloudId: 'other-site', name: 'other' }], groups: [{ id: 'g-other', name: 'other-admins', members: [acct(8)], roles: [{ role: 'atlassian/site-admin', resource: 'ari:cloud:platform::site/other-site' }] }] });
  const again = await s.dir.holders(SITE_ADMIN);
  assert.deepEqual(again.viaGroups?.map((g) => g.groupId), [SITE_GROUP]);
});

// ---------------------------------------------------------------------------------------------
// Forge: 100 egress requests per invocation.

function bigOrg(admins: number, groupMembers: number): OrgSeed {
  const base = seed();
  const many = Array.from({ length: admins }, (_, i) => `712020:admin-${String(i).padStart(4, '0')}`);
  const members = Array.from({ length: groupMembers }, (_, i) => `712020:member-${String(i).padStart(4, '0')}`);
  return {
    ...base,
    users: [...(base.users ?? []), ...[...many, ...members].map((accountId) => ({ accountId }))],
    groups: [...(base.groups ?? []).filter((g) => g.id !== LEGACY_ADMINS), { id: LEGACY_ADMINS, name: 'org-admins', members, roles: [{ role: ORG_ADMIN }] }],
    assignments: [...(base.assignments ?? []), ...many.map((accountId) => ({ accountId, role: ORG_ADMIN }))],
  };
}

test('budget: 300 direct org admins and a 30-member org-admin group cost a handful of listing pages plus one read per group member, within the request budget', async (t) => {
  const s = await setup(t, { emulator: { pageSize: 100, seed: bigOrg(300, 30) } });
  const h = await s.dir.holders(ORG);
  assert.equal(h.complete, true, JSON.stringify(h.error));
  assert.equal(h.holders.length, 301);
  assert.equal(h.viaGroups?.[0].accountIds.length, 30);
  // Group search, one member page, four role-search pages (331 holders), 30 member reads.
  assert.equal(s.calls.length, 1 + 1 + 4 + 30);
  assert.ok(s.calls.length <= 80);
  assert.deepEqual(s.dir.requestUsage?.(), { used: 36, limit: 80 });
});

test('budget: maxAccountReads leaves the rest unread (the read stays complete) and the cursor visits every account in turn; running out of requests makes it incomplete', async (t) => {
  const s = await setup(t, { emulator: { pageSize: 100, seed: bigOrg(300, 30) } });
  const read = new Set<string>();
  let cursor: string | undefined;
  for (let run = 0; run < 3; run++) {
    const d = s.make(); // one adapter per invocation
    const before = s.calls.length;
    const h = await d.holders(ORG, { maxAccountReads: 10, ...(cursor ? { accountCursor: cursor } : {}) });
    assert.equal(h.complete, true);
    assert.equal(h.unread?.length, 20);
    const reads = s.calls.slice(before).filter((c) => c.url.includes('/role-assignments'));
    assert.equal(reads.length, 10);
    for (const c of reads) read.add(decodeURIComponent(c.url.split('/users/')[1].split('/')[0]));
    cursor = h.accountCursor;
  }
  assert.equal(read.size, 30, 'three invocations read every group member once');

  const small = s.make({ requestBudget: 12 });
  const site = await small.holders(SITE_ADMIN);
  assert.equal(site.complete, false);
  assert.equal(site.error?.code, 'BUDGET_EXHAUSTED');
  assert.equal(small.requestUsage?.().used, 12);
});

test('logs: one summary line per holder read and no line per healthy request', async (t) => {
  const s = await setup(t, { emulator: { pageSize: 100, seed: bigOrg(300, 30) } });
  await s.dir.holders(ORG);
  await s.dir.assign(SITE_ADMIN, acct(2));
  assert.equal(s.lines.length, 1, s.lines.join('\n'));
  assert.match(s.lines[0], /holders of role atlassian\/org-admin: 301 direct, 30 through 1 group\(s\); complete; 36 request\(s\)/);
  const noisy = s.make({ maxLogLines: 3 });
  s.emu.setFaults({ rate: 1, kinds: ['500'] });
  await noisy.assign(ORG, acct(2));
  s.emu.setFaults(null);
  assert.ok(s.lines.length <= 1 + 4, 'at most maxLogLines lines and one saying the rest are dropped');
  assert.match(s.lines.at(-1) ?? '', /log limit of 3 lines reached/);
});

test("Forge's egress limit: a 429 FETCH_LIMIT_EXCEEDED stops the operation at once (no retry) and every later request of the invocation", async (t) => {
  let sent = 0;
  const s = await setup(t, {
    wrap: () => async () => {
      sent++;
      return new Response('', { status: 429, statusText: 'Too Many Requests', headers: { 'forge-proxy-error': 'FETCH_LIMIT_EXCEEDED' } });
    },
  });
  const a = await s.dir.assign(ORG, acct(2));
  assert.deepEqual(!a.ok && [a.error.code, a.error.retryable], ['BUDGET_EXHAUSTED', true]);
  assert.match(!a.ok ? a.error.message : '', /FETCH_LIMIT_EXCEEDED/);
  assert.equal(sent, 1, 'one request, no retry after the egress limit');
  assert.deepEqual(s.clock.sleeps, [], 'no back-off either');
  const h = await s.dir.holders(ORG);
  assert.equal(h.error?.code, 'BUDGET_EXHAUSTED');
  assert.equal(sent, 1, 'nothing more is sent in this invocation');
});

test("timeouts from the caller's bound on a request (an abort, a named TimeoutError) are TIMEOUT, not NETWORK", async (t) => {
  for (const name of ['TimeoutError', 'AbortError']) {
    const s = await setup(t, {
      adapter: { maxAttempts: 1 },
      wrap: () => async () => {
        const e = new Error('no answer within 4000 ms');
        e.name = name;
        throw e;
      },
    });
    const a = await s.dir.assign(ORG, acct(2));
    assert.deepEqual(!a.ok && [a.error.code, a.error.retryable], ['TIMEOUT', true], name);
  }
});

test('health probes: key, directories, role endpoint, group, resource and org admin, each as the emulator answers them', async (t) => {
  const s = await setup(t);
  assert.deepEqual(await s.dir.probe!({ kind: 'key' }), { ok: true, orgIds: [s.emu.orgId] });
  const dirs = await s.dir.probe!({ kind: 'directories' });
  assert.ok(dirs.ok && dirs.count === 1);
  assert.deepEqual(await s.dir.probe!({ kind: 'roleEndpoint' }), { ok: true });
  assert.deepEqual(await s.dir.probe!({ kind: 'group', groupId: GROUP }), { ok: true, exists: true, externallySynced: false });
  assert.deepEqual(await s.dir.probe!({ kind: 'group', groupId: SCIM_GROUP }), { ok: true, exists: true, externallySynced: true });
  assert.deepEqual(await s.dir.probe!({ kind: 'group', groupId: 'a1a1a1a1-0000-4000-8000-0000000000ff' }), { ok: true, exists: false });
  assert.deepEqual(await s.dir.probe!({ kind: 'resource', role: 'atlassian/site-admin', resource: SITE_ARI }), { ok: true, exists: true });
  assert.deepEqual(await s.dir.probe!({ kind: 'resource', role: 'atlassian/site-admin', resource: 'ari:cloud:platform::site/00000000-0000-4000-8000-000000000000' }), { ok: true, exists: false });
  assert.deepEqual(await s.dir.probe!({ kind: 'orgAdmin', accountId: acct(1) }), { ok: true, holding: 'direct' });
  assert.deepEqual(await s.dir.probe!({ kind: 'orgAdmin', accountId: acct(3) }), { ok: true, holding: 'none' });
  assert.deepEqual(await s.dir.probe!({ kind: 'orgAdmin', accountId: acct(6) }), { ok: true, holding: 'indirect' });
  // The role-endpoint probe names only the impossible account, and changed nothing.
  const writes = s.calls.filter((c) => c.method === 'POST' && /role-assignments\/revoke$/.test(new URL(c.url).pathname));
  assert.ok(writes.length === 1 && writes[0]!.url.includes(encodeURIComponent(orgAdmin.PROBE_ACCOUNT_ID)) && writes[0]!.status === 404, JSON.stringify(writes));

  s.emu.addApiKey('scoped-key', { scopes: ['read:orgs:admin'] });
  const scoped = s.make({ apiKey: 'scoped-key' });
  const k = await scoped.probe!({ kind: 'key' });
  assert.equal(!k.ok && k.error.code, 'API_KEY_SCOPED');
  const wrong = s.make({ apiKey: 'not-a-key' });
  const w = await wrong.probe!({ kind: 'key' });
  assert.equal(!w.ok && w.error.code, 'UNAUTHORIZED');
  s.emu.setContractFaults({ roleApi: 'forbidden' });
  const r = await s.make().probe!({ kind: 'roleEndpoint' });
  assert.equal(!r.ok && r.error.code, 'FORBIDDEN');
  assert.match(!r.ok ? r.error.message : '', /Atlassian Support/);
});
