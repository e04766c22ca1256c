/**
 * The org API key never leaves the org adapter. A full lifecycle, refusals (panel and workflow),
 * org-API errors from an upstream that echoes the Authorization header into its error bodies
 * (500s, then 401s for the app's key and for a stale key), a sweep with drift and every admin
 * call run; then every resolver answer, every log line (the handlers' and anything printed to the
 * console), every Jira comment, property and request the app made, every queue event, every
 * __forge_fetch__ body, every audit record and alert, and every row of the KVS database are
 * searched for the key, its base64/base64url/hex/URL-encoded forms. A planted copy proves the
 * search finds what is there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { kvs } from '@forge/kvs';
import { DEMO_API_KEY, DEMO_ORG_ID, demoOrgSeed, type LocalApp } from '../playground/local-app';
import { startOrgAdminEmulator, type OrgAdminEmulator } from '../playground/emulators/org-admin/index';
import { rawFetch } from '../playground/forge-runtime/index';
import { setEgressPolicy } from '../playground/forge-runtime/egress';
import { answer, demoApp, orgAdmins } from './support/app';
import { grantOf } from './support/security';

/** A key the org no longer accepts (a rotation gone wrong): it must not leak either. */
const STALE_KEY = 'stale-org-api-key-fedcba9876543210';

/** Every form in which a secret could be written out. */
export function needles(secret: string): Array<{ form: string; text: string }> {
  const bytes = Buffer.from(secret, 'utf8');
  const out: Array<{ form: string; text: string }> = [
    { form: 'raw', text: secret },
    { form: 'url-encoded', text: encodeURIComponent(secret) },
    { form: 'hex', text: bytes.toString('hex') },
    { form: 'HEX', text: bytes.toString('hex').toUpperCase() },
  ];
  // base64 at each of the three byte alignments it can have inside a longer encoded string: keep
  // only the characters that depend on the secret's bytes alone.
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.concat([Buffer.alloc(shift, 0x41), bytes]);
    for (const [form, enc] of [
      ['base64', padded.toString('base64')],
      ['base64url', padded.toString('base64url')],
    ] as const) {
      const start = shift === 0 ? 0 : 4;
      const usable = Math.floor((shift + bytes.length) / 3) * 4;
      out.push({ form: `${form}+${shift}`, text: enc.slice(start, usable) });
    }
  }
  return out.filter((n) => n.text.length >= 16);
}

/** Where each needle occurs in a named corpus. */
export function search(corpus: Record<string, string[]>, secrets: string[]): string[] {
  const hits: string[] = [];
  for (const secret of secrets) {
    for (const n of needles(secret)) {
      for (const [where, texts] of Object.entries(corpus)) {
        texts.forEach((t, i) => {
          if (t.includes(n.text)) hits.push(`${where}[${i}] holds ${secret === DEMO_API_KEY ? 'the org API key' : 'the stale key'} (${n.form}): …${t.slice(Math.max(0, t.indexOf(n.text) - 60), t.indexOf(n.text) + n.text.length + 20)}…`);
        });
      }
    }
  }
  return hits;
}

test('the search finds a secret in every form it looks for, and nothing in clean text', () => {
  const s = DEMO_API_KEY;
  const samples = [
    `Authorization: Bearer ${s}`,
    JSON.stringify({ header: Buffer.from(`Bearer ${s}`).toString('base64') }),
    Buffer.from(`x:${s}`).toString('base64url'),
    Buffer.from(`xy${s}`).toString('hex'),
    `?key=${encodeURIComponent(s)}`,
  ];
  for (const sample of samples) assert.ok(search({ sample: [sample] }, [s]).length > 0, `not found in ${sample}`);
  assert.deepEqual(search({ clean: ['Bearer [redacted]', 'demo-org-api', Buffer.from('demo-org').toString('base64')] }, [s]), []);
});

/** Advances the virtual clock until `p` settles (the org adapter sleeps between retries). */
async function drive<T>(app: LocalApp & { clock: { advance(ms: number): Promise<void> } }, p: Promise<T>, stepMs = 1000, maxSteps = 3600): Promise<T> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < maxSteps && !settled; i++) {
    await new Promise((r) => setTimeout(r, 2));
    if (!settled) await app.clock.advance(stepMs);
  }
  return p;
}

