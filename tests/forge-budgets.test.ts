// The app lives within Forge's invocation limits: a click or a transition answers well inside its
// 25 s even when the org API is slow, handing the grant or revoke to the queue consumer, which
// finishes it; the budgets fit the limits and the manifest; grants survive an issue moving to
// another project; the sweep answers its scheduled trigger with a status code.
import { VirtualClock } from '../playground/forge-runtime/index';
import { demoPolicy, manifestModules, startLocalApp, type LocalApp } from '../playground/local-app';
import { INVOCATION_BUDGETS, jiraCallMs } from '../forge-app/src/adapters/forge';
import { timeLimitSeconds } from '../playground/forge-runtime/manifest';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activeOrgAdmin, answer, orgAdmins, T0 } from './support/app';

/** Advances the clock until `done()` holds, at most `maxMs`. */
async function until(app: LocalApp & { clock: VirtualClock }, done: () => boolean, maxMs: number, stepMs = 1000): Promise<number> {
  const start = app.clock.now();
  while (!done() && app.clock.now() - start < maxMs) await app.clock.advance(stepMs);
  return app.clock.now() - start;
}

async function slowApp() {
  const clock = new VirtualClock(T0);
  const app = (await startLocalApp({ clock, orgOptions: { verifyIntervalMs: 2_000 } })) as LocalApp & { clock: VirtualClock };
  await app.seedPolicy(demoPolicy());
  return app;
}

test('with every org-API request taking 5 s, each click and transition answers within 25 s, and the grant and the revoke still complete through the queue', async () => {
  const app = await slowApp();
  try {
    const issue = app.createIssue('Org admin for the SAML rotation', 'alice');
    const submitted = answer(await app.panel('alice', issue.key, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'rotate the SAML certificate' }));
    assert.ok(submitted.ok);
    assert.ok(answer(await app.panel('bob', issue.key, 'approve')).ok);

    app.runtime.setEgressLatency(() => 5_000);
    const activated = answer(await app.clock.drive(app.panel('alice', issue.key, 'activate')));
    assert.ok(activated.ok, JSON.stringify(activated));
    const granted = await until(app, () => orgAdmins(app).includes('alice'), 5 * 60_000);
    assert.ok(orgAdmins(app).includes('alice'), 'the grant landed');
    assert.ok(granted < 2 * 60_000, `through the queue, promptly (${granted} ms)`);

    await app.clock.drive(app.deliverPostFunction('alice', issue.key, 'complete'));
    await until(app, () => !orgAdmins(app).includes('alice'), 10 * 60_000);
    assert.ok(!orgAdmins(app).includes('alice'), 'the revoke completed');
    await until(app, () => false, 2 * 60_000);
    const view = answer(await app.clock.drive(app.panel('alice', issue.key, 'getView')));
    assert.ok(view.ok);
    assert.equal(view.data.view.grant.grant.provisioning.state, 'revoked');

    const short = app.runtime.invocations.filter((r) => r.kind === 'resolver' || r.kind === 'postFunction');
    assert.ok(short.length >= 5);
    for (const r of short) {
      assert.equal(r.outcome, 'ok', `${r.moduleKey} ${r.outcome} ${r.error ?? ''}`);
      assert.ok(r.endedAt! - r.startedAt < r.limitMs, `${r.moduleKey} took ${r.endedAt! - r.startedAt} ms`);
    }
    assert.ok(app.logLines.some((l) => l.includes('action handed to the queue')), 'a click handed its grant or revoke over');
    const timedOut = app.runtime.invocations.filter((r) => r.outcome === 'timeout');
    assert.deepEqual(timedOut, [], 'no invocation ran out of time, the consumer included');
  } finally {
    await app.close();
  }
});

