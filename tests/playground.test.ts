// The playground server (playground/server.ts) in-process, on a random port and a temp data dir: every scripting
// endpoint, bad input, the Custom UI serving with the bridge shim, the org API proxy, persistence across a
// restart, and reset.
//
// HTTP goes through `rawFetch`: while the local Forge runtime runs, the process's global fetch is under the
// app's egress allow-list (playground/forge-runtime/egress.ts) and would refuse 127.0.0.1.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { rawFetch } from '../playground/forge-runtime/index';
import { DEMO_API_KEY, DEMO_ORG_ID, startPlayground, type Playground } from '../playground/server';

const T0 = Date.UTC(2026, 5, 1, 9, 0, 0);
const tmp = mkdtempSync(join(tmpdir(), 'jit-playground-test-'));
const dataDir = join(tmp, 'data');
let pg: Playground;

type Answer = { ok: true; data: any } | { ok: false; error: { code: string; message: string } };

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const r = await rawFetch(`${pg.url}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: r.status, json, text, headers: r.headers };
}
const post = (path: string, body?: unknown) => call('POST', path, body);
const get = (path: string) => call('GET', path);

async function ok(path: string, body?: unknown, status = 200) {
  const r = body === undefined ? await get(path) : await post(path, body);
  assert.equal(r.status, status, `${body === undefined ? 'GET' : 'POST'} ${path}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  return r.json;
}

const invoke = async (as: string, issueKey: string, fn: string, payload: unknown = {}) => (await ok('/__playground/invoke', { as, issueKey, fn, payload })) as Answer;

function assertOk(a: Answer, what: string): asserts a is { ok: true; data: any } {
  assert.ok(a.ok, `${what}: refused ${!a.ok ? `${a.error.code}: ${a.error.message}` : ''}`);
}

before(async () => {
  pg = await startPlayground({ port: 0, dataDir, startAt: T0, log: () => undefined });
});

