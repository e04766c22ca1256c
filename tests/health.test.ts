/**
 * The Health view against the whole local app: every check passes on the demo installation, and
 * each one the playground can break (docs/deploy.md step 4, the README's playground section) fails
 * with the core's code and fix — through the admin resolver, as the admin page's Health tab calls it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HealthCheck, HealthReport } from '../forge-app/src/decision/core';
import { PROBE_ACCOUNT_ID } from '../forge-app/src/adapters/orgAdmin';
import { HEALTH_FAULT_ADMIN, type LocalApp } from '../playground/local-app';
import { answer, demoApp } from './support/app';

async function health(app: LocalApp, as = 'perm-1'): Promise<HealthReport> {
  const r = answer(await app.admin(as, 'getHealth', {}));
  if (!r.ok) throw new Error(`getHealth refused: ${r.error.code} ${r.error.message}`);
  return r.data as HealthReport;
}

function row(report: HealthReport, check: HealthCheck['check'], subject?: string): HealthCheck {
  const found = report.checks.find((c) => c.check === check && (subject === undefined || c.subject === subject));
  assert.ok(found, `no ${check} ${subject ?? ''} row in ${JSON.stringify(report.checks.map((c) => `${c.check}:${c.subject ?? ''}`))}`);
  return found;
}

const notOk = (r: HealthReport) => r.checks.filter((c) => c.status !== 'ok').map((c) => `${c.check}${c.subject ? `(${c.subject})` : ''}=${c.code}`);

/** Runs the checks twice around a sweep and a queue delivery, so nothing is left pending. */
async function settled(app: LocalApp & { clock: { advance(ms: number): Promise<unknown> } }): Promise<HealthReport> {
  await app.sweep();
  await health(app);
  await app.clock.advance(1_000);
  return health(app);
}

test('health: the demo installation passes every check, one row per target, permanent admin and storage entity', async () => {
  const app = await demoApp();
  try {
    const first = await health(app);
    // Before the first delivery and sweep, the queue and sweep checks wait rather than pass.
    assert.equal(row(first, 'queue').code, 'QUEUE_PENDING');
    assert.equal(row(first, 'queue').status, 'unknown');
    assert.equal(row(first, 'sweep').code, 'SWEEP_PENDING');
    const report = await settled(app);
    assert.deepEqual(notOk(report), []);
    assert.equal(report.status, 'ok');
    assert.deepEqual(
      report.checks.filter((c) => c.check === 'target').map((c) => c.subject),
      ['org-admin', 'site-admin', 'jira-admins'],
    );
    assert.deepEqual(
      report.checks.filter((c) => c.check === 'permanentAdmin').map((c) => c.subject),
      ['perm-1', 'perm-2', 'perm-3'],
    );
    assert.deepEqual(
      report.checks.filter((c) => c.check === 'storage').map((c) => c.subject),
      ['grant', 'audit', 'meta', 'lease', 'alert', 'kvs'],
    );
    assert.match(row(report, 'queue').found, /delivered at/);
    // The probe records are gone, and the role-endpoint probe named only the impossible account.
    const writes = app.org.requestLog().filter((e) => ['assignOrgRole', 'revokeOrgRole', 'assignRole', 'revokeRole', 'addGroupMember', 'removeGroupMember'].includes(e.route));
    assert.ok(writes.length > 0 && writes.every((e) => e.params.userId === PROBE_ACCOUNT_ID && e.status === 404), JSON.stringify(writes));
    const grants = answer(await app.admin('perm-1', 'listGrants', { scope: 'all' }));
    assert.ok(grants.ok && grants.data.grants.length === 0);
    const audit = answer(await app.admin('perm-1', 'getAudit', { limit: 100 }));
    assert.ok(audit.ok && audit.data.verification.valid !== false, JSON.stringify(audit.ok && audit.data.verification));
    // A Jira admin who is nothing else may run them too; someone who is no Jira admin may not.
    assert.equal((await health(app, 'jade')).checks.length, report.checks.length);
    const refused = answer(await app.admin('mallory', 'getHealth', {}));
    assert.ok(!refused.ok && refused.error.code === 'NOT_JIRA_ADMIN');
  } finally {
    await app.close();
  }
});

