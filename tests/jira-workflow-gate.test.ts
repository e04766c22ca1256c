/**
 * Jira status and grant never disagree for good: workflow validators stop, before the issue
 * moves, a transition the core would refuse; the sweep reports whatever still diverges (a
 * post-function that gave up after its four retries, a workflow without the validators).
 * Everything runs the app's real handlers against the emulators on a virtual clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { JIT_WORKFLOW, TRANSITIONS, jitWorkflow, type LocalApp } from '../playground/local-app';
import { ACT_AS_USER_HEADER, startJiraEmulator } from '../playground/emulators/jira/index';
import { evaluateExpression, ExpressionError, parseExpression } from '../playground/emulators/jira/expression';
import { answer, demoApp, orgAdmins, requestOrgAdmin } from './support/app';
import { DEMO_ACCOUNTS as A } from '../playground/demo';

/** Transitions `key` as `as` over Jira's REST API, the way the issue view does. */
async function restTransition(app: LocalApp, as: string, key: string, event: keyof typeof TRANSITIONS) {
  const res = await app.runtime.rawFetch(`${app.jira.url}/rest/api/3/issue/${key}/transitions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.jira.appToken}`, [ACT_AS_USER_HEADER]: as, 'content-type': 'application/json' },
    body: JSON.stringify({ transition: { id: TRANSITIONS[event].transitionId } }),
  });
  const body = res.status === 204 ? null : ((await res.json()) as { errorMessages: string[]; errors: Record<string, string> });
  await app.jira.idle();
  return { status: res.status, body };
}

async function grantOf(app: LocalApp, key: string, as = A.alice) {
  const view = answer(await app.panel(as, key, 'getView'));
  assert.ok(view.ok);
  return view.data.view.grant.grant;
}

/** Waits (in real time, bounded) for work the virtual clock does not track to get somewhere. */
async function until(condition: () => boolean, ms = 10_000) {
  const giveUp = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > giveUp) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const appComments = (app: LocalApp, key: string) => app.jira.comments(key).filter((c) => c.author === app.jira.appAccountId);

test('a self-approval by transition does not move the issue, and the requester is told why', async () => {
  const app = await demoApp();
  try {
    const key = await requestOrgAdmin(app);
    const before = appComments(app, key).length;
    const refused = await restTransition(app, A.alice, key, 'approve');
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body, { errorMessages: [`\`${A.alice}\` cannot decide on their own request`], errors: {} });
    assert.equal(app.jira.issue(key)?.status, 'Waiting for approval', 'the issue did not move');
    assert.equal((await grantOf(app, key)).status, 'requested');
    assert.equal(appComments(app, key).length, before, 'no post-function ran');

    const approved = await restTransition(app, A.bob, key, 'approve');
    assert.equal(approved.status, 204);
    assert.equal(app.jira.issue(key)?.status, 'Approved');
    assert.equal((await grantOf(app, key)).status, 'approved', 'an approver’s transition approves');
  } finally {
    await app.close();
  }
});

test('an extension approved by the approver of the request is blocked before the issue moves; a second approver’s goes through', async () => {
  const app = await demoApp();
  try {
    const key = await requestOrgAdmin(app);
    await app.transition(A.bob, key, 'approve');
    assert.ok(answer(await app.panel(A.alice, key, 'activate')).ok);
    assert.ok(answer(await app.panel(A.alice, key, 'requestExtension', { minutes: 30, justification: 'the migration runs long' })).ok);
    const end = Date.parse((await grantOf(app, key)).window.end);

    const bob = await restTransition(app, A.bob, key, 'approveExtension');
    assert.equal(bob.status, 400);
    assert.match(bob.body!.errorMessages[0]!, new RegExp(`\`${A.bob}\` already approved this grant; an extension needs a different approver`));
    assert.equal(app.jira.issue(key)?.status, 'Approved', 'the issue did not move');
    assert.equal(Date.parse((await grantOf(app, key)).window.end), end);

    assert.equal((await restTransition(app, A.carol, key, 'approveExtension')).status, 204);
    assert.equal(app.jira.issue(key)?.status, 'In progress');
    assert.equal(Date.parse((await grantOf(app, key)).window.end), end + 30 * 60_000);
  } finally {
    await app.close();
  }
});

