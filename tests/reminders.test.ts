/**
 * Notices through Jira's own notifications, end to end on the emulated clock with no sweep: the
 * queue's "wake me at T" alone brings the reminder, the expiry and the end-of-window warning on
 * time, each as a comment whose mention nodes are the people Jira notifies. And the service-
 * management portal's resolver: the same grant and buttons on the customer's request page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LocalApp } from '../playground/local-app';
import { activeOrgAdmin, answer, demoApp, orgAdmins, requestOrgAdmin, T0, windowEnd } from './support/app';

const MINUTE = 60_000;

/** The accounts a comment's ADF mentions: whom Jira notifies. */
function mentioned(body: unknown): string[] {
  const out: string[] = [];
  const walk = (n: unknown) => {
    if (!n || typeof n !== 'object') return;
    const node = n as { type?: string; attrs?: { id?: string }; content?: unknown[] };
    if (node.type === 'mention' && node.attrs?.id) out.push(node.attrs.id);
    for (const c of node.content ?? []) walk(c);
  };
  walk(body);
  return out;
}

const commentsOn = (app: LocalApp, key: string) => app.jira.comments(key).map((c) => ({ text: c.text, mentions: mentioned(c.body) }));

test('a new request mentions its approvers (never more than maxApproversNotified), the queue reminds them before the deadline, and an unanswered request expires unapproved', async () => {
  const app = await demoApp({ scheduleSweep: false });
  try {
    const policy = (answer(await app.admin('perm-1', 'getPolicy')) as { ok: true; data: { policy: any } }).data.policy;
    policy.targets[0].maxApproversNotified = 2;
    policy.targets[0].approvalReminderBeforeMinutes = 120;
    await app.changePolicy(policy);
    const key = await requestOrgAdmin(app);
    const submitted = commentsOn(app, key).at(-1)!;
    assert.deepEqual(submitted.mentions, ['alice', 'bob', 'carol'], submitted.text);
    assert.match(submitted.text, /Approval needed from .* and 1 more approver by /);

    const deadline = T0 + 24 * 60 * MINUTE;
    await app.clock.advanceTo(deadline - 120 * MINUTE - 1000);
    assert.equal(commentsOn(app, key).length, 1, 'nothing before the reminder time');
    await app.clock.advanceTo(deadline - 120 * MINUTE);
    const reminder = commentsOn(app, key).at(-1)!;
    assert.match(reminder.text, /^Reminder: /);
    assert.deepEqual(reminder.mentions, ['bob', 'carol']);

    await app.clock.advanceTo(deadline);
    const view = answer(await app.panel('alice', key, 'getView'));
    assert.ok(view.ok);
    assert.equal(view.data.view.grant.grant.outcome, 'unapproved');
    assert.equal(view.data.view.grant.state, 'expired unapproved');
    const expired = commentsOn(app, key).at(-1)!;
    assert.deepEqual(expired.mentions, ['alice']);
    assert.match(expired.text, /expired unapproved/);
    const events = view.data.timeline.map((r: { event: string }) => r.event);
    assert.deepEqual(events.slice(-2), ['approvalReminder', 'expire']);
  } finally {
    await app.close();
  }
});

test('the requester is warned ten minutes before the window ends with the way to ask for more time, and told when the access is removed and verified gone', async () => {
  const app = await demoApp({ scheduleSweep: false });
  try {
    const key = await activeOrgAdmin(app);
    const end = await windowEnd(app, key);
    await app.clock.advanceTo(end - 10 * MINUTE - 1000);
    assert.ok(!commentsOn(app, key).some((c) => /ends at/.test(c.text)), 'no warning early');
    await app.clock.advanceTo(end - 10 * MINUTE);
    const warning = commentsOn(app, key).at(-1)!;
    assert.deepEqual(warning.mentions, ['alice']);
    assert.match(warning.text, /in 10 minutes\)\. To keep it, use “Ask for more time” on this request \(2 extensions left\)\./);

    await app.clock.advanceTo(end);
    assert.ok(!orgAdmins(app).includes('alice'));
    const removed = commentsOn(app, key).at(-1)!;
    assert.match(removed.text, /Access removed: .* no longer holds Organization admin \(verified\)\./);
    assert.deepEqual(removed.mentions, ['alice']);
  } finally {
    await app.close();
  }
});

test('on the portal the requester sees the grant with the core’s buttons, elevates, asks for more time and marks it done; forged identity is ignored and refusals are audited as from the portal', async () => {
  const app = await demoApp({ scheduleSweep: false });
  try {
    const key = await requestOrgAdmin(app);
    assert.ok(answer(await app.panel('bob', key, 'approve')).ok);

    const view = answer(await app.portal('alice', key, 'getView'));
    assert.ok(view.ok);
    assert.equal(view.data.issueKey, key);
    const buttons = view.data.view.actions.filter((a: { allowed: boolean }) => a.allowed).map((a: { action: string }) => a.action);
    assert.deepEqual(buttons.sort(), ['activate', 'cancel']);

    const activated = answer(await app.portal('alice', key, 'activate'));
    assert.ok(activated.ok);
    assert.ok(orgAdmins(app).includes('alice'));
    const asked = answer(await app.portal('alice', key, 'requestExtension', { minutes: 30, justification: 'the migration runs longer' }));
    assert.ok(asked.ok);
    const done = answer(await app.portal('alice', key, 'complete'));
    assert.ok(done.ok);
    assert.ok(!orgAdmins(app).includes('alice'));

    // Someone else on the same request page gets no requester buttons, and a try is refused and audited.
    const other = answer(await app.portal('mallory', key, 'getView'));
    assert.ok(other.ok);
    assert.deepEqual(other.data.view.actions.filter((a: { allowed: boolean }) => a.allowed), []);
    // Identity and request in the payload are ignored: the platform's context decides.
    const refused = answer(await app.portal('mallory', key, 'cancel', { accountId: 'alice', actor: 'alice', issueKey: 'OTHER-1', grantId: 'x' }));
    assert.equal(!refused.ok && refused.error.code, 'NOT_REQUESTER');
    const timeline = answer(await app.portal('alice', key, 'getView'));
    assert.ok(timeline.ok);
    const record = timeline.data.timeline.find((r: { actor: string; outcome: string }) => r.actor === 'mallory' && r.outcome === 'refused');
    assert.equal(record?.details.source, 'portal');
  } finally {
    await app.close();
  }
});

test('the portal resolver refuses a call without a signed-in account or a request, and a request that does not exist', async () => {
  const app = await demoApp({ scheduleSweep: false });
  try {
    const missing = answer(await app.portal('alice', 'NOPE-1', 'getView'));
    assert.equal(!missing.ok && missing.error.code, 'NO_ISSUE');
    const anonymous = answer(await app.portal('', 'NOPE-1', 'getView'));
    assert.equal(!anonymous.ok && anonymous.error.code, 'NOT_SIGNED_IN');
  } finally {
    await app.close();
  }
});
