// Conformance with the published Jira Cloud platform REST v3 spec (its generated subset
// specs/jira-platform.subset.json, see scripts/refresh-specs.ts): every route the Jira emulator serves is an
// operation of the spec, its answers have documented statuses and fit the response schemas, and
// every call the Jira adapter makes is a spec operation whose query and JSON body fit its schemas.
import { multipartBody } from '../forge-app/src/adapters/multipart';
import { jiraRoutes, startJiraEmulator, type JiraEmulator } from '../playground/emulators/jira/index';
import { startForgeRuntime, type ForgeRuntime } from '../playground/forge-runtime/index';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import api from '@forge/api';
import { createJira } from '../forge-app/src/adapters/jira';
import { OpenApiSpec, recordingFetch, type RecordedCall } from './support/openapi';

const spec = OpenApiSpec.load('jira-platform.subset.json');
const USER = '5b10ac8d82e05b22cc7d4ef5';
let jira: JiraEmulator;
let rt: ForgeRuntime;

before(async () => {
  jira = await startJiraEmulator({ users: [{ accountId: USER, displayName: 'Riley Requester', groups: ['jit-eligible'] }] });
  rt = await startForgeRuntime({ jiraUrl: jira.url, jiraAppToken: jira.appToken });
});
after(async () => {
  await rt.close();
  await jira.close();
});

test('every route of the Jira emulator is an operation of jira-platform.v3.json, with the same path template', () => {
  assert.ok(jiraRoutes.length >= 13);
  for (const r of jiraRoutes) {
    const op = spec.findByTemplate(r.method, r.path);
    assert.ok(op, `${r.method} ${r.path} is not in specs/jira-platform.subset.json (if Atlassian documents it, add it to scripts/refresh-specs.ts and run it)`);
    assert.equal(op.template, r.path, `${r.method} ${r.path}: parameter names differ from the spec (${op.template})`);
  }
});

