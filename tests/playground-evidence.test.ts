// The playground's evidence endpoints over HTTP: a person acting in the org while elevated, the
// evidence pack the grant's end leaves on its issue (listed by the issue page, downloadable), and
// the org's audit-log access switch.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { rawFetch } from '../playground/forge-runtime/index';
import { startPlayground, type Playground } from '../playground/server';

const T0 = Date.UTC(2026, 5, 1, 9, 0, 0);
const tmp = mkdtempSync(join(tmpdir(), 'jit-playground-evidence-'));
let pg: Playground;

async function call(method: string, path: string, body?: unknown) {
  const r = await rawFetch(`${pg.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
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

async function invoke(as: string, issueKey: string, fn: string, payload: unknown = {}) {
  const r = await call('POST', '/__playground/invoke', { as, issueKey, fn, payload });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.ok, `${fn} as ${as}: ${r.text}`);
  return r.json;
}

before(async () => {
  pg = await startPlayground({ port: 0, dataDir: join(tmp, 'data'), startAt: T0, log: () => undefined });
});

after(async () => {
  await pg?.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('playground: an org action by the elevated person ends up in the evidence pack on the issue, listed and downloadable', async () => {
  const created = await call('POST', '/__playground/issues', { summary: 'Org admin for the SSO change', reporter: 'alice' });
  const key = created.json.key as string;
  await invoke('alice', key, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'rotate the SAML certificate' });
  await invoke('bob', key, 'approve');
  // Not an org admin yet: the org refuses.
  const early = await call('POST', '/__playground/org-action', { as: 'alice', action: 'createApiKey' });
  assert.equal(early.status, 403, early.text);
  assert.equal(early.json.error.code, 'NOT_ORG_ADMIN');
  await invoke('alice', key, 'activate');
  const acted = await call('POST', '/__playground/org-action', { as: 'alice', action: 'createApiKey', subject: 'deploy key' });
  assert.equal(acted.status, 200, acted.text);
  assert.equal(acted.json.event.action, 'api_key_created');
  const bad = await call('POST', '/__playground/org-action', { as: 'alice', action: 'rm -rf' });
  assert.equal(bad.status, 400);
  await invoke('alice', key, 'complete');
  await call('POST', '/__playground/clock', { advanceSeconds: 15 * 60 });

  const ui = await call('GET', `/__playground/ui-state?issue=${key}`);
  const files = ui.json.issue.attachments as Array<{ filename: string; url: string }>;
  assert.deepEqual(files.map((f) => f.filename).sort(), [`jit-evidence-${key}.csv`, `jit-evidence-${key}.json`]);
  const csv = await call('GET', files.find((f) => f.filename.endsWith('.csv'))!.url);
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
  assert.match(csv.text, /"api_key_created","yes","alice"/);
  assert.ok(ui.json.issue.comments.some((c: { text: string }) => c.text.startsWith('Evidence pack')));
  assert.equal((await call('GET', '/__playground/attachments/nope')).status, 404);
});

test('playground: the audit-log switch makes the org answer 403 to the events API, and the page shows it', async () => {
  const off = await call('POST', '/__playground/audit-log', { available: false });
  assert.deepEqual(off.json, { available: false });
  assert.equal((await call('GET', '/__playground/ui-state')).json.auditLog.available, false);
  const state = await call('GET', '/__playground/audit-log');
  assert.equal(state.json.available, false);
  assert.equal((await call('POST', '/__playground/audit-log', { available: 'no' })).status, 400);
  await call('POST', '/__playground/audit-log', { available: true });
});
