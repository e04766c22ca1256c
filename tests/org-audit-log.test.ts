// The org audit log as the emulator serves it (GET /v1/orgs/{orgId}/events and events/{eventId})
// and as the app's adapter reads it: the spec's filters, cursor pages and response shape, the
// documented rate limit of 10 a minute per key and per path, 403 without Atlassian Guard, a key's
// scopes, and the events the org's own operations record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOrgAuditLog } from '../forge-app/src/adapters/orgEvents';
import { startOrgAdminEmulator } from '../playground/emulators/org-admin/index';
import { OpenApiSpec, recordingFetch } from './support/openapi';

const spec = OpenApiSpec.load('admin-organization.subset.json');
const T0 = Date.UTC(2026, 5, 1, 9, 0, 0);

async function emulator() {
  let now = T0;
  const emu = await startOrgAdminEmulator({
    now: () => now,
    seed: {
      users: ['perm-1', 'alice', 'bob'].map((accountId) => ({ accountId, name: accountId })),
      assignments: [{ accountId: 'perm-1', role: 'atlassian/org-admin' }],
    },
  });
  return { emu, tick: (ms: number) => void (now += ms), now: () => now };
}

test('org audit log: actor, action, q and time filters, newest first, in cursor pages that fit the spec', async () => {
  const { emu, tick, now } = await emulator();
  try {
    emu.act('perm-1', 'addOrgAdmin', 'alice');
    for (let i = 0; i < 7; i++) {
      tick(1000);
      emu.act('alice', i % 2 ? 'createGroup' : 'exportUsers', `g${i}`);
    }
    tick(1000);
    emu.act('perm-1', 'createApiKey');
    const rec = recordingFetch();
    const log = createOrgAuditLog({ fetch: rec.fetch, baseUrl: emu.url, orgId: emu.orgId, apiKey: emu.apiKey, clock: { now } });
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await log.events({ actor: 'alice', fromMs: T0, toMs: now(), limit: 3, ...(cursor ? { cursor } : {}) });
      assert.ok(page.ok, JSON.stringify(page));
      seen.push(...page.events.map((e) => `${e.actorId}:${e.action}:${e.time}`));
      cursor = page.next;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.equal(seen.length, 7, 'only alice’s events');
    const times = seen.map((s) => Date.parse(s.split(':').slice(2).join(':')));
    assert.ok(times.every((t, i) => i === 0 || t <= times[i - 1]!), `newest first: ${seen.join(', ')}`);
    assert.ok(seen.every((s) => s.startsWith('alice:')));
    assert.deepEqual(rec.calls.flatMap((c) => spec.checkCall(c, { responses: true })), []);

    const raw = async (query: string) => {
      const r = await fetch(`${emu.url}/admin/v1/orgs/${emu.orgId}/events?${query}`, { headers: { authorization: `Bearer ${emu.apiKey}` } });
      return { status: r.status, body: (await r.json()) as any, headers: r.headers };
    };
    const byAction = await raw('action=org_admin_role_granted');
    assert.equal(byAction.body.data.length, 1);
    assert.equal(byAction.body.data[0].attributes.actor.id, 'perm-1', 'the person who did it, acting in the org');
    assert.deepEqual(byAction.body.data[0].attributes.context.map((c: { id: string }) => c.id), ['alice', 'atlassian/org-admin']);
    assert.equal((await raw('q=G3')).body.data.length, 1);
    assert.equal((await raw(`from=${T0 + 7000}&to=${now()}`)).body.data.length, 2);
    assert.equal((await raw('actor=alice,perm-1&limit=100')).body.data.length, 9);
    assert.equal((await raw('from=yesterday')).status, 400);
    assert.equal((await raw(`from=${now()}&to=${T0}`)).body.errors[0].code, 'ADMIN-400-3');
    assert.equal((await raw('cursor=bogus')).body.errors[0].code, 'ADMIN-400-1');
    const one = byAction.body.data[0];
    const single = await fetch(one.links.self, { headers: { authorization: `Bearer ${emu.apiKey}` } });
    assert.equal(((await single.json()) as any).data.id, one.id);
  } finally {
    await emu.close();
  }
});

