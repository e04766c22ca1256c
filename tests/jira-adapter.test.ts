// The Jira adapter, driven through the real `api.asApp().requestJira` of @forge/api and the local
// Forge runtime, against the Jira emulator: ADF comments, the grant property and its limit, user
// groups, issue reads, retries of 429/5xx, and typed errors carrying Jira's messages.
import { startJiraEmulator, type JiraEmulator } from '../playground/emulators/jira/index';
import { startForgeRuntime, type ForgeRuntime } from '../playground/forge-runtime/index';
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import api from '@forge/api';
import { COMMENT_MAX_CHARS, createJira, GRANT_PROPERTY_KEY, JiraError, JiraLimitError, PROPERTY_VALUE_MAX_CHARS, textToAdf, type JiraPort } from '../forge-app/src/adapters/jira';

const REQUESTER = '5b10ac8d82e05b22cc7d4ef5';
let jira: JiraEmulator;
let rt: ForgeRuntime;
let adapter: JiraPort;
let waits: number[];
let logs: string[];

before(async () => {
  jira = await startJiraEmulator({
    users: [{ accountId: REQUESTER, displayName: 'Riley Requester', groups: ['jit-eligible', { name: 'org-admins-jit', groupId: 'a3c1f0e2-1111-4222-8333-444455556666' }] }],
  });
  rt = await startForgeRuntime({ jiraUrl: jira.url, jiraAppToken: jira.appToken });
});
after(async () => {
  await rt.close();
  await jira.close();
});
beforeEach(() => {
  jira.clearFaults();
  waits = [];
  logs = [];
  adapter = createJira(api.asApp().requestJira, (l) => logs.push(l), { sleep: async (ms) => void waits.push(ms) });
});

const issueKey = () => jira.createIssue({ summary: 'Need org admin', reporter: REQUESTER }).key;
const requestsTo = (suffix: string) => jira.requests.filter((r) => r.path.endsWith(suffix));

test('comment sends plain text as an ADF document, one paragraph per line, with mentions', async () => {
  const key = issueKey();
  await adapter.comment(key, `Granted org admin to [~accountid:${REQUESTER}] for 60 minutes.\n\nExpires at 10:00 UTC.`);
  const [c] = jira.comments(key);
  assert.equal(c!.author, jira.appAccountId);
  assert.deepEqual(c!.body, {
    type: 'doc',
    version: 1,
    content: [
      {
        type: 'paragraph',
        content: [
          { type: 'text', text: 'Granted org admin to ' },
          { type: 'mention', attrs: { id: REQUESTER } },
          { type: 'text', text: ' for 60 minutes.' },
        ],
      },
      { type: 'paragraph', content: [] },
      { type: 'paragraph', content: [{ type: 'text', text: 'Expires at 10:00 UTC.' }] },
    ],
  });
  // exactly what @forge/api's asApp().requestJira hands to __forge_fetch__ (accountId is present, undefined)
  assert.deepEqual(rt.fetchLog.at(-1)!.target, { type: 'fpp', provider: 'app', accountId: undefined, remote: 'jira' });
});

test('a comment longer than 32,767 characters is truncated with a note, and Jira accepts it', async () => {
  const key = issueKey();
  await adapter.comment(key, 'y'.repeat(COMMENT_MAX_CHARS + 500));
  const [c] = jira.comments(key);
  assert.equal(c!.text.length, COMMENT_MAX_CHARS);
  assert.match(c!.text, /truncated/);
  assert.ok(logs.some((l) => l.includes('truncated')));
  await assert.rejects(adapter.comment(key, '   \n '), /empty comment/);
});

test('setGrantProperty stores the jit-admin-grant issue property', async () => {
  const key = issueKey();
  const grant = { v: 1, state: 'active', role: 'atlassian/org-admin', until: '2026-05-01T10:00:00Z' };
  await adapter.setGrantProperty(key, grant);
  assert.deepEqual(jira.property(key, GRANT_PROPERTY_KEY), grant);
  await adapter.setGrantProperty(key, { ...grant, state: 'revoked' });
  assert.equal((jira.property(key, GRANT_PROPERTY_KEY) as { state: string }).state, 'revoked');
});

test('setGrantProperty accepts exactly 32,768 characters of JSON and refuses more without calling Jira', async () => {
  const key = issueKey();
  const atLimit = { pad: 'x'.repeat(PROPERTY_VALUE_MAX_CHARS - '{"pad":""}'.length) };
  assert.equal(JSON.stringify(atLimit).length, PROPERTY_VALUE_MAX_CHARS);
  await adapter.setGrantProperty(key, atLimit);
  const before = jira.requests.length;
  await assert.rejects(adapter.setGrantProperty(key, { pad: `${atLimit.pad}x` }), (e: unknown) => {
    assert.ok(e instanceof JiraLimitError);
    assert.equal(e.limit, PROPERTY_VALUE_MAX_CHARS);
    assert.equal(e.size, PROPERTY_VALUE_MAX_CHARS + 1);
    return true;
  });
  assert.equal(jira.requests.length, before, 'no request was sent');
});

