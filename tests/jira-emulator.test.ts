// The Jira emulator must behave like Jira Cloud REST v3 where the app depends on it: ADF-only
// comments, documented size limits, the request workflow, issue properties, users and groups,
// Jira's error shape, app authentication, transition events, snapshots.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ACT_AS_USER_HEADER, JIRA_LIMITS, startJiraEmulator, type JiraEmulator, type PostFunctionEvent } from '../playground/emulators/jira/index';

let jira: JiraEmulator;
let clockMs = Date.UTC(2026, 2, 1, 12, 0, 0);
const REQUESTER = '5b10ac8d82e05b22cc7d4ef5';
const APPROVER = '5b10ac8d82e05b22cc7d4ef6';

before(async () => {
  jira = await startJiraEmulator({
    now: () => clockMs,
    users: [
      { accountId: REQUESTER, displayName: 'Riley Requester', groups: ['jit-eligible', { name: 'site-admins', groupId: '276f955c-63d7-42c8-9520-92d01dca0625' }] },
      { accountId: APPROVER, displayName: 'Avery Approver', groups: ['jit-approvers'] },
    ],
  });
});
after(() => jira.close());

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${jira.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${jira.appToken}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const adf = (text: string) => ({ type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });

function newIssue(summary = 'Need org admin for SCIM fix') {
  return jira.createIssue({ summary, reporter: REQUESTER });
}

test('requests without the app identity get 401 in Jira error shape', async () => {
  const res = await fetch(`${jira.url}/rest/api/3/myself`);
  assert.equal(res.status, 401);
  const body = await res.json();
  assert.ok(Array.isArray(body.errorMessages) && body.errorMessages.length > 0);
  assert.deepEqual(body.errors, {});
  const wrong = await fetch(`${jira.url}/rest/api/3/myself`, { headers: { authorization: 'Bearer nope' } });
  assert.equal(wrong.status, 401);
});

test('create issue over HTTP then get it with summary, status, reporter, issuetype and project', async () => {
  const created = await call('POST', '/rest/api/3/issue', {
    fields: { project: { key: 'JIT' }, summary: 'Temporary site admin', issuetype: { name: 'Admin access request' }, reporter: { accountId: REQUESTER } },
  });
  assert.equal(created.status, 201);
  assert.match(created.body.key, /^JIT-\d+$/);
  assert.ok(created.body.id && created.body.self);

  const got = await call('GET', `/rest/api/3/issue/${created.body.key}`);
  assert.equal(got.status, 200);
  assert.equal(got.body.key, created.body.key);
  assert.equal(got.body.fields.summary, 'Temporary site admin');
  assert.equal(got.body.fields.status.name, 'Open');
  assert.equal(got.body.fields.status.statusCategory.key, 'new');
  assert.equal(got.body.fields.reporter.accountId, REQUESTER);
  assert.equal(got.body.fields.issuetype.name, 'Admin access request');
  assert.equal(got.body.fields.project.key, 'JIT');
  assert.equal(got.body.fields.created, '2026-03-01T12:00:00.000+0000', 'timestamps come from the injected clock');

  const byId = await call('GET', `/rest/api/3/issue/${created.body.id}?fields=summary,status`);
  assert.deepEqual(Object.keys(byId.body.fields).sort(), ['status', 'summary']);
});

test('create issue without summary or with an unknown project answers 400 with field errors', async () => {
  const res = await call('POST', '/rest/api/3/issue', { fields: { project: { key: 'NOPE' }, issuetype: { name: 'Task' } } });
  assert.equal(res.status, 400);
  assert.ok(res.body.errors.project);
  assert.ok(res.body.errors.summary);
});

test('unknown issues answer 404 with Jira error shape on every issue route', async () => {
  for (const [method, path, body] of [
    ['GET', '/rest/api/3/issue/JIT-9999'],
    ['GET', '/rest/api/3/issue/JIT-9999/comment'],
    ['POST', '/rest/api/3/issue/JIT-9999/comment', { body: adf('x') }],
    ['GET', '/rest/api/3/issue/JIT-9999/transitions'],
    ['GET', '/rest/api/3/issue/JIT-9999/properties'],
    ['PUT', '/rest/api/3/issue/JIT-9999/properties/p', { a: 1 }],
  ] as const) {
    const res = await call(method, path, body);
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.deepEqual(res.body, { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
  }
});

test('comments take ADF bodies and come back in PageOfComments, authored by the caller', async () => {
  const { key } = newIssue();
  const posted = await call('POST', `/rest/api/3/issue/${key}/comment`, { body: adf('Grant approved for 60 minutes.') });
  assert.equal(posted.status, 201);
  assert.equal(posted.body.author.accountId, jira.appAccountId);
  assert.deepEqual(posted.body.body, adf('Grant approved for 60 minutes.'));

  const page = await call('GET', `/rest/api/3/issue/${key}/comment`);
  assert.equal(page.status, 200);
  assert.equal(page.body.total, 1);
  assert.equal(page.body.comments[0].id, posted.body.id);
  assert.equal(jira.comments(key)[0]!.text, 'Grant approved for 60 minutes.');
});

test('comment bodies that are not ADF documents are rejected with 400 as in Jira v3', async () => {
  const { key } = newIssue();
  const plain = await call('POST', `/rest/api/3/issue/${key}/comment`, { body: 'plain text is v2 only' });
  assert.equal(plain.status, 400);
  assert.deepEqual(plain.body.errorMessages, []);
  assert.match(plain.body.errors.comment, /Atlassian Document/);

  const notDoc = await call('POST', `/rest/api/3/issue/${key}/comment`, { body: { type: 'paragraph', content: [] } });
  assert.equal(notDoc.status, 400);
  const badNode = await call('POST', `/rest/api/3/issue/${key}/comment`, {
    body: { type: 'doc', version: 1, content: [{ type: 'marquee', content: [] }] },
  });
  assert.equal(badNode.status, 400);
  const emptyText = await call('POST', `/rest/api/3/issue/${key}/comment`, {
    body: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: '' }] }] },
  });
  assert.equal(emptyText.status, 400);
  // A quote holds paragraphs, lists, code or media, and at least one of them.
  for (const content of [[], [{ type: 'text', text: 'bare text' }], [{ type: 'heading', content: [] }]]) {
    const badQuote = await call('POST', `/rest/api/3/issue/${key}/comment`, { body: { type: 'doc', version: 1, content: [{ type: 'blockquote', content }] } });
    assert.equal(badQuote.status, 400, JSON.stringify(content));
  }
  assert.equal(jira.comments(key).length, 0);
});