test('done before activation is refused (an unactivated approval ends by cancel or revoke, not by done); done on the active grant revokes', async () => {
  const app = await demoApp();
  try {
    const key = await requestOrgAdmin(app);
    await app.transition(A.bob, key, 'approve');
    const early = await restTransition(app, A.alice, key, 'complete');
    assert.equal(early.status, 400);
    assert.deepEqual(early.body!.errorMessages, ['cannot complete a grant that is approved']);
    assert.equal(app.jira.issue(key)?.status, 'Approved');
    assert.equal((await grantOf(app, key)).status, 'approved');

    assert.ok(answer(await app.panel(A.alice, key, 'activate')).ok);
    assert.ok(orgAdmins(app).includes(A.alice));
    const bob = await restTransition(app, A.bob, key, 'complete');
    assert.deepEqual(bob.body!.errorMessages, [`only the requester \`${A.alice}\` can mark this grant done`]);
    assert.equal((await restTransition(app, A.alice, key, 'complete')).status, 204);
    assert.equal(app.jira.issue(key)?.status, 'Done');
    assert.equal((await grantOf(app, key)).provisioning.state, 'revoked');
    assert.ok(!orgAdmins(app).includes(A.alice));
  } finally {
    await app.close();
  }
});

test('a grant property rewritten by someone who may edit the issue is refused by the function validator and restored', async () => {
  const app = await demoApp();
  try {
    const key = await requestOrgAdmin(app);
    const genuine = app.jira.property(key, 'jit-admin-grant') as { gate: { approve: { deny: Record<string, string> } } };
    assert.ok(genuine.gate.approve.deny[A.alice], 'the requester is refused by name');
    // alice may edit her own issue, so she may rewrite its properties over REST.
    const forged = structuredClone(genuine) as { gate: { approve: Record<string, unknown> } };
    forged.gate.approve = { accounts: [A.alice], anyone: false, groupIds: [], deny: {}, reason: '' };
    const put = await app.runtime.rawFetch(`${app.jira.url}/rest/api/3/issue/${key}/properties/jit-admin-grant`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${app.jira.appToken}`, [ACT_AS_USER_HEADER]: A.alice, 'content-type': 'application/json' },
      body: JSON.stringify(forged),
    });
    assert.equal(put.status, 200);

    const refused = await restTransition(app, A.alice, key, 'approve');
    assert.equal(refused.status, 400);
    assert.match(refused.body!.errorMessages[0]!, /out of date and has been refreshed/);
    assert.equal(app.jira.issue(key)?.status, 'Waiting for approval');
    assert.equal((await grantOf(app, key)).status, 'requested');
    assert.deepEqual(app.jira.property(key, 'jit-admin-grant'), genuine, 'the core’s answer is back');
    const again = await restTransition(app, A.alice, key, 'approve');
    assert.deepEqual(again.body!.errorMessages, [`\`${A.alice}\` cannot decide on their own request`]);
  } finally {
    await app.close();
  }
});