after(async () => {
  await pg?.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('serves the host page, the portal page, their assets, the bridge shim and the Custom UI with the shim injected', async () => {
  const page = await get('/');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.match(page.text, /data-testid="panel-frame"/);
  assert.equal((await get('/playground.js')).status, 200);
  assert.equal((await get('/playground.css')).status, 200);
  const shim = await get('/__playground/bridge-shim.js');
  assert.equal(shim.status, 200);
  assert.match(shim.text, /__bridge/);
  const portalPage = await get('/portal?as=alice&issue=JIT-1');
  assert.equal(portalPage.status, 200);
  assert.match(portalPage.text, /data-testid="portal-frame"/);
  assert.equal((await get('/portal.js')).status, 200);
  assert.equal((await get('/portal.css')).status, 200);
  for (const module of ['panel', 'admin', 'portal']) {
    const html = await get(`/__playground/ui/${module}/index.html?as=alice&module=${module}`);
    assert.equal(html.status, 200, `${module} index.html: ${html.text.slice(0, 200)}`);
    const shimAt = html.text.indexOf('<script src="/__playground/bridge-shim.js"></script>');
    const bundleAt = html.text.indexOf('<script src="main.js"></script>');
    assert.ok(shimAt >= 0 && bundleAt > shimAt, `${module}: the shim must come before the bundle:\n${html.text}`);
    assert.equal((await get(`/__playground/ui/${module}/main.js`)).status, 200);
  }
  assert.equal((await get('/__playground/ui/panel/../../../package.json')).status, 404);
  assert.equal((await get('/nothing-here')).status, 404);
  assert.equal((await call('DELETE', '/')).status, 405);
});

test('a fresh start has the demo data: policy, people, org, one example issue', async () => {
  const { issues } = await ok('/__playground/issues');
  assert.deepEqual(issues.map((i: any) => [i.key, i.reporter]), [['JIT-1', 'alice']]);
  const policy = (await ok('/__playground/invoke', { as: 'perm-1', module: 'admin', fn: 'getPolicy' })) as Answer;
  assertOk(policy, 'getPolicy');
  assert.deepEqual(policy.data.policy.permanentAdmins, ['perm-1', 'perm-2', 'perm-3']);
  assert.deepEqual(policy.data.policy.targets.map((t: any) => [t.key, t.maxDurationMinutes]), [
    ['org-admin', 240],
    ['site-admin', 480],
    ['jira-admins', 480],
  ]);
  assert.equal(policy.data.policy.driftMode, 'report');
  const state = await ok('/__playground/state');
  assert.deepEqual([...state.holders.orgAdmins].sort(), ['perm-1', 'perm-2', 'perm-3']);
  assert.ok(Math.abs(state.nowMs - T0) < 60_000, `the clock starts at startAt (now ${state.now})`);
});

test('POST /__playground/issues creates a request issue and rejects bad bodies with 400', async () => {
  const created = await ok('/__playground/issues', { summary: 'Site admin to fix an app install', reporter: 'erin' }, 201);
  assert.equal(created.key, 'JIT-2');

  const bad: Array<[unknown, RegExp]> = [
    ['{not json', /not valid JSON/],
    ['', /empty/],
    ['[1,2]', /JSON object/],
    ['null', /JSON object/],
    [{ reporter: 'alice' }, /`summary` is required/],
    [{ summary: 'x', reporter: 'zed' }, /unknown reporter `zed`/],
    [{ summary: 42, reporter: 'alice' }, /`summary` must be a string/],
    [{ summary: 'x'.repeat(300), reporter: 'alice' }, /1 to 255/],
  ];
  for (const [body, message] of bad) {
    const r = await post('/__playground/issues', body);
    assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${r.text}`);
    assert.equal(r.json.error.code, 'BAD_REQUEST');
    assert.match(r.json.error.message, message);
  }
});

test('POST /__playground/invoke answers exactly what the panel gets, refusals included', async () => {
  const submitted = await invoke('alice', 'JIT-1', 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'rotate the SAML certificate' });
  assertOk(submitted, 'submit');
  assert.equal(submitted.data.view.grant.state, 'awaiting approval');

  const self = await invoke('alice', 'JIT-1', 'approve');
  assert.equal(self.ok, false);
  assert.equal(!self.ok && self.error.code, 'SELF_APPROVAL');

  // The bridge endpoint the shim uses gives the same answer for the same caller.
  const viaInvoke = await invoke('bob', 'JIT-1', 'getView');
  const viaBridge = (await ok('/__playground/bridge/invoke', {
    functionKey: 'getView',
    payload: {},
    context: { accountId: 'bob', module: 'panel', moduleKey: 'jit-admin-panel', issueKey: 'JIT-1' },
  })) as Answer;
  assertOk(viaInvoke, 'getView');
  assertOk(viaBridge, 'bridge getView');
  assert.deepEqual(viaBridge.data.view.actions, viaInvoke.data.view.actions);
  assert.deepEqual(viaBridge.data.view.grant.grant, viaInvoke.data.view.grant.grant);
  assert.deepEqual(viaBridge.data.timeline, viaInvoke.data.timeline);
  assert.ok(viaInvoke.data.view.actions.some((a: any) => a.action === 'approve' && a.allowed), 'bob may approve');

  const approved = await invoke('bob', 'JIT-1', 'approve');
  assertOk(approved, 'approve');
  assert.equal(approved.data.view.grant.state, 'approved');

  // Admin functions, through invoke and through the bridge.
  const audit = (await ok('/__playground/invoke', { as: 'perm-1', module: 'admin', fn: 'getAudit', payload: { limit: 5 } })) as Answer;
  assertOk(audit, 'getAudit');
  assert.equal(audit.data.verification.valid, true);
  const grants = (await ok('/__playground/bridge/invoke', { functionKey: 'listGrants', payload: { scope: 'all' }, context: { accountId: 'perm-1', module: 'admin' } })) as Answer;
  assertOk(grants, 'listGrants');
  assert.deepEqual(grants.data.grants.map((g: any) => g.issueKey), ['JIT-1'], 'one grant, on JIT-1 (its id is the issue id)');

  // Without an account, the resolver itself refuses (the platform would never call it so).
  const anonymous = (await ok('/__playground/bridge/invoke', { functionKey: 'getView', context: { module: 'panel', issueKey: 'JIT-1' } })) as Answer;
  assert.equal(!anonymous.ok && anonymous.error.code, 'NOT_SIGNED_IN');

  const bad: Array<[string, unknown, number, RegExp]> = [
    ['/__playground/invoke', { issueKey: 'JIT-1', fn: 'getView' }, 400, /`as` is required/],
    ['/__playground/invoke', { as: 'alice', fn: 'getView' }, 400, /`issueKey` is required/],
    ['/__playground/invoke', { as: 'alice', issueKey: 'JIT-1', fn: 'selfDestruct' }, 400, /not a panel function/],
    ['/__playground/invoke', { as: 'alice', issueKey: 'JIT-1', fn: 'savePolicy' }, 400, /not a panel function/],
    ['/__playground/invoke', { as: 'alice', module: 'admin', fn: 'approve' }, 400, /not a admin function/],
    ['/__playground/invoke', { as: 'alice', module: 'dashboard', fn: 'getView' }, 400, /`module`/],
    ['/__playground/invoke', { as: 'alice', issueKey: 'NOPE-9', fn: 'getView' }, 404, /no issue `NOPE-9`/],
    ['/__playground/invoke', { as: 'alice', issueKey: 'JIT-1', fn: 'approve', payload: [1] }, 400, /`payload` must be a JSON object/],
    ['/__playground/invoke', 'approve please', 400, /not valid JSON/],
    ['/__playground/bridge/invoke', { functionKey: 'nope', context: { accountId: 'alice', module: 'panel', issueKey: 'JIT-1' } }, 404, /no function `nope`/],
    ['/__playground/bridge/invoke', { context: {} }, 400, /`functionKey` is required/],
    ['/__playground/bridge/invoke', '{', 400, /not valid JSON/],
  ];
  for (const [path, body, status, message] of bad) {
    const r = await post(path, body);
    assert.equal(r.status, status, `${path} ${JSON.stringify(body)} → ${r.status} ${r.text}`);
    assert.match(r.json.error.message, message, `${path} ${JSON.stringify(body)}`);
  }
});

test('POST /__playground/transition runs the workflow validators and post-function', async () => {
  const { key } = await ok('/__playground/issues', { summary: 'Jira admin for a workflow fix', reporter: 'erin' }, 201);
  assertOk(await invoke('erin', key, 'submitRequest', { target: 'jira-admins', durationMinutes: 30, justification: 'fix the broken workflow scheme' }), 'submit');

  const refused = await post('/__playground/transition', { as: 'erin', issueKey: key, event: 'approve' });
  assert.equal(refused.status, 409, 'the workflow validators refuse self-approval before the issue moves');
  assert.equal(refused.json.error.code, 'TRANSITION_REFUSED');
  assert.equal(refused.json.error.message, '`erin` cannot decide on their own request');
  const still = await ok('/__playground/ui-state?issue=' + key);
  assert.equal(still.issue.status, 'Waiting for approval');

  const approved = await ok('/__playground/transition', { as: 'carol', issueKey: key, event: 'approve' });
  assert.equal(approved.issue.status, 'Approved');
  assert.equal(approved.grant.status, 'approved');
  assert.deepEqual(approved.grant.approvers, ['carol']);

  const bad: Array<[unknown, number, RegExp]> = [
    [{ as: 'carol', issueKey: key, event: 'explode' }, 400, /`event` must be one of: approve, reject, complete, revoke, approveExtension/],
    [{ as: 'carol', issueKey: 'JIT-999', event: 'approve' }, 404, /no issue/],
    [{ as: 'zed', issueKey: key, event: 'approve' }, 400, /unknown user `zed`/],
    [{ as: 'carol', event: 'approve' }, 400, /`issueKey` is required/],
    ['nope', 400, /not valid JSON/],
  ];
  for (const [body, status, message] of bad) {
    const r = await post('/__playground/transition', body);
    assert.equal(r.status, status, `${JSON.stringify(body)} → ${r.status} ${r.text}`);
    assert.match(r.json.error.message, message);
  }
  // A transition the workflow does not offer from the current status (Reject from Approved is offered; Done is
  // not offered from "Waiting for approval").
  const { key: fresh } = await ok('/__playground/issues', { summary: 'nothing requested', reporter: 'alice' }, 201);
  const notOffered = await post('/__playground/transition', { as: 'bob', issueKey: fresh, event: 'complete' });
  assert.equal(notOffered.status, 409, notOffered.text);
});

test('POST /__playground/clock advances in time order and sets the speed; GET /__playground/state', async () => {
  const before = await ok('/__playground/clock');
  const moved = await ok('/__playground/clock', { advanceSeconds: 600 });
  assert.ok(moved.nowMs >= before.nowMs + 600_000, `${moved.now} is at least 10 minutes after ${before.now}`);
  assert.equal((await ok('/__playground/clock', { speed: 60 })).speed, 60);
  assert.equal((await ok('/__playground/clock')).speed, 60);
  assert.equal((await ok('/__playground/clock', { speed: 1 })).speed, 1);

  for (const [body, message] of [
    [{}, /advanceSeconds/],
    [{ advanceSeconds: -5 }, /from 0 to/],
    [{ advanceSeconds: 'soon' }, /from 0 to/],
    [{ advanceSeconds: 10 * 24 * 3600 }, /from 0 to/],
    [{ speed: 0 }, /above 0/],
    [{ speed: 'fast' }, /must be a number/],
    ['tick', /not valid JSON/],
  ] as Array<[unknown, RegExp]>) {
    const r = await post('/__playground/clock', body);
    assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${r.text}`);
    assert.match(r.json.error.message, message);
  }

  // The sweep runs every five minutes of emulated time: ten minutes later it has run at least once.
  const state = await ok('/__playground/state');
  assert.ok(Date.parse(state.now) >= moved.nowMs);
  assert.deepEqual(state.grants.map((g: any) => g.issueKey).sort(), ['JIT-1', 'JIT-3']);
  assert.ok(state.audit.records.length > 0);
  assert.equal(state.audit.verification.valid, true);
  const drift = (await ok('/__playground/invoke', { as: 'perm-1', module: 'admin', fn: 'getDrift' })) as Answer;
  assertOk(drift, 'getDrift');
  assert.ok(drift.data.at && Date.parse(drift.data.at) > before.nowMs, `the sweep ran on the clock (last sweep: ${drift.data.at})`);
  const orgAdmin = state.holders.targets.find((t: any) => t.key === 'org-admin');
  assert.deepEqual(orgAdmin.holders.map((h: any) => [h.accountId, h.reason?.type]), [
    ['perm-1', 'permanent'],
    ['perm-2', 'permanent'],
    ['perm-3', 'permanent'],
  ]);
});

test('the org API at its real paths, proxied to the emulator', async () => {
  const auth = { authorization: `Bearer ${DEMO_API_KEY}` };
  const orgs = await call('GET', '/admin/v1/orgs', undefined, auth);
  assert.equal(orgs.status, 200, orgs.text);
  assert.equal(orgs.json.data[0].id, DEMO_ORG_ID);
  assert.equal(orgs.json.links.self, `${pg.url}/admin/v1/orgs`, 'links point at the playground, not the emulator behind it');

  assert.equal((await call('GET', '/admin/v1/orgs')).status, 401);
  assert.equal((await call('GET', '/admin/v1/orgs', undefined, { authorization: 'Bearer wrong' })).status, 401);

  // A write through the proxy reaches the emulator (and is drift: the app did not grant it).
  const assign = await call('POST', `/admin/v1/orgs/${DEMO_ORG_ID}/users/dan/role-assignments/assign`, { role: 'atlassian/org-admin' }, auth);
  assert.ok(assign.status < 300, `assign: ${assign.status} ${assign.text}`);
  let state = await ok('/__playground/state');
  const dan = state.holders.targets.find((t: any) => t.key === 'org-admin').holders.find((h: any) => h.accountId === 'dan');
  assert.equal(dan?.reason?.type, 'drift');
  const revoke = await call('POST', `/admin/v1/orgs/${DEMO_ORG_ID}/users/dan/role-assignments/revoke`, { role: 'atlassian/org-admin' }, auth);
  assert.ok(revoke.status < 300, `revoke: ${revoke.status} ${revoke.text}`);
  state = await ok('/__playground/state');
  assert.ok(!state.holders.orgAdmins.includes('dan'));
});

test('POST /__playground/faults: fault injection on and off, and drift behind the app\'s back', async () => {
  const auth = { authorization: `Bearer ${DEMO_API_KEY}` };
  const on = await ok('/__playground/faults', { rate: 1, kinds: ['503'] });
  assert.equal(on.faults.rate, 1);
  assert.deepEqual(on.faults.kinds, ['503']);
  assert.equal((await call('GET', '/admin/v1/orgs', undefined, auth)).status, 503);
  assert.equal((await ok('/__playground/faults', { off: true })).faults.rate, 0);
  assert.equal((await call('GET', '/admin/v1/orgs', undefined, auth)).status, 200);

  const drift = await ok('/__playground/faults', { drift: { accountId: 'mallory', target: 'jira-admins' } });
  const jiraAdmins = drift.holders.targets.find((t: any) => t.key === 'jira-admins');
  assert.deepEqual(jiraAdmins.holders.map((h: any) => [h.accountId, h.reason?.type]), [['mallory', 'drift']]);

  for (const [body, message] of [
    [{ rate: 2 }, /0\.\.1/],
    [{ rate: 0.5, kinds: ['meteor'] }, /`kinds` must be an array of/],
    [{ rate: 'lots' }, /`rate` must be a number/],
    [{ drift: { accountId: 'mallory', target: 'root' } }, /unknown target `root`/],
    [{ drift: { accountId: 'nobody', target: 'org-admin' } }, /unknown account/],
    [{}, /send/],
    ['x', /not valid JSON/],
  ] as Array<[unknown, RegExp]>) {
    const r = await post('/__playground/faults', body);
    assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${r.text}`);
    assert.match(r.json.error.message, message);
  }
  assert.equal((await ok('/__playground/faults')).faults.rate, 0);
});

test('bad input never takes the server down', async () => {
  const huge = await post('/__playground/issues', JSON.stringify({ summary: 'x'.repeat(2 * 1024 * 1024), reporter: 'alice' }));
  assert.equal(huge.status, 413);
  assert.equal((await post('/__playground/nope', {})).status, 404);
  assert.equal((await call('PUT', '/__playground/clock', {})).status, 404);
  assert.equal((await get('/__playground/clock')).status, 200, 'still serving');
});

test('state persists across a restart with the same data dir', async () => {
  const before = await ok('/__playground/state');
  const issues = (await ok('/__playground/issues')).issues.map((i: any) => i.key);
  const view = await invoke('bob', 'JIT-1', 'getView');
  assertOk(view, 'getView');
  await ok('/__playground/clock', { speed: 10 });

  await pg.close();
  pg = await startPlayground({ port: 0, dataDir, log: () => undefined });

  const after = await ok('/__playground/state');
  assert.ok(after.nowMs >= before.nowMs, `the clock resumes where it was (${after.now} ≥ ${before.now})`);
  assert.ok(after.nowMs < before.nowMs + 10 * 60_000, 'and not from the wall clock');
  assert.equal(after.speed, 10, 'the speed is kept');
  assert.deepEqual((await ok('/__playground/issues')).issues.map((i: any) => i.key), issues);
  assert.deepEqual(after.grants.map((g: any) => [g.id, g.status]), before.grants.map((g: any) => [g.id, g.status]));
  assert.equal(after.audit.verification.valid, true);
  assert.ok(after.audit.verification.checked >= before.audit.verification.checked);
  assert.deepEqual(after.holders.targets.find((t: any) => t.key === 'jira-admins').holders.map((h: any) => h.accountId), ['mallory'], 'the org emulator state is kept');
  const again = await invoke('bob', 'JIT-1', 'getView');
  assertOk(again, 'getView after restart');
  assert.deepEqual(again.data.view.grant.grant, view.data.view.grant.grant, 'the KVS (grants) is kept');
  assert.ok((await ok('/__playground/issues')).issues.length >= 4);
  // Comments live in the Jira emulator's snapshot.
  const issue = await ok('/__playground/ui-state?issue=JIT-1');
  assert.ok(issue.issue.comments.length >= 2, 'comments are kept');
  await ok('/__playground/clock', { speed: 1 });
});

test('POST /__playground/reset wipes the state and re-seeds the demo data, also across a restart', async () => {
  const r = await ok('/__playground/reset', {});
  assert.equal(r.ok, true);
  const check = async () => {
    assert.deepEqual((await ok('/__playground/issues')).issues.map((i: any) => i.key), ['JIT-1']);
    const state = await ok('/__playground/state');
    assert.deepEqual(state.grants, []);
    assert.deepEqual([...state.holders.orgAdmins].sort(), ['perm-1', 'perm-2', 'perm-3']);
    assert.deepEqual(state.holders.targets.find((t: any) => t.key === 'jira-admins').holders, []);
    const view = await invoke('alice', 'JIT-1', 'getView');
    assertOk(view, 'getView after reset');
    assert.ok(!view.data.view.grant, 'no grant on the example issue');
    assert.equal(state.speed, 1);
  };
  await check();
  await pg.close();
  pg = await startPlayground({ port: 0, dataDir, log: () => undefined });
  await check();
});
