/**
 * The evidence pack end to end: a grant whose holder changes something in the emulated org ends
 * with a summary comment and CSV/JSON attachments on its issue, a high-risk action raises an
 * alert, an org without audit-log access is said so once, and the reads keep to the events API's
 * rate limit (10 a minute) and resume after a 429.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INGEST_LAG_MINUTES } from '../forge-app/src/decision/core';
import { activeOrgAdmin, answer, demoApp } from './support/app';

/** After the revoke: the 5 minutes the pack covers past it, the ingest lag, and room for the reads. */
const AFTER_REVOKE_MS = (5 + INGEST_LAG_MINUTES + 2) * 60_000;

type Alert = { code: string; severity: string; message: string; key: string; issueKey?: string };
async function alerts(app: Awaited<ReturnType<typeof demoApp>>): Promise<Alert[]> {
  const r = answer(await app.admin('perm-1', 'getAlerts'));
  assert.ok(r.ok, JSON.stringify(r));
  return (r.data.alerts ?? r.data) as Alert[];
}

test('a holder who changes the org while elevated gets an evidence comment, CSV and JSON on the issue, and a high-risk alert', async () => {
  const app = await demoApp();
  try {
    const key = await activeOrgAdmin(app);
    await app.clock.advance(60_000);
    app.org.act('alice', 'createGroup', 'release-managers');
    await app.clock.advance(60_000);
    app.org.act('alice', 'createApiKey', 'ci key');
    // Someone else's action in the same span is not alice's evidence.
    app.org.act('perm-1', 'updateAuthenticationPolicy');
    assert.ok(answer(await app.panel('alice', key, 'complete')).ok);
    await app.clock.advance(AFTER_REVOKE_MS);

    const files = app.jira.attachments(key);
    assert.deepEqual(files.map((f) => f.filename).sort(), [`jit-evidence-${key}.csv`, `jit-evidence-${key}.json`]);
    const csv = files.find((f) => f.filename.endsWith('.csv'))!.content;
    assert.match(csv, /"api_key_created","yes","alice"/);
    assert.match(csv, /"group_created","no","alice"/);
    assert.doesNotMatch(csv, /authentication_policy_updated/, 'perm-1’s action is not in alice’s pack');
    // alice's own role grant and revoke were made with the API key: not hers either.
    assert.doesNotMatch(csv, /org_admin_role/);
    const json = JSON.parse(files.find((f) => f.filename.endsWith('.json'))!.content);
    assert.equal(json.accountId, 'alice');
    assert.equal(json.complete, true);
    assert.equal(json.events.length, 2);

    const comment = app.jira.comments(key).map((c) => c.text).find((t) => t.startsWith('Evidence pack'));
    assert.ok(comment, 'an evidence comment');
    assert.match(comment!, /2 audit-log event\(s\)/);
    assert.match(comment!, /High-risk actions while elevated: api_key_created × 1/);

    const high = (await alerts(app)).filter((a) => a.code === 'HIGH_RISK_WHILE_ELEVATED');
    assert.equal(high.length, 1);
    assert.equal(high[0]!.severity, 'critical');
    const audit = answer(await app.admin('perm-1', 'getAudit', { limit: 20 }));
    assert.ok(audit.ok);
    const records = (audit.data.records ?? []) as Array<{ event: string; details: Record<string, unknown> }>;
    const collected = records.find((r) => r.event === 'evidenceCollected');
    assert.ok(collected, 'an evidenceCollected record');
    assert.equal(collected!.details.events, 2);
    assert.equal(collected!.details.status, 'complete');
  } finally {
    await app.close();
  }
});

test('without audit-log access (no Atlassian Guard) the comment says so, and the admin page is told once', async () => {
  const app = await demoApp();
  try {
    app.org.setAuditLogAvailable(false);
    for (let i = 0; i < 2; i++) {
      const key = await activeOrgAdmin(app);
      app.org.act('alice', 'createApiKey');
      assert.ok(answer(await app.panel('alice', key, 'complete')).ok);
      await app.clock.advance(AFTER_REVOKE_MS);
      assert.deepEqual(app.jira.attachments(key), []);
      const comment = app.jira.comments(key).map((c) => c.text).find((t) => t.startsWith('Evidence pack'));
      assert.match(comment ?? '', /cannot be read: the events API answered 403.*Atlassian Guard/);
    }
    const unavailable = (await alerts(app)).filter((a) => a.code === 'AUDIT_LOG_UNAVAILABLE');
    assert.equal(unavailable.length, 1, 'one alert for the installation, not one per grant');
    assert.equal((await alerts(app)).filter((a) => a.code === 'HIGH_RISK_WHILE_ELEVATED').length, 0, 'nothing was read, nothing is claimed');
  } finally {
    await app.close();
  }
});

test('a long pack is read page by page at most 10 reads a minute, resumes after a 429, and counts every event once', async () => {
  const app = await demoApp();
  try {
    const key = await activeOrgAdmin(app);
    for (let i = 0; i < 230; i++) {
      app.org.act('alice', 'exportUsers');
      await app.clock.advance(1_000);
    }
    assert.ok(answer(await app.panel('alice', key, 'complete')).ok);
    app.org.clearRequestLog();
    // The first read of the pack meets a 429 with Retry-After.
    let first = true;
    app.org.setFaultHook(({ route }) => (route === 'getEvents' && first ? ((first = false), '429') : null));
    await app.clock.advance(AFTER_REVOKE_MS);
    const reads = app.org.requestLog().filter((r) => r.route === 'getEvents');
    assert.equal(reads.length, 4, 'one 429, then three pages of at most 100');
    assert.equal(reads[0]!.status, 429);
    for (let i = 1; i < reads.length; i++) {
      assert.ok(reads[i]!.receivedAt - reads[i - 1]!.receivedAt >= 6_000, `reads ${i - 1} and ${i} are ${reads[i]!.receivedAt - reads[i - 1]!.receivedAt} ms apart`);
    }
    const json = JSON.parse(app.jira.attachments(key).find((f) => f.filename.endsWith('.json'))!.content);
    assert.equal(json.events.length, 230);
    assert.equal(new Set(json.events.map((e: { id: string }) => e.id)).size, 230);
  } finally {
    await app.close();
  }
});
