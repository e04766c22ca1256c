/**
 * The contract is written once, in the core: the constants generated from it (`forge-app/src/decision/contract.ts`,
 * kept fresh by `core/tests/contract_types.rs`) are what the running Wasm core does, every audit event it writes has
 * words in the admin page, and who holds what, and why, is the core's answer wherever it is shown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUDIT_EVENTS, core, ORG_ADMIN_ROLE, POLICY_DEFAULTS, RESOURCE_ROLES, type AuditRecord, type Policy } from '../forge-app/src/decision/core';
import { AUDIT_EVENT_WORDS, describeRecord, makeNamer } from '../forge-app/ui/shared/words';
import { activeOrgAdmin, answer, demoApp } from './support/app';
import { DEMO_ACCOUNTS as A } from '../playground/demo';

const NOW = '2026-06-01T09:00:00.000Z';

test('every audit event the core writes has words, and the words name no event the core does not write', () => {
  assert.ok(AUDIT_EVENTS.includes('policyChange'), 'the core writes policyChange records');
  for (const event of AUDIT_EVENTS) assert.ok(AUDIT_EVENT_WORDS[event]?.trim(), `${event} has words`);
  assert.deepEqual(Object.keys(AUDIT_EVENT_WORDS).sort(), [...AUDIT_EVENTS].sort());
});

test('every audit event is described in words, never shown as its bare name', () => {
  const name = makeNamer();
  for (const event of AUDIT_EVENTS) {
    const record = { seq: 1, prevHash: '0', hash: '0', at: NOW, actor: A['perm-1'], event, outcome: 'accepted', details: {} } as AuditRecord;
    const words = describeRecord(record, name, (iso) => iso);
    assert.ok(words.trim() && words !== `${A['perm-1']}: ${event}` && words !== event, `${event}: "${words}"`);
  }
});

test("the policy editor's defaults are the ones the running core applies", () => {
  const policy: Policy = {
    permanentAdmins: [A['perm-1']],
    targets: [{ key: 'bare', label: 'Bare target', access: { type: 'orgRole', role: ORG_ADMIN_ROLE }, requesters: { accountIds: [A.alice] } }],
  };
  const view = core.view({ policy, viewer: { accountId: A.alice }, now: NOW });
  assert.ok(view.ok, JSON.stringify(view));
  const [bare] = view.requestable;
  assert.ok(bare);
  const d = POLICY_DEFAULTS.target;
  assert.equal(bare.defaultDurationMinutes, d.defaultDurationMinutes);
  assert.equal(bare.maxDurationMinutes, d.maxDurationMinutes);
  assert.equal(bare.maxStartAheadMinutes, d.maxStartAheadMinutes);
  assert.equal(bare.justificationRequired, d.justification.required);
  assert.equal(bare.justificationMinLength, d.justification.minLength);
});

test('the resource roles the core generates are the ones it accepts, and no other', () => {
  const withRole = (role: string): Policy => ({
    permanentAdmins: [A['perm-1']],
    targets: [
      {
        key: 'site',
        label: 'Site',
        access: { type: 'resourceRole', role, resource: 'ari:cloud:jira::site/1' },
        requesters: { accountIds: [A.alice] },
        approvers: { accountIds: [A.bob, A.carol] },
      },
    ],
  });
  for (const role of RESOURCE_ROLES) {
    const v = core.validatePolicy({ policy: withRole(role) });
    assert.ok(v.ok && v.valid, `${role}: ${JSON.stringify(v)}`);
  }
  const v = core.validatePolicy({ policy: withRole('atlassian/ai-access') });
  assert.ok(v.ok && !v.valid && v.problems.some((p) => p.path === 'targets[0].access.role'), JSON.stringify(v));
});

test("the holdings timeline draws standing access from the sweep core's reasons, and a grant's holder once", async (t) => {
  const app = await demoApp();
  t.after(() => app.close());
  await activeOrgAdmin(app);
  app.org.grant(A.mallory, { type: 'orgRole', role: ORG_ADMIN_ROLE });
  await app.sweep();
  const drift = answer(await app.admin(A['perm-1'], 'getDrift'));
  assert.ok(drift.ok);
  const reasons = Object.fromEntries(
    (drift.data.explained as Array<{ target: string; accountId: string; reason: { type: string } }>)
      .filter((h) => h.target === 'org-admin')
      .map((h) => [h.accountId, h.reason.type]),
  );
  assert.deepEqual(reasons, { [A.alice]: 'grant', [A.mallory]: 'drift', [A['perm-1']]: 'permanent', [A['perm-2']]: 'permanent', [A['perm-3']]: 'permanent' });
  const holdings = answer(await app.admin(A['perm-1'], 'getHoldings', { rangeMinutes: 60 }));
  assert.ok(holdings.ok);
  const orgAdmin = (holdings.data.holdings as Array<{ target: string; accountId: string; kind: string }>)
    .filter((h) => h.target === 'org-admin')
    .map((h) => `${h.accountId}:${h.kind}`)
    .sort();
  assert.deepEqual(orgAdmin, [`${A.alice}:grant`, `${A.mallory}:drift`, `${A['perm-1']}:permanent`, `${A['perm-2']}:permanent`, `${A['perm-3']}:permanent`].sort());
});