test('the budget of every invocation kind fits its Forge limit, and the consumer and sweep limits are the manifest’s timeoutSeconds', () => {
  const modules = manifestModules();
  const limits = {
    resolver: timeLimitSeconds('resolver') * 1000,
    postFunction: timeLimitSeconds('postFunction') * 1000,
    consumer: timeLimitSeconds('consumer', modules['jit-consumer']?.timeoutSeconds) * 1000,
    sweep: timeLimitSeconds('scheduledTrigger', modules['jit-sweep']?.timeoutSeconds) * 1000,
  };
  for (const [kind, b] of Object.entries(INVOCATION_BUDGETS) as Array<[keyof typeof limits, (typeof INVOCATION_BUDGETS)['resolver']]>) {
    assert.equal(b.limitMs, limits[kind], `${kind}: the budget's limit is the platform's`);
    const longest = b.leaseWaitMs + 2 * b.orgOperationMs; // an org-admin revoke: lease, guard read, revoke
    assert.ok(longest + jiraCallMs(b) + 2_000 <= b.limitMs - b.safetyMs, `${kind}: its longest action and recording it fit in ${b.limitMs} ms`);
    assert.ok(b.inlineMs < b.limitMs && b.orgRequestMs <= b.orgOperationMs, kind);
  }
  assert.equal(INVOCATION_BUDGETS.resolver.leaseWaitMs, 0, 'a click never waits for another revoke');
});

test('grants are keyed by the issue id: after the issue moves to another project, the panel and the workflow still find the grant, and comments and the property follow the issue', async () => {
  const clock = new VirtualClock(T0);
  const app = (await startLocalApp({ clock })) as LocalApp & { clock: VirtualClock };
  try {
    await app.seedPolicy(demoPolicy());
    const key = await activeOrgAdmin(app);
    const id = app.jira.issue(key)!.id;
    const moved = app.jira.moveIssue(key, 'OPS');
    assert.deepEqual(moved, { id, key: 'OPS-1' });
    // The old key still finds the moved issue (Jira keeps it as a historical key).
    const old = (await (await app.runtime.rawFetch(`${app.jira.url}/rest/api/3/issue/${key}`, { headers: { authorization: `Bearer ${app.jira.appToken}` } })).json()) as { id: string; key: string };
    assert.deepEqual([old.id, old.key], [id, 'OPS-1']);

    const view = answer(await app.panel('alice', 'OPS-1', 'getView'));
    assert.ok(view.ok);
    assert.equal(view.data.view.grant?.grant.id, id, 'the panel on the moved issue shows its grant');
    assert.equal(view.data.view.grant.grant.status, 'active');

    await app.deliverPostFunction('alice', 'OPS-1', 'complete');
    assert.ok(!orgAdmins(app).includes('alice'), 'the workflow on the moved issue revoked the grant');
    const comments = app.jira.comments('OPS-1').filter((c) => c.author === app.jira.appAccountId);
    assert.ok(comments.length > 0);
    const afterMove = app.jira.requests.filter((r) => r.method === 'POST' && /\/comment$/.test(r.path)).at(-1)!;
    assert.equal(afterMove.path, `/rest/api/3/issue/${id}/comment`, 'the comment went to the issue by its id');
    assert.equal((app.jira.property('OPS-1', 'jit-admin-grant') as { status: string }).status, 'ended');
    const ended = answer(await app.panel('alice', 'OPS-1', 'getView'));
    assert.ok(ended.ok);
    assert.equal(ended.data.view.grant.grant.status, 'ended');
  } finally {
    await app.close();
  }
});

test('the sweep answers its scheduled trigger with {statusCode: 200}', async () => {
  const clock = new VirtualClock(T0);
  const app = await startLocalApp({ clock });
  try {
    await app.seedPolicy(demoPolicy());
    await app.sweep();
    const run = app.runtime.scheduledTriggerRuns.at(-1)!;
    assert.deepEqual([run.moduleKey, run.status, run.ok], ['jit-sweep', 200, true]);
  } finally {
    await app.close();
  }
});