test('a quoted comment is accepted and rendered for the page with escaped text and mentions only from mention nodes', async () => {
  const { key } = newIssue();
  const body = {
    type: 'doc',
    version: 1,
    content: [
      { type: 'paragraph', content: [{ type: 'mention', attrs: { id: 'no-such-user' } }, { type: 'text', text: ' asked:' }] },
      { type: 'blockquote', content: [{ type: 'paragraph', content: [{ type: 'text', text: '<b>[~accountid:x]</b> “ok”' }] }] },
    ],
  };
  const r = await call('POST', `/rest/api/3/issue/${key}/comment`, { body });
  assert.equal(r.status, 201);
  const [c] = jira.comments(key);
  assert.equal(
    c!.html,
    '<p><span class="mention" data-account-id="no-such-user">@no-such-user</span> asked:</p><blockquote><p>&lt;b&gt;[~accountid:x]&lt;/b&gt; “ok”</p></blockquote>',
  );
});

test('comment text is limited to 32,767 characters', async () => {
  const { key } = newIssue();
  const atLimit = await call('POST', `/rest/api/3/issue/${key}/comment`, { body: adf('x'.repeat(JIRA_LIMITS.commentChars)) });
  assert.equal(atLimit.status, 201);
  const over = await call('POST', `/rest/api/3/issue/${key}/comment`, { body: adf('x'.repeat(JIRA_LIMITS.commentChars + 1)) });
  assert.equal(over.status, 400);
  assert.match(over.body.errors.comment, /32,767/);
});

test('JSON bodies need Content-Type application/json (415 otherwise)', async () => {
  const { key } = newIssue();
  const res = await fetch(`${jira.url}/rest/api/3/issue/${key}/comment`, {
    method: 'POST',
    headers: { authorization: `Bearer ${jira.appToken}`, 'content-type': 'text/plain' },
    body: JSON.stringify({ body: adf('hi') }),
  });
  assert.equal(res.status, 415);
});