test('userGroups returns the group ids of a user; an unknown user is a JiraError 404 with Jira messages', async () => {
  const groups = await adapter.userGroups(REQUESTER);
  assert.equal(groups.length, 2);
  assert.equal(groups[1], 'a3c1f0e2-1111-4222-8333-444455556666');
  await assert.rejects(adapter.userGroups('nobody'), (e: unknown) => {
    assert.ok(e instanceof JiraError);
    assert.equal(e.status, 404);
    assert.equal(e.method, 'GET');
    assert.match(e.path, /^\/rest\/api\/3\/user\/groups\?accountId=nobody$/);
    assert.ok(e.errorMessages.length > 0);
    return true;
  });
});

test('issue returns key, id, summary, reporter and status name, or null when the issue does not exist', async () => {
  const key = issueKey();
  await jira.transition(key, 'Submit for approval', { actor: REQUESTER });
  const issue = await adapter.issue(key);
  assert.deepEqual(issue, { key, id: jira.issue(key)!.id, summary: 'Need org admin', reporter: REQUESTER, status: 'Waiting for approval', statusCategory: 'new' });
  assert.equal(await adapter.issue('JIT-99999'), null);
  assert.equal(requestsTo('/JIT-99999').length, 1, 'a 404 is not retried');
});

test('429 is retried after Retry-After, then succeeds', async () => {
  const key = issueKey();
  jira.injectFault({ status: 429, method: 'POST', path: `/rest/api/3/issue/${key}/comment`, headers: { 'retry-after': '2' }, times: 2 });
  await adapter.comment(key, 'after the rate limit');
  assert.deepEqual(waits, [2000, 2000]);
  assert.equal(jira.comments(key).length, 1);
  assert.equal(logs.filter((l) => l.includes('answered 429')).length, 2);
});

test('5xx is retried with backoff for idempotent calls but not for POST comment', async () => {
  const key = issueKey();
  jira.injectFault({ status: 503, method: 'PUT', path: `/rest/api/3/issue/${key}/properties`, times: 2 });
  await adapter.setGrantProperty(key, { ok: true });
  assert.deepEqual(waits, [500, 1000]);
  assert.deepEqual(jira.property(key, GRANT_PROPERTY_KEY), { ok: true });

  waits = [];
  jira.injectFault({ status: 503, method: 'POST', path: `/rest/api/3/issue/${key}/comment` });
  await assert.rejects(adapter.comment(key, 'maybe twice?'), (e: unknown) => e instanceof JiraError && e.status === 503);
  assert.deepEqual(waits, []);
  assert.equal(jira.comments(key).length, 0);
});

test('a call that keeps failing gives up after the attempts and surfaces Jira\'s error', async () => {
  jira.injectFault({
    status: 429,
    path: '/rest/api/3/user/groups',
    times: 5,
    body: { errorMessages: ['Rate limit exceeded.'], errors: {} },
  });
  await assert.rejects(adapter.userGroups(REQUESTER), (e: unknown) => {
    assert.ok(e instanceof JiraError);
    assert.equal(e.status, 429);
    assert.deepEqual(e.errorMessages, ['Rate limit exceeded.']);
    assert.match(e.message, /HTTP 429: Rate limit exceeded\./);
    return true;
  });
  assert.equal(waits.length, 2, 'three attempts, two waits');
  jira.clearFaults();
});

test('errors from Jira carry status and messages; path manipulation is refused before any request', async () => {
  await assert.rejects(adapter.setGrantProperty('JIT-99999', { a: 1 }), (e: unknown) => {
    assert.ok(e instanceof JiraError);
    assert.equal(e.status, 404);
    assert.deepEqual(e.errorMessages, ['Issue does not exist or you do not have permission to see it.']);
    return true;
  });
  const before = jira.requests.length;
  await assert.rejects(adapter.comment('JIT-1/../../myself', 'x'), /path manipulation/);
  await assert.rejects(adapter.issue('JIT-1?fields=*all'), /path manipulation/);
  assert.equal(jira.requests.length, before);
});

test('textToAdf keeps empty lines as empty paragraphs and never emits empty text nodes', () => {
  assert.deepEqual(textToAdf('a\n\nb').content, [
    { type: 'paragraph', content: [{ type: 'text', text: 'a' }] },
    { type: 'paragraph', content: [] },
    { type: 'paragraph', content: [{ type: 'text', text: 'b' }] },
  ]);
  assert.deepEqual(textToAdf('[~accountid:abc]').content, [{ type: 'paragraph', content: [{ type: 'mention', attrs: { id: 'abc' } }] }]);
});