test('every emulator route answers with a documented status and a body that fits the response schema', async () => {
  const { fetch: recorded, calls } = recordingFetch((url, init) =>
    rt.rawFetch(`${jira.url}${url}`, { ...init, headers: { authorization: `Bearer ${jira.appToken}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } }),
  );
  const send = (method: string, url: string, body?: unknown) =>
    recorded(url, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const adf = (text: string) => ({ type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });

  const created = await (await send('POST', '/rest/api/3/issue', {
    fields: { project: { key: 'JIT' }, summary: 'Conformance', issuetype: { name: 'Admin access request' }, description: adf('why') },
  })).json();
  const key = created.key as string;
  await send('GET', `/rest/api/3/issue/${key}`);
  await send('GET', `/rest/api/3/issue/${key}?fields=summary,status,reporter&properties=jit-admin-grant`);
  await send('POST', `/rest/api/3/issue/${key}/comment`, { body: adf('hello') });
  await send('GET', `/rest/api/3/issue/${key}/comment?startAt=0&maxResults=10&orderBy=-created`);
  await send('GET', `/rest/api/3/issue/${key}/transitions`);
  await send('POST', `/rest/api/3/issue/${key}/transitions`, { transition: { id: '11' }, update: { comment: [{ add: { body: adf('submitting') } }] } });
  await send('PUT', `/rest/api/3/issue/${key}/properties/jit-admin-grant`, { state: 'requested' });
  await send('PUT', `/rest/api/3/issue/${key}/properties/jit-admin-grant`, { state: 'active' });
  await send('GET', `/rest/api/3/issue/${key}/properties`);
  await send('GET', `/rest/api/3/issue/${key}/properties/jit-admin-grant`);
  await send('DELETE', `/rest/api/3/issue/${key}/properties/jit-admin-grant`);
  await send('GET', `/rest/api/3/user?accountId=${USER}`);
  await send('GET', `/rest/api/3/user/groups?accountId=${USER}`);
  await send('GET', '/rest/api/3/myself');
  await send('GET', '/rest/api/3/mypermissions?permissions=ADMINISTER,BROWSE_PROJECTS');
  // documented error answers
  await send('GET', '/rest/api/3/issue/JIT-99999');
  await send('POST', '/rest/api/3/issue', { fields: { project: { key: 'NOPE' } } });
  await send('POST', `/rest/api/3/issue/${key}/comment`, { body: 'plain text' });
  await send('POST', `/rest/api/3/issue/${key}/transitions`, { transition: { id: '999' } });
  await send('GET', `/rest/api/3/issue/${key}/properties/missing`);
  await send('GET', '/rest/api/3/user/groups?accountId=nobody');
  await send('GET', '/rest/api/3/mypermissions?permissions=ROOT');
  await send('GET', '/rest/api/3/mypermissions');
  await send('GET', '/rest/api/3/mypermissions?permissions=ADMINISTER&projectKey=NOPE');
  // attachments: multipart with the XSRF header, read back; without the header Jira blocks it (403)
  const upload = multipartBody([{ field: 'file', filename: 'evidence.csv', mediaType: 'text/csv', content: 'a,b\r\n1,2\r\n' }]);
  const multipart = (headers: Record<string, string>) => recorded(`/rest/api/3/issue/${key}/attachments`, { method: 'POST', headers: { 'content-type': upload.contentType, ...headers }, body: upload.body });
  const attached = (await (await multipart({ 'x-atlassian-token': 'no-check' })).json()) as Array<{ id: string }>;
  await send('GET', `/rest/api/3/attachment/${attached[0]!.id}`);
  await send('GET', `/rest/api/3/attachment/content/${attached[0]!.id}`);
  await multipart({});

  const problems = calls.flatMap((c) => spec.checkCall(c, { responses: true }));
  assert.deepEqual(problems, []);
  const exercised = new Set(calls.map((c) => `${c.method} ${spec.match(c.method, c.url)?.op.template}`));
  for (const r of jiraRoutes) assert.ok(exercised.has(`${r.method} ${r.path}`), `route ${r.method} ${r.path} was not exercised`);
});

test('every call the Jira adapter makes is a spec operation with a valid query and request body', async () => {
  // The permission check goes as the user (`asUser()` in a resolver; here the user is named).
  const jiraAdapter = createJira(api.asApp().requestJira, undefined, {}, api.asUser(USER));
  const { key } = jira.createIssue({ summary: 'adapter conformance', reporter: USER });
  const start = rt.fetchLog.length;
  await jiraAdapter.comment(key, [
    { type: 'paragraph', content: [{ type: 'text', text: 'Line one for ' }, { type: 'mention', accountId: USER }] },
    { type: 'userText', label: 'Justification', text: 'Line three' },
  ]);
  await jiraAdapter.setGrantProperty(key, { v: 1, state: 'active', until: '2026-05-01T10:00:00Z' });
  await jiraAdapter.userGroups(USER);
  await jiraAdapter.issue(key);
  await jiraAdapter.issue('JIT-99999');
  assert.equal(await jiraAdapter.callerHasGlobalPermission('ADMINISTER'), false, 'a user outside every admin group');
  await jiraAdapter.attach(key, { filename: 'jit-evidence.json', mediaType: 'application/json', content: '{"events":[]}' });

  const calls: RecordedCall[] = rt.fetchLog
    .slice(start)
    .filter((e) => e.target.remote === 'jira')
    .map((e) => ({ method: e.method, url: e.path, body: e.body, status: e.status }));
  assert.equal(calls.length, 7);
  const problems = calls.flatMap((c) => spec.checkCall(c));
  assert.deepEqual(problems, []);
  assert.deepEqual(
    calls.map((c) => `${c.method} ${spec.match(c.method, c.url)!.op.template}`),
    [
      'POST /rest/api/3/issue/{issueIdOrKey}/comment',
      'PUT /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}',
      'GET /rest/api/3/user/groups',
      'GET /rest/api/3/issue/{issueIdOrKey}',
      'GET /rest/api/3/issue/{issueIdOrKey}',
      'GET /rest/api/3/mypermissions',
      'POST /rest/api/3/issue/{issueIdOrKey}/attachments',
    ],
  );
  // every status the adapter saw is documented for its operation
  for (const c of calls) assert.deepEqual(spec.validateResponse(spec.match(c.method, c.url)!.op, c.status!, undefined), [], `${c.method} ${c.url}`);
});
