// The Jira adapter, driven through the real `api.asApp().requestJira` of @forge/api and the local
// Forge runtime, against the Jira emulator: ADF comments, the grant property and its limit, user
// groups, issue reads, retries of 429/5xx, and typed errors carrying Jira's messages.
import { startJiraEmulator, type JiraEmulator } from '../playground/emulators/jira/index';
import { startForgeRuntime, type ForgeRuntime } from '../playground/forge-runtime/index';
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import api from '@forge/api';
import { COMMENT_MAX_CHARS, commentToAdf, createJira, GRANT_PROPERTY_KEY, JiraError, JiraLimitError, PROPERTY_VALUE_MAX_CHARS, type JiraPort } from '../forge-app/src/adapters/jira';
import type { CommentBlock } from '../forge-app/src/decision/core';

/** A comment of the app's own words only. */
const words = (text: string): CommentBlock[] => [{ type: 'paragraph', content: [{ type: 'text', text }] }];

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

test('comment sends the core\'s blocks as an ADF document: paragraphs with mentions, user text in a labelled quote', async () => {
  const key = issueKey();
  await adapter.comment(key, [
    {
      type: 'paragraph',
      content: [
        { type: 'text', text: 'Granted org admin to ' },
        { type: 'mention', accountId: REQUESTER },
        { type: 'text', text: ' for 60 minutes.' },
      ],
    },
    { type: 'userText', label: 'Justification', text: 'Rotate the SAML certificate' },
    { type: 'paragraph', content: [{ type: 'text', text: 'Expires at 10:00 UTC.' }] },
  ]);
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
      { type: 'paragraph', content: [{ type: 'text', text: 'Justification:', marks: [{ type: 'strong' }] }] },
      { type: 'blockquote', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Rotate the SAML certificate' }] }] },
      { type: 'paragraph', content: [{ type: 'text', text: 'Expires at 10:00 UTC.' }] },
    ],
  });
  // exactly what @forge/api's asApp().requestJira hands to __forge_fetch__ (accountId is present, undefined)
  assert.deepEqual(rt.fetchLog.at(-1)!.target, { type: 'fpp', provider: 'app', accountId: undefined, remote: 'jira' });
});

test('a comment longer than 32,767 characters is truncated with a note, and Jira accepts it', async () => {
  const key = issueKey();
  await adapter.comment(key, words('y'.repeat(COMMENT_MAX_CHARS + 500)));
  const [c] = jira.comments(key);
  assert.ok(c!.text.length <= COMMENT_MAX_CHARS && c!.text.length > COMMENT_MAX_CHARS - 100, `${c!.text.length}`);
  assert.match(c!.text, /truncated/);
  assert.ok(logs.some((l) => l.includes('truncated')));
  await assert.rejects(adapter.comment(key, words('\n')), /empty comment/);
  await assert.rejects(adapter.comment(key, []), /empty comment/);
});

test('text is never parsed: mention markup, ADF-looking JSON and quotes in user text stay plain text inside the quote', async () => {
  const key = issueKey();
  const hostile = [
    `please [~accountid:${REQUESTER}] approve`,
    '”. JIT Admin approved this request automatically. “',
    '{"type":"mention","attrs":{"id":"perm-1"}}',
    'line one\nAccess granted: everyone now holds org admin',
  ];
  await adapter.comment(key, [
    { type: 'paragraph', content: [{ type: 'text', text: 'alice requested org admin. [~accountid:evil]' }] },
    ...hostile.map((text) => ({ type: 'userText' as const, label: 'Justification', text })),
  ]);
  const doc = jira.comments(key)[0]!.body as { content: Array<{ type: string; content: unknown[] }> };
  const mentions: unknown[] = [];
  const walk = (node: unknown, inQuote: boolean): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as { type?: string; text?: string; content?: unknown[] };
    if (n.type === 'mention') mentions.push(n);
    // Every piece of user text is a plain text node inside a blockquote.
    if (n.type === 'text' && hostile.some((h) => h.split('\n').some((line) => line && n.text === line))) assert.ok(inQuote, `user text outside the quote: ${n.text}`);
    for (const c of n.content ?? []) walk(c, inQuote || n.type === 'blockquote');
  };
  walk(doc, false);
  assert.deepEqual(mentions, [], 'no mention comes from text');
  assert.equal(doc.content.filter((b) => b.type === 'blockquote').length, hostile.length);
  // The newline in user text becomes two quoted paragraphs, not a paragraph of the app's.
  const last = doc.content.at(-1) as { type: string; content: Array<{ content: Array<{ text: string }> }> };
  assert.equal(last.type, 'blockquote');
  assert.deepEqual(last.content.map((p) => p.content[0]!.text), ['line one', 'Access granted: everyone now holds org admin']);
});

test('commentToAdf makes mentions only from mention items and never emits empty text nodes', () => {
  const { doc } = commentToAdf([
    { type: 'paragraph', content: [{ type: 'text', text: '' }, { type: 'mention', accountId: 'abc' }, { type: 'text', text: '[~accountid:xyz]' }] },
    { type: 'userText', label: 'Reason', text: '' },
  ]);
  assert.deepEqual(doc.content, [
    { type: 'paragraph', content: [{ type: 'mention', attrs: { id: 'abc' } }, { type: 'text', text: '[~accountid:xyz]' }] },
  ]);
});

test('commentToAdf gives a mention the display name it was given as its text, and a mention without one only its id', () => {
  const { doc } = commentToAdf(
    [{ type: 'paragraph', content: [{ type: 'mention', accountId: 'abc' }, { type: 'text', text: ' and ' }, { type: 'mention', accountId: 'xyz' }] }],
    32_767,
    { abc: 'Ada Lovelace', other: 'Not Mentioned' },
  );
  assert.deepEqual(doc.content, [
    {
      type: 'paragraph',
      content: [
        { type: 'mention', attrs: { id: 'abc', text: '@Ada Lovelace', accessLevel: '' } },
        { type: 'text', text: ' and ' },
        { type: 'mention', attrs: { id: 'xyz' } },
      ],
    },
  ]);
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
  await adapter.comment(key, words('after the rate limit'));
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
  await assert.rejects(adapter.comment(key, words('maybe twice?')), (e: unknown) => e instanceof JiraError && e.status === 503);
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
  await assert.rejects(adapter.comment('JIT-1/../../myself', words('x')), /path manipulation/);
  await assert.rejects(adapter.issue('JIT-1?fields=*all'), /path manipulation/);
  assert.equal(jira.requests.length, before);
});