test('org audit log: the 11th read within a minute gets 429 with Retry-After, per key and per path', async () => {
  const { emu, tick, now } = await emulator();
  try {
    const log = createOrgAuditLog({ fetch, baseUrl: emu.url, orgId: emu.orgId, apiKey: emu.apiKey, clock: { now } });
    for (let i = 0; i < 10; i++) assert.ok((await log.events({ actor: 'alice', fromMs: T0, toMs: now() })).ok, `read ${i + 1}`);
    const limited = await log.events({ actor: 'alice', fromMs: T0, toMs: now() });
    assert.equal(limited.ok, false);
    assert.equal(!limited.ok && limited.kind, 'rateLimited');
    assert.equal(!limited.ok && limited.kind === 'rateLimited' && limited.retryAfterMs, 60_000);
    // Another key shares the path's limit.
    emu.addApiKey('second-key-0123456789');
    const other = createOrgAuditLog({ fetch, baseUrl: emu.url, orgId: emu.orgId, apiKey: 'second-key-0123456789', clock: { now } });
    assert.equal((await other.events({ actor: 'alice', fromMs: T0, toMs: now() })).ok, false);
    tick(60_000);
    assert.ok((await log.events({ actor: 'alice', fromMs: T0, toMs: now() })).ok, 'a minute later the window has moved on');
  } finally {
    await emu.close();
  }
});

test('org audit log: without Atlassian Guard the events API answers 403; a key scoped without read:events:admin gets 403 too', async () => {
  const { emu, now } = await emulator();
  try {
    emu.setAuditLogAvailable(false);
    const log = createOrgAuditLog({ fetch, baseUrl: emu.url, orgId: emu.orgId, apiKey: emu.apiKey, clock: { now } });
    const page = await log.events({ actor: 'alice', fromMs: T0, toMs: now() });
    assert.deepEqual(!page.ok && [page.kind, page.kind === 'unavailable' && page.status], ['unavailable', 403]);
    emu.setAuditLogAvailable(true);
    emu.addApiKey('scoped-key-0123456789', { scopes: ['read:directories:admin'] });
    const scoped = createOrgAuditLog({ fetch, baseUrl: emu.url, orgId: emu.orgId, apiKey: 'scoped-key-0123456789', clock: { now } });
    assert.equal((await scoped.events({ actor: 'alice', fromMs: T0, toMs: now() })).ok, false);
    emu.addApiKey('events-key-0123456789', { scopes: ['read:events:admin'] });
    const events = createOrgAuditLog({ fetch, baseUrl: emu.url, orgId: emu.orgId, apiKey: 'events-key-0123456789', clock: { now } });
    assert.ok((await events.events({ actor: 'alice', fromMs: T0, toMs: now() })).ok);
  } finally {
    await emu.close();
  }
});

test('org audit log: a person who is not an org admin cannot act in the org, and the API key’s own changes are the key’s', async () => {
  const { emu, now } = await emulator();
  try {
    assert.throws(() => emu.act('bob', 'createApiKey'), /not an organization admin/);
    emu.grant('alice', { type: 'orgRole', role: 'atlassian/org-admin' });
    const r = await fetch(`${emu.url}/admin/v1/orgs/${emu.orgId}/users/bob/role-assignments/assign`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emu.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'atlassian/org-admin' }),
    });
    assert.equal(r.status, 204);
    const last = emu.auditEvents().at(-1)!;
    assert.equal(last.action, 'org_admin_role_granted');
    assert.equal(last.actor.id, 'org-api-key');
    assert.ok(now() >= T0);
    // The snapshot keeps the audit log across a restart.
    const snap = emu.exportSnapshot();
    emu.reset();
    assert.equal(emu.auditEvents().length, 0);
    emu.importSnapshot(snap);
    assert.equal(emu.auditEvents().at(-1)!.id, last.id);
  } finally {
    await emu.close();
  }
});