async function leakyEmulator(app: LocalApp, apiKey: string, faults?: { rate: number; kinds: Array<'500'> }): Promise<OrgAdminEmulator> {
  return startOrgAdminEmulator({
    port: 0,
    orgId: DEMO_ORG_ID,
    apiKey,
    now: () => app.clock.now(),
    seed: demoOrgSeed(),
    // Error bodies echo the request's Authorization header: the adapter must redact it.
    leakyErrors: true,
    faults,
  });
}

/** Sends the app's org-API traffic to `url` (another emulator) or back to the app's own. */
function routeOrgApi(app: LocalApp, url: string) {
  setEgressPolicy({ allow: { 'https://api.atlassian.com': url }, onRequest: (e) => app.runtime.egressLog.push(e) });
}

test('the org API key is never in an answer, a log line, a comment, a property, the audit, an alert, a queue event or storage', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jit-secrets-'));
  const kvsPath = join(dir, 'kvs.sqlite');
  const consoleLines: string[] = [];
  const original = { log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug };
  for (const level of Object.keys(original) as Array<keyof typeof original>) {
    console[level] = (...args: unknown[]) => {
      consoleLines.push(args.map((a) => (typeof a === 'string' ? a : (() => { try { return JSON.stringify(a); } catch { return String(a); } })())).join(' '));
    };
  }
  const leaky: OrgAdminEmulator[] = [];
  const app = await demoApp({ kvsPath, scheduleSweep: false, orgOptions: { verifyIntervalMs: 500 } });
  const responses: string[] = [];
  const panel = async (as: string, key: string, fn: string, payload?: unknown) => {
    const r = await drive(app, app.panel(as, key, fn, payload));
    responses.push(JSON.stringify(r));
    return answer(r);
  };
  const admin = async (as: string, fn: string, payload?: unknown) => {
    const r = await drive(app, app.admin(as, fn, payload));
    responses.push(JSON.stringify(r));
    return answer(r);
  };
  try {
    assert.equal(process.env.ORG_API_KEY, DEMO_API_KEY, 'the handlers read the demo key');

    // ---- 1. A full lifecycle with refusals along the way (panel and workflow).
    const a = app.createIssue('Org admin for the SAML rotation', 'alice').key;
    assert.ok((await panel('alice', a, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: `Rotate the SAML certificate; key ${'x'.repeat(4)}` })).ok);
    assert.equal((await panel('mallory', a, 'approve', { accountId: 'bob' })).ok, false);
    assert.equal((await panel('alice', a, 'approve')).ok, false);
    // Refused before the issue moves, by the workflow validators (the function one runs in the app).
    await assert.rejects(app.transition('mallory', a, 'approve'), /may not approve/);
    assert.ok((await panel('bob', a, 'approve')).ok);
    assert.ok((await panel('alice', a, 'activate')).ok);
    assert.ok((await panel('alice', a, 'requestExtension', { minutes: 30, justification: 'the certificate is still propagating' })).ok);
    assert.equal((await panel('bob', a, 'approveExtension')).ok, false);
    assert.ok((await panel('carol', a, 'approveExtension')).ok);
    assert.equal((await panel('mallory', a, 'revoke', { reason: 'because' })).ok, false);
    assert.ok((await panel('alice', a, 'complete')).ok);
    assert.equal((await grantOf(app, a)).provisioning.state, 'revoked');

    // erin holds site admin through the app (revoked later, while the key is refused).
    const e = app.createIssue('Site admin for erin', 'erin').key;
    assert.ok((await panel('erin', e, 'submitRequest', { target: 'site-admin', durationMinutes: 120, justification: 'Configure the new Jira site' })).ok);
    assert.ok((await panel('dan', e, 'approve')).ok);
    assert.ok((await panel('erin', e, 'activate')).ok);

    // ---- 2. The org API fails with 500s whose bodies echo "Authorization: Bearer <key>".
    const l500 = await leakyEmulator(app, DEMO_API_KEY, { rate: 1, kinds: ['500'] });
    leaky.push(l500);
    routeOrgApi(app, l500.url);
    const b = app.createIssue('Jira admin group for alice', 'alice').key;
    assert.ok((await panel('alice', b, 'submitRequest', { target: 'jira-admins', durationMinutes: 30, justification: 'Fix the broken permission scheme' })).ok);
    assert.ok((await panel('carol', b, 'approve')).ok);
    await panel('alice', b, 'activate');
    for (let i = 0; i < 8 * 60; i++) await app.clock.advance(1000); // retries, the failed grant, its clean-up revokes
    await drive(app, app.sweep());
    const failedGrant = await grantOf(app, b);
    assert.equal(failedGrant.outcome, 'failed', 'the grant failed after its retries');
    assert.ok(app.jira.comments(b).some((c) => /could not be granted/.test(c.text) && /\(injected\)/.test(c.text)), 'the upstream message reached the comment');
    assert.ok(app.jira.comments(b).some((c) => /Bearer \[redacted\]/.test(c.text)), 'with the echoed header redacted');
    assert.ok(l500.stats().totalFaults > 0);

    // ---- 3. The org no longer accepts the app's key: 401s echoing it, on a revoke, a grant and a sweep.
    const l401 = await leakyEmulator(app, 'the-org-now-expects-a-different-key');
    leaky.push(l401);
    // The upstream really does echo the key: what the app must scrub out.
    const echoed = await (await rawFetch(`${l401.url}/admin/v1/orgs/${DEMO_ORG_ID}`, { headers: { authorization: `Bearer ${DEMO_API_KEY}` } })).text();
    assert.ok(echoed.includes(DEMO_API_KEY), `the leaky upstream echoes the key: ${echoed}`);
    routeOrgApi(app, l401.url);
    const revoked = await panel('perm-1', e, 'revoke', { reason: 'end of the change window' });
    assert.ok(revoked.ok);
    const c = app.createIssue('Site admin for alice', 'alice').key;
    assert.ok((await panel('alice', c, 'submitRequest', { target: 'site-admin', durationMinutes: 60, justification: 'Install the new marketplace app' })).ok);
    assert.ok((await panel('bob', c, 'approve')).ok);
    await panel('alice', c, 'activate');
    const failed401 = await grantOf(app, c);
    assert.equal(failed401.outcome, 'failed');
    assert.equal(failed401.provisioning.lastError?.code, 'UNAUTHORIZED');
    assert.ok(app.jira.comments(c).some((x) => /\(401\)/.test(x.text) && /Bearer \[redacted\]/.test(x.text)), 'the 401 message reached the comment, scrubbed');
    await drive(app, app.sweep());
    // ... and a stale key in the app's own variable (a rotation done in the wrong order).
    process.env.ORG_API_KEY = STALE_KEY;
    try {
      await drive(app, app.sweep());
      await panel('perm-1', e, 'getView');
      for (let i = 0; i < 120; i++) await app.clock.advance(1000);
    } finally {
      process.env.ORG_API_KEY = DEMO_API_KEY;
    }
    const heldBack = await grantOf(app, e);
    assert.equal(heldBack.provisioning.state, 'revoking', 'the revoke waits for a working key');
    assert.ok(orgAdmins(app).length >= 3);

    // ---- 4. The key works again: the held-back revoke completes; then drift.
    routeOrgApi(app, app.org.url);
    for (let i = 0; i < 30 && (await grantOf(app, e)).provisioning.state !== 'revoked'; i++) await app.clock.advance(60_000);
    assert.equal((await grantOf(app, e)).provisioning.state, 'revoked', 'the revoke went through once the key worked');
    app.org.grant('mallory', { type: 'orgRole', role: 'atlassian/org-admin' });
    await app.clock.advance(5 * 60_000);
    await drive(app, app.sweep());

    // ---- 5. Every admin call.
    const got: Record<string, any> = {};
    for (const [name, fn, payload] of [
      ['policy', 'getPolicy', {}],
      ['validate', 'validatePolicy', { policy: { permanentAdmins: [], targets: [] } }],
      ['all grants', 'listGrants', { scope: 'all' }],
      ['open grants', 'listGrants', { scope: 'open' }],
      ['audit', 'getAudit', { limit: 100 }],
      ['refusals', 'getAudit', { outcome: 'refused' }],
      ['json', 'exportAudit', { format: 'json' }],
      ['csv', 'exportAudit', { format: 'csv' }],
      ['alerts', 'getAlerts', { limit: 100 }],
      ['drift', 'getDrift', {}],
      ['holdings', 'getHoldings', {}],
      ['health', 'getHealth', {}],
    ] as const) {
      const r = await admin('perm-1', fn, payload);
      assert.ok(r.ok, `${fn}: ${JSON.stringify(r)}`);
      got[name] = r.data;
    }
    const alerts = got.alerts as Array<{ code: string; message: string }>;
    const codes = new Set(alerts.map((x) => x.code));
    for (const code of ['GRANT_FAILED', 'REVOKE_FAILING', 'SNAPSHOT_INCOMPLETE', 'DRIFT']) assert.ok(codes.has(code), `a ${code} alert was raised (got ${[...codes].join(', ')})`);
    const records = JSON.parse(got.json.content) as Array<{ event: string; details: Record<string, unknown> }>;
    assert.ok(records.some((r) => r.event === 'revokeFailed' && r.details.code === 'UNAUTHORIZED'), 'the audit shows the refused key');
    assert.ok(records.some((r) => r.event === 'grantFailed' && ['SERVER_ERROR', 'BUDGET_EXHAUSTED'].includes(String(r.details.code))), 'and the 500s');
    assert.ok(String(got.csv.content).includes('revokeFailed'));
    assert.equal(got.audit.verification.valid, true, 'the chain verifies');

    // ---- Gather everything the app wrote or answered, and search it.
    await app.clock.idle();
    const db = new DatabaseSync(kvsPath, { readOnly: true });
    const kvsRows = (db.prepare('SELECT space, entity, key, value FROM items').all() as Array<Record<string, unknown>>).map((r) => JSON.stringify(r));
    db.close();
    const corpus = (): Record<string, string[]> => ({
      'resolver answer': responses,
      'handler log': app.logLines,
      console: consoleLines,
      'jira (issues, comments, properties)': [JSON.stringify(app.jira.exportSnapshot())],
      'jira request from the app': app.jira.requests.map((r) => JSON.stringify(r)),
      'forge fetch (kvs, jira, queue)': app.runtime.fetchLog.map((f) => JSON.stringify(f)),
      'queue event': app.runtime.queue.events().map((q) => JSON.stringify(q)),
      'queue delivery': app.runtime.queue.deliveries.map((d) => JSON.stringify(d)),
      'kvs row': kvsRows,
      'audit record': records.map((r) => JSON.stringify(r)),
      alert: alerts.map((x) => JSON.stringify(x)),
    });
    const everything = corpus();
    // The corpus is not empty where it matters: the search looks at real material.
    assert.ok(app.logLines.some((l) => /\[orgAdmin\]/.test(l) && /→ 500/.test(l)), 'the org adapter logged the 500s');
    assert.ok(app.logLines.some((l) => /→ 401/.test(l)), 'and the 401s');
    assert.ok(kvsRows.some((r) => r.includes('"entity":"audit"')) && kvsRows.some((r) => r.includes('"entity":"alert"')), 'the KVS dump holds the audit and the alerts');
    assert.ok(records.length > 30 && responses.length > 30);
    assert.ok(app.runtime.egressLog.length > 0);

    const hits = search(everything, [DEMO_API_KEY, STALE_KEY]);
    assert.deepEqual(hits, [], `the key leaked:\n${hits.slice(0, 20).join('\n')}`);

    // ---- Negative control: plant the key where the search looks; it must be found there.
    await kvs.set('planted-for-the-negative-control', { note: Buffer.from(`Bearer ${DEMO_API_KEY}`).toString('base64') });
    await rawFetch(`${app.jira.url}/rest/api/3/issue/${a}/comment`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.jira.appToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ body: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: `oops ${DEMO_API_KEY}` }] }] } }),
    });
    console.warn(`planted ${encodeURIComponent(STALE_KEY)}`);
    const db2 = new DatabaseSync(kvsPath, { readOnly: true });
    const planted = {
      ...corpus(),
      'kvs row': (db2.prepare('SELECT space, entity, key, value FROM items').all() as Array<Record<string, unknown>>).map((r) => JSON.stringify(r)),
    };
    db2.close();
    const found = search(planted, [DEMO_API_KEY, STALE_KEY]).map((h) => h.replace(/\[\d+\].*/, ''));
    assert.ok(found.includes('kvs row'), 'the planted base64 copy in storage is found');
    assert.ok(found.includes('jira (issues, comments, properties)'), 'the planted comment is found');
    assert.ok(found.includes('console'), 'the planted console line is found');
  } finally {
    for (const level of Object.keys(original) as Array<keyof typeof original>) console[level] = original[level];
    process.env.ORG_API_KEY = DEMO_API_KEY;
    await app.close();
    for (const l of leaky) await l.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