test('transitions follow the request workflow by id and reject unavailable ones', async () => {
  const { key } = newIssue();
  const list = await call('GET', `/rest/api/3/issue/${key}/transitions`);
  assert.deepEqual(
    list.body.transitions.map((t: { id: string; name: string; to: { name: string } }) => [t.id, t.name, t.to.name]),
    [
      ['11', 'Submit for approval', 'Waiting for approval'],
      ['61', 'Cancel', 'Cancelled'],
    ],
  );

  const wrong = await call('POST', `/rest/api/3/issue/${key}/transitions`, { transition: { id: '21' } });
  assert.equal(wrong.status, 400);
  assert.deepEqual(wrong.body.errorMessages, ["Transition id '21' is not valid for this issue."]);

  for (const [id, status] of [
    ['11', 'Waiting for approval'],
    ['21', 'Approved'],
    ['41', 'In progress'],
    ['51', 'Done'],
  ]) {
    const r = await call('POST', `/rest/api/3/issue/${key}/transitions`, { transition: { id } });
    assert.equal(r.status, 204);
    assert.equal(jira.issue(key)!.status, status);
  }
  assert.deepEqual((await call('GET', `/rest/api/3/issue/${key}/transitions`)).body.transitions, []);

  const rejected = newIssue();
  await call('POST', `/rest/api/3/issue/${rejected.key}/transitions`, { transition: { id: '11' } });
  await call('POST', `/rest/api/3/issue/${rejected.key}/transitions`, { transition: { id: '31' } });
  assert.equal(jira.issue(rejected.key)!.status, 'Rejected');
  const cancelled = newIssue();
  await call('POST', `/rest/api/3/issue/${cancelled.key}/transitions`, { transition: { id: '61' } });
  assert.equal(jira.issue(cancelled.key)!.status, 'Cancelled');
});

test('transition listeners get the post-function event after the transition, with the actor as atlassianId', async () => {
  const { key, id } = newIssue();
  const events: PostFunctionEvent[] = [];
  const offApprove = jira.onTransition((e) => void events.push(e), { transitionIds: ['21'], configuration: { action: 'approve' }, moduleKey: 'jit-approve' });
  const offAll = jira.onTransition((e) => void events.push(e));
  try {
    await jira.transition(key, 'Submit for approval', { actor: REQUESTER });
    await jira.transition(key, '21', { actor: APPROVER, comment: 'Approved, keep it short.' });
    await jira.idle();
  } finally {
    offApprove();
    offAll();
  }
  assert.equal(events.length, 3, 'one event for the catch-all listener per transition, one for the approve listener');
  const approve = events.filter((e) => e.transition.transitionId === 21);
  assert.equal(approve.length, 2);
  const configured = approve.find((e) => e.context.moduleKey === 'jit-approve')!;
  assert.deepEqual(configured.issue, { id, key });
  assert.equal(configured.atlassianId, APPROVER);
  assert.deepEqual(configured.configuration, { action: 'approve' });
  assert.equal(configured.transition.from_status, 'Waiting for approval');
  assert.equal(configured.transition.to_status, 'Approved');
  assert.equal(configured.transition.transitionName, 'Approve');
  assert.ok(configured.changelog.id);
  assert.ok(configured.comment?.id, 'a comment added on the transition is referenced');
  assert.equal(approve[0]!.transition.executionId, approve[1]!.transition.executionId, 'one executionId per transition');
  assert.equal(jira.issue(key)!.status, 'Approved', 'listeners run after the status changed');
  assert.equal(configured.workflow.workflowName, jira.workflow.name);
});

test('a transition made over HTTP fires listeners with the calling identity', async () => {
  const { key } = newIssue();
  const seen: string[] = [];
  const off = jira.onTransition((e) => void seen.push(e.atlassianId));
  await call('POST', `/rest/api/3/issue/${key}/transitions`, { transition: { id: '11' } }, { [ACT_AS_USER_HEADER]: REQUESTER });
  await call('POST', `/rest/api/3/issue/${key}/transitions`, { transition: { id: '61' } });
  await jira.idle();
  off();
  assert.deepEqual(seen, [REQUESTER, jira.appAccountId]);
});

test('issue properties: create 201, update 200, get, list keys, delete 204, then 404', async () => {
  const { key } = newIssue();
  const path = `/rest/api/3/issue/${key}/properties/jit-admin-grant`;
  assert.equal((await call('PUT', path, { state: 'active', until: 1 })).status, 201);
  assert.equal((await call('PUT', path, { state: 'revoked' })).status, 200);
  assert.deepEqual((await call('GET', path)).body, { key: 'jit-admin-grant', value: { state: 'revoked' } });
  const keys = await call('GET', `/rest/api/3/issue/${key}/properties`);
  assert.deepEqual(keys.body.keys.map((k: { key: string }) => k.key), ['jit-admin-grant']);
  const props = await call('GET', `/rest/api/3/issue/${key}?fields=summary&properties=jit-admin-grant`);
  assert.deepEqual(props.body.properties, { 'jit-admin-grant': { state: 'revoked' } });
  assert.equal((await call('DELETE', path)).status, 204);
  const gone = await call('GET', path);
  assert.equal(gone.status, 404);
  assert.ok(gone.body.errorMessages[0].includes('jit-admin-grant'));
});