test('health: a wrong key, a key with scopes and a wrong ORG_ID each fail with their fix and block the org checks', async () => {
  const app = await demoApp();
  try {
    await app.setHealthFaults({ key: 'wrong' });
    let report = await health(app);
    let key = row(report, 'apiKey');
    assert.equal(key.code, 'KEY_UNAUTHORIZED');
    assert.equal(key.status, 'failed');
    assert.match(key.fix ?? '', /forge variables set --encrypt ORG_API_KEY/);
    for (const check of ['organization', 'directory', 'roleEndpoints', 'permanentAdmin'] as const) assert.equal(row(report, check).code, 'BLOCKED_BY_KEY', check);
    // Storage does not depend on the key.
    assert.equal(row(report, 'storage', 'grant').status, 'ok');

    await app.setHealthFaults({ key: 'scoped' });
    report = await health(app);
    key = row(report, 'apiKey');
    assert.equal(key.code, 'KEY_SCOPED');
    assert.match(key.fix ?? '', /WITHOUT scopes/);

    await app.setHealthFaults({ key: 'ok', orgId: 'wrong' });
    report = await health(app);
    assert.equal(row(report, 'apiKey').code, 'KEY_OK');
    const org = row(report, 'organization');
    assert.equal(org.code, 'ORG_MISMATCH');
    assert.match(org.found, new RegExp(app.org.orgId));
    assert.match(org.fix ?? '', /ORG_ID/);
    assert.equal(row(report, 'directory').code, 'BLOCKED_BY_ORGANIZATION');

    await app.setHealthFaults({ orgId: 'ok' });
    assert.equal(row(await health(app), 'organization').code, 'ORG_OK');
  } finally {
    await app.close();
  }
});

test('health: a missing group target, a SCIM group target and a permanent admin without org admin fail with their fix', async () => {
  const app = await demoApp();
  try {
    assert.equal((await app.setHealthFaults({ group: 'missing' })).group, 'missing');
    let target = row(await health(app), 'target', 'jira-admins');
    assert.equal(target.code, 'TARGET_GROUP_MISSING');
    assert.match(target.fix ?? '', /policy/);

    await app.setHealthFaults({ group: 'scim' });
    target = row(await health(app), 'target', 'jira-admins');
    assert.equal(target.code, 'TARGET_GROUP_SCIM');
    assert.match(target.fix ?? '', /SCIM/);

    await app.setHealthFaults({ group: 'ok', permanentAdmin: 'revoked' });
    const report = await health(app);
    assert.equal(row(report, 'target', 'jira-admins').code, 'TARGET_OK');
    const admin = row(report, 'permanentAdmin', HEALTH_FAULT_ADMIN);
    assert.equal(admin.code, 'PERMANENT_ADMIN_NOT_ORG_ADMIN');
    assert.match(admin.fix ?? '', /org-admin role/);
    assert.equal(row(report, 'permanentAdmin', 'perm-1').code, 'PERMANENT_ADMIN_OK');
  } finally {
    await app.close();
  }
});

test('health: a role endpoint refused for the tenant and one that changed its contract fail with their own fix', async () => {
  const app = await demoApp();
  try {
    app.org.setContractFaults({ roleApi: 'forbidden' });
    let role = row(await health(app), 'roleEndpoints');
    assert.equal(role.code, 'ROLE_API_REFUSED');
    assert.match(role.fix ?? '', /Atlassian Support/);
    app.org.setContractFaults({ roleApi: null, orgRoleAssignments: 'removed' });
    role = row(await health(app), 'roleEndpoints');
    assert.equal(role.code, 'ORG_API_CONTRACT_CHANGED');
  } finally {
    await app.close();
  }
});

test('health: a stopped sweep fails after ten minutes, and a stopped queue consumer after five', async () => {
  const app = await demoApp({ scheduleSweep: true });
  try {
    await app.clock.advance(5 * 60_000);
    assert.equal(row(await health(app), 'sweep').code, 'SWEEP_OK');
    assert.equal((await app.setHealthFaults({ sweep: 'stopped' })).sweep, 'stopped');
    await app.clock.advance(11 * 60_000);
    const sweep = row(await health(app), 'sweep');
    assert.equal(sweep.code, 'SWEEP_LATE');
    assert.match(sweep.fix ?? '', /forge logs/);
    await app.setHealthFaults({ sweep: 'running' });
    await app.clock.advance(5 * 60_000);
    assert.equal(row(await health(app), 'sweep').code, 'SWEEP_OK');
  } finally {
    await app.close();
  }
  const noConsumer = await demoApp({ queueConsumer: false });
  try {
    assert.equal(row(await health(noConsumer), 'queue').code, 'QUEUE_PENDING');
    await noConsumer.clock.advance(6 * 60_000);
    const queue = row(await health(noConsumer), 'queue');
    assert.equal(queue.code, 'QUEUE_NOT_DELIVERED');
    assert.match(queue.fix ?? '', /forge logs/);
  } finally {
    await noConsumer.close();
  }
});