test('post-function retries exhausted after a transition: the sweep reports the closed issue with an active grant, once', async () => {
  const app = await demoApp({ scheduleSweep: false });
  try {
    const key = await requestOrgAdmin(app);
    await app.transition(A.bob, key, 'approve');
    assert.ok(answer(await app.panel(A.alice, key, 'activate')).ok);
    // Storage is down for every delivery of the Done post-function: the first attempt and the
    // four retries Forge allows (the local runtime's cap). Simulated at the platform boundary
    // (`__forge_fetch__`), so the handler's real failure path asks for each retry.
    const g = globalThis as unknown as {
      __forge_fetch__: (target: { type?: string }, path: string, init?: RequestInit) => Promise<Response>;
      __forge_runtime__: { appContext: { moduleKey: string; invocationId: string } };
    };
    const realFetch = g.__forge_fetch__;
    const failedInvocations = new Set<string>();
    g.__forge_fetch__ = (target, path, init) => {
      const { moduleKey, invocationId } = g.__forge_runtime__.appContext;
      if (target?.type === 'kvs' && moduleKey === TRANSITIONS.complete.moduleKey) {
        failedInvocations.add(invocationId);
        return Promise.resolve(new Response(JSON.stringify({ code: 'SERVICE_UNAVAILABLE', message: 'storage is unavailable' }), { status: 503, headers: { 'content-type': 'application/json' } }));
      }
      return realFetch(target, path, init);
    };
    try {
      await app.jira.transition(key, TRANSITIONS.complete.transitionId, { actor: A.alice });
      // Each delivery fails, then waits 30 s of clock time for its retry (as the handler asks).
      for (let delivery = 1; delivery <= 5; delivery++) {
        await until(() => failedInvocations.size >= delivery);
        await app.clock.advance(31_000);
      }
      await app.jira.idle();
    } finally {
      g.__forge_fetch__ = realFetch;
    }
    assert.equal(failedInvocations.size, 5, 'one delivery and four retries, then Forge gives up');
    assert.equal(app.jira.issue(key)?.status, 'Done', 'the validators passed: the issue moved');
    assert.equal((await grantOf(app, key)).status, 'active', 'the post-function gave up: the grant did not end');
    assert.ok(orgAdmins(app).includes(A.alice));

    await app.sweep();
    const alerts = answer(await app.admin(A['perm-1'], 'getAlerts'));
    assert.ok(alerts.ok);
    const diverged = alerts.data.filter((a: { code: string }) => a.code === 'STATUS_AHEAD_OF_GRANT');
    assert.equal(diverged.length, 1);
    assert.equal(diverged[0].severity, 'critical');
    assert.match(diverged[0].message, /closed in Jira, but its grant is still active/);
    const comment = appComments(app, key).at(-1)?.text ?? '';
    assert.match(comment, /this issue's status does not match its grant/);
    assert.match(comment, /use the JIT Admin panel/);
    assert.ok(orgAdmins(app).includes(A.alice), 'a status alone never revokes: the sweep does not know who moved the issue');

    const comments = app.jira.comments(key).length;
    await app.sweep();
    const again = answer(await app.admin(A['perm-1'], 'getAlerts'));
    assert.ok(again.ok);
    assert.equal(again.data.filter((a: { code: string }) => a.code === 'STATUS_AHEAD_OF_GRANT').length, 1, 'reported once');
    assert.equal(app.jira.comments(key).length, comments, 'commented once');

    // The requester ends it from the panel, as the comment asks: status and grant agree again.
    assert.ok(answer(await app.panel(A.alice, key, 'complete')).ok);
    assert.ok(!orgAdmins(app).includes(A.alice));
  } finally {
    await app.close();
  }
});

test('in a workflow without the validators a self-approval moves the issue; the post-function refuses it and the sweep reports the status', async () => {
  const app = await demoApp({ scheduleSweep: false, workflow: jitWorkflow({ withValidators: false }) });
  try {
    const key = await requestOrgAdmin(app);
    assert.equal((await restTransition(app, A.alice, key, 'approve')).status, 204);
    assert.equal(app.jira.issue(key)?.status, 'Approved');
    assert.equal((await grantOf(app, key)).status, 'requested', 'the core refused the self-approval');
    await app.sweep();
    const alerts = answer(await app.admin(A['perm-1'], 'getAlerts'));
    assert.ok(alerts.ok);
    const diverged = alerts.data.find((a: { code: string }) => a.code === 'STATUS_AHEAD_OF_GRANT');
    assert.equal(diverged?.severity, 'warning');
    assert.match(diverged?.message ?? '', /moved past approval in Jira, but JIT Admin recorded no approval/);
  } finally {
    await app.close();
  }
});

test('the sweep rewrites an issue property that no longer says what the core says', async () => {
  const app = await demoApp({ scheduleSweep: false });
  try {
    const key = await requestOrgAdmin(app);
    const genuine = app.jira.property(key, 'jit-admin-grant');
    // The mirror writes by issue id (it survives a move).
    app.jira.injectFault({ status: 403, method: 'PUT', path: `/rest/api/3/issue/${app.jira.issue(key)!.id}/properties`, times: 1 });
    assert.ok(answer(await app.panel(A.bob, key, 'approve')).ok, 'the decision stands although its mirror failed');
    assert.deepEqual(app.jira.property(key, 'jit-admin-grant'), genuine, 'the property is stale');
    await app.sweep();
    const property = app.jira.property(key, 'jit-admin-grant') as { status: string; gate: { approve: { accounts: string[] } } };
    assert.equal(property.status, 'approved');
    assert.deepEqual(property.gate.approve.accounts, [], 'nobody may approve an approved grant again');
  } finally {
    await app.close();
  }
});

test('the demo workflow carries the manifest’s validators in front of every JIT post-function', () => {
  const manifest = parseYaml(readFileSync(new URL('../manifest.yml', import.meta.url), 'utf8')) as {
    modules: { 'jira:workflowValidator': Array<{ key: string; function?: string; expression?: string; projectTypes?: string[] }> };
  };
  const modules = new Map(manifest.modules['jira:workflowValidator'].map((m) => [m.key, m]));
  assert.equal(modules.get('jit-record-current')?.function, 'validate-record');
  for (const [event, t] of Object.entries(TRANSITIONS)) {
    const def = JIT_WORKFLOW.transitions.find((x) => x.id === t.transitionId);
    assert.ok(def, event);
    assert.deepEqual(
      def.validators?.map((v) => `${v.type}:${v.moduleKey}`),
      ['function:jit-record-current', `expression:${t.validators[1]}`],
      `${event} is gated by the record check and its own expression`,
    );
    const expression = modules.get(t.validators[1])?.expression ?? '';
    const gateKey = event === 'approveExtension' ? 'approveExtension' : event;
    assert.match(expression, new RegExp(`p\\.gate\\.${gateKey};`), `${t.validators[1]} reads the ${event} gate`);
    assert.doesNotThrow(() => parseExpression(expression), `${t.validators[1]} is within the subset the emulator evaluates`);
    assert.deepEqual(modules.get(t.validators[1])?.projectTypes, ['company-managed', 'team-managed']);
  }
  assert.equal(jitWorkflow({ withValidators: false }).transitions.some((x) => x.validators?.length), false);
});

test('the expression subset refuses what it does not support, and such a validator fails closed', async () => {
  for (const unsupported of ['issue?.key', 'issue.comments.some(c => true)', 'new Date()', 'issue.key + 1', 'issue.key.startsWith("J")', 'x = 1']) {
    assert.throws(() => evaluateExpression(unsupported, { issue: { key: 'JIT-1', comments: [] } }), ExpressionError, unsupported);
  }
  assert.throws(() => evaluateExpression('null.key', {}), ExpressionError, 'reading a member of null is an evaluation error');
  assert.equal(evaluateExpression("let m = issue.properties['p']; m.deny['bob'] == null", { issue: { properties: { p: { deny: {} } } } }), true, 'a missing key reads as null');

  const errors: string[] = [];
  const jira = await startJiraEmulator({
    users: [{ accountId: A.bob, displayName: 'Bob' }],
    onValidatorError: (e) => errors.push(String(e)),
    workflow: {
      ...JIT_WORKFLOW,
      transitions: [{ id: '21', name: 'Approve', from: ['10001'], to: '10002', validators: [{ type: 'expression', moduleKey: 'v', expression: 'issue?.key != null', errorMessage: 'could not check' }] }],
    },
  });
  try {
    const issue = jira.createIssue({ summary: 'x' });
    await assert.rejects(jira.transition(issue.key, '21', { actor: A.bob }), /could not check/);
    assert.equal(jira.issue(issue.key)?.status, 'Waiting for approval');
    assert.match(errors[0] ?? '', /optional chaining is not supported/);
  } finally {
    await jira.close();
  }
});
