// The Jira emulator refuses every request the published Jira platform spec does not allow (its generated subset
// specs/jira-platform.subset.json), before it looks at anything else, in Jira's shape:
// `{"errorMessages":[...],"errors":{...}}` with 400, a body field's problem keyed by the field. A refused write
// changes nothing. (The subset documents no constraint on any Jira path parameter, so the parameter cases here
// are query parameters: a type, an enum, a documented maximum length, a required one.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startJiraEmulator, type JiraEmulator } from '../playground/emulators/jira/index';

const REQUESTER = '5b10ac8d82e05b22cc7d4ef5';
let jira: JiraEmulator;

before(async () => {
  jira = await startJiraEmulator({ users: [{ accountId: REQUESTER, displayName: 'Riley Requester', groups: ['jit-eligible'] }] });
});
after(() => jira.close());

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${jira.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${jira.appToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const adf = (text: string) => ({ type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });

function assertJiraRefusal(a: Answer, status: number, expected: { messages?: RegExp; errors?: Record<string, RegExp> }): void {
  assert.equal(a.status, status, JSON.stringify(a.body));
  assert.deepEqual(Object.keys(a.body).sort(), ['errorMessages', 'errors']);
  assert.ok(Array.isArray(a.body.errorMessages));
  if (expected.messages) assert.match(a.body.errorMessages.join('\n'), expected.messages);
  assert.deepEqual(Object.keys(a.body.errors).sort(), Object.keys(expected.errors ?? {}).sort(), JSON.stringify(a.body));
  for (const [field, re] of Object.entries(expected.errors ?? {})) assert.match(a.body.errors[field], re);
}

test('jira_queryParametersBreakingTheirSchema_areRefusedWith400', async () => {
  const { key } = jira.createIssue({ summary: 'validation', reporter: REQUESTER });
  assertJiraRefusal(await call('GET', `/rest/api/3/issue/${key}/comment?maxResults=ten&orderBy=sideways`), 400, {
    messages: /query parameter `maxResults` must be integer\nquery parameter `orderBy` must be one of `created`, `-created`, `\+created`/,
  });
  assertJiraRefusal(await call('GET', `/rest/api/3/user/groups`), 400, { messages: /query parameter `accountId` is required/ });
  assertJiraRefusal(await call('GET', `/rest/api/3/user?accountId=${'a'.repeat(129)}`), 400, { messages: /query parameter `accountId` must NOT have more than 128 characters/ });
  assertJiraRefusal(await call('GET', `/rest/api/3/issue/${key}?fields=summary&fieldz=status`), 400, { messages: /query parameter `fieldz` is not defined for this operation/ });
  assert.equal((await call('GET', `/rest/api/3/issue/${key}/comment?maxResults=10&orderBy=-created`)).status, 200);
});

test('jira_missingRequiredBodyAndReadOnlyFields_areRefused_andChangeNothing', async () => {
  const { key } = jira.createIssue({ summary: 'validation', reporter: REQUESTER });
  assertJiraRefusal(await call('PUT', `/rest/api/3/issue/${key}/properties/jit-admin-grant`, undefined, { 'content-type': 'application/json' }), 400, {
    messages: /a request body is required/,
  });
  assert.deepEqual(jira.properties(key), {});
  // Comment.id and IssueTransition.name are readOnly: a client that sends them believes it sets them.
  assertJiraRefusal(await call('POST', `/rest/api/3/issue/${key}/comment`, { body: adf('hi'), id: '10001' }), 400, { errors: { id: /`id` is read-only/ } });
  assert.deepEqual(jira.comments(key), []);
  const before = jira.issue(key)!.status;
  assertJiraRefusal(await call('POST', `/rest/api/3/issue/${key}/transitions`, { transition: { id: '11', name: 'Submit' } }), 400, {
    errors: { transition: /`transition.name` is read-only/ },
  });
  assertJiraRefusal(await call('POST', `/rest/api/3/issue/${key}/transitions`, { transition: 11 }), 400, { errors: { transition: /`transition` must be object/ } });
  assert.equal(jira.issue(key)!.status, before);
});

test('jira_wrongContentTypeAndInvalidJson_areRefusedWith415And400', async () => {
  const { key } = jira.createIssue({ summary: 'validation', reporter: REQUESTER });
  assertJiraRefusal(await call('POST', `/rest/api/3/issue/${key}/comment`, JSON.stringify({ body: adf('hi') }), { 'content-type': 'text/plain' }), 415, {
    messages: /content type `text\/plain` is not accepted; send `application\/json`/,
  });
  assertJiraRefusal(await call('POST', `/rest/api/3/issue/${key}/comment`, '{"body":'), 400, { messages: /not valid JSON/ });
  assert.deepEqual(jira.comments(key), []);
});

test('jira_unknownRouteWrongMethodAndUnemulatedOperation_areRefused404_405_501', async () => {
  const { key } = jira.createIssue({ summary: 'validation', reporter: REQUESTER });
  assertJiraRefusal(await call('GET', '/rest/api/3/nothing-here'), 404, { messages: /No resource at `\/rest\/api\/3\/nothing-here`/ });
  assertJiraRefusal(await call('GET', '/rest/api/2/myself'), 404, { messages: /No resource/ });
  const patch = await call('PATCH', `/rest/api/3/issue/${key}`, {});
  assertJiraRefusal(patch, 405, { messages: /allowed: GET, DELETE, PUT/ });
  assert.equal(patch.headers.get('allow'), 'GET, DELETE, PUT');
  // Edit issue exists in Atlassian's spec but not in the subset: the emulator says so instead of pretending.
  assertJiraRefusal(await call('PUT', `/rest/api/3/issue/${key}`, { fields: { summary: 'x' } }), 501, { messages: /leaves it out.*scripts\/refresh-specs\.ts/ });
  assert.equal(jira.issue(key)!.summary, 'validation');
});

test('jira_addAttachmentWithoutTheXsrfHeader_isRefusedWith403XsrfCheckFailed', async () => {
  const { key } = jira.createIssue({ summary: 'validation', reporter: REQUESTER });
  const multipart = { 'content-type': 'multipart/form-data; boundary=xyz' };
  const form = '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello\r\n--xyz--\r\n';
  assertJiraRefusal(await call('POST', `/rest/api/3/issue/${key}/attachments`, form, multipart), 403, { messages: /^XSRF check failed$/ });
  const withToken = await call('POST', `/rest/api/3/issue/${key}/attachments`, form, { ...multipart, 'x-atlassian-token': 'no-check' });
  assert.notEqual(withToken.status, 403, 'with the header the request passes validation');
});