test('issue property values are limited to 32,768 characters and keys to 255', async () => {
  const { key } = newIssue();
  const base = `/rest/api/3/issue/${key}/properties`;
  const value = (chars: number) => 'x'.repeat(chars - 2); // a JSON string: two quotes + content
  assert.equal((await call('PUT', `${base}/p`, value(JIRA_LIMITS.propertyValueChars))).status, 201);
  const over = await call('PUT', `${base}/p`, value(JIRA_LIMITS.propertyValueChars + 1));
  assert.equal(over.status, 400);
  assert.match(over.body.errorMessages[0], /32768/);
  assert.equal((await call('PUT', `${base}/${'k'.repeat(255)}`, 1)).status, 201);
  assert.equal((await call('PUT', `${base}/${'k'.repeat(256)}`, 1)).status, 400);
  const empty = await fetch(`${jira.url}${base}/empty`, { method: 'PUT', headers: { authorization: `Bearer ${jira.appToken}` } });
  assert.equal(empty.status, 400);
});

test('users, user groups [{name, groupId}] and myself', async () => {
  const user = await call('GET', `/rest/api/3/user?accountId=${REQUESTER}`);
  assert.equal(user.status, 200);
  assert.equal(user.body.displayName, 'Riley Requester');
  assert.equal(user.body.accountType, 'atlassian');

  const groups = await call('GET', `/rest/api/3/user/groups?accountId=${REQUESTER}`);
  assert.equal(groups.status, 200);
  assert.deepEqual(
    groups.body.map((g: { name: string; groupId: string }) => ({ name: g.name, groupId: g.groupId })),
    [
      { name: 'jit-eligible', groupId: groups.body[0].groupId },
      { name: 'site-admins', groupId: '276f955c-63d7-42c8-9520-92d01dca0625' },
    ],
  );
  assert.match(groups.body[0].groupId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);

  assert.equal((await call('GET', '/rest/api/3/user/groups?accountId=nobody')).status, 404);
  assert.equal((await call('GET', '/rest/api/3/user/groups')).status, 400);

  const me = await call('GET', '/rest/api/3/myself');
  assert.equal(me.body.accountId, jira.appAccountId);
  assert.equal(me.body.accountType, 'app');
  const meAsUser = await call('GET', '/rest/api/3/myself', undefined, { [ACT_AS_USER_HEADER]: APPROVER });
  assert.equal(meAsUser.body.accountId, APPROVER);
});

test('unknown paths answer 404 and wrong methods 405, both in Jira error shape', async () => {
  const nope = await call('GET', '/rest/api/3/nothing-here');
  assert.equal(nope.status, 404);
  assert.ok(Array.isArray(nope.body.errorMessages));
  const method = await call('DELETE', '/rest/api/3/myself');
  assert.equal(method.status, 405);
});

test('injected faults answer once with the given status and headers, then Jira recovers', async () => {
  jira.injectFault({ status: 429, path: '/rest/api/3/myself', headers: { 'retry-after': '2' } });
  const res = await fetch(`${jira.url}/rest/api/3/myself`, { headers: { authorization: `Bearer ${jira.appToken}` } });
  assert.equal(res.status, 429);
  assert.equal(res.headers.get('retry-after'), '2');
  assert.equal((await call('GET', '/rest/api/3/myself')).status, 200);
});

test('a snapshot exported from one emulator restores issues, comments, properties and users in another', async () => {
  const { key } = newIssue('snapshot me');
  await call('POST', `/rest/api/3/issue/${key}/comment`, { body: adf('kept') });
  await call('PUT', `/rest/api/3/issue/${key}/properties/jit-admin-grant`, { v: 1 });
  await jira.transition(key, '11', { actor: REQUESTER });
  const snapshot = JSON.parse(JSON.stringify(jira.exportSnapshot()));

  const other = await startJiraEmulator({ snapshot });
  try {
    assert.deepEqual(other.issue(key), jira.issue(key));
    assert.deepEqual(other.comments(key).map((c) => c.text), ['kept']);
    assert.deepEqual(other.property(key, 'jit-admin-grant'), { v: 1 });
    const next = other.createIssue({ summary: 'after restore', reporter: REQUESTER });
    assert.notEqual(next.key, key);
    assert.ok(Number(next.key.split('-')[1]) > Number(key.split('-')[1]), 'key counters continue');
  } finally {
    await other.close();
  }
});
