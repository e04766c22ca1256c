// Jira's add-attachment operation as the emulator enforces it ("Add attachment",
// POST /rest/api/3/issue/{issueIdOrKey}/attachments): the X-Atlassian-Token header, multipart form
// data with the field `file`, the documented 413 limits, and the files read back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { multipartBody } from '../forge-app/src/adapters/multipart';
import { ATTACHMENT_LIMITS } from '../playground/emulators/jira/attachments';
import { startJiraEmulator, type JiraEmulator } from '../playground/emulators/jira/index';

let jira: JiraEmulator;
const USER = '5b10ac8d82e05b22cc7d4ef5';

before(async () => {
  jira = await startJiraEmulator({ now: () => Date.UTC(2026, 5, 1, 9), users: [{ accountId: USER, displayName: 'Riley', groups: [] }] });
});
after(() => jira.close());

async function upload(key: string, files: Array<{ field?: string; filename: string; content: string }>, headers: Record<string, string> = { 'x-atlassian-token': 'no-check' }, contentType?: string) {
  const { body, contentType: ct } = multipartBody(files.map((f) => ({ field: f.field ?? 'file', filename: f.filename, mediaType: 'text/csv', content: f.content })));
  const res = await fetch(`${jira.url}/rest/api/3/issue/${key}/attachments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${jira.appToken}`, 'content-type': contentType ?? ct, ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as any };
}

test('attachments: without X-Atlassian-Token: no-check the upload is blocked (403 XSRF check failed)', async () => {
  const { key } = jira.createIssue({ summary: 'xsrf', reporter: USER });
  const r = await upload(key, [{ filename: 'a.csv', content: 'a' }], {});
  assert.equal(r.status, 403);
  assert.deepEqual(r.body.errorMessages, ['XSRF check failed']);
  assert.deepEqual(jira.attachments(key), []);
});

test('attachments: only parts named `file` are attachments; JSON or a body without them is refused', async () => {
  const { key } = jira.createIssue({ summary: 'fields', reporter: USER });
  assert.equal((await upload(key, [{ field: 'attachment', filename: 'a.csv', content: 'a' }])).status, 400);
  const json = await fetch(`${jira.url}/rest/api/3/issue/${key}/attachments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${jira.appToken}`, 'content-type': 'application/json', 'x-atlassian-token': 'no-check' },
    body: JSON.stringify({ file: 'a' }),
  });
  assert.equal(json.status, 415, 'the spec takes multipart/form-data only');
  assert.deepEqual(jira.attachments(key), []);
});

test('attachments: an upload is stored, answered as Attachment beans, listed on the issue and served back', async () => {
  const { key } = jira.createIssue({ summary: 'ok', reporter: USER });
  const r = await upload(key, [{ filename: 'jit-evidence.csv', content: '"time","action"\r\n"t","x"\r\n' }]);
  assert.equal(r.status, 200);
  assert.equal(r.body.length, 1);
  assert.equal(r.body[0].filename, 'jit-evidence.csv');
  assert.equal(r.body[0].mimeType, 'text/csv');
  const issue = (await (await fetch(`${jira.url}/rest/api/3/issue/${key}?fields=attachment`, { headers: { authorization: `Bearer ${jira.appToken}` } })).json()) as any;
  assert.equal(issue.fields.attachment.length, 1);
  const content = await fetch(r.body[0].content.replace(/^https?:\/\/[^/]+/, jira.url), { headers: { authorization: `Bearer ${jira.appToken}` } });
  assert.equal(await content.text(), '"time","action"\r\n"t","x"\r\n');
});

test('attachments: more than 60 files in one request, or a file over the size limit, is 413', async () => {
  const { key } = jira.createIssue({ summary: 'limits', reporter: USER });
  const many = Array.from({ length: ATTACHMENT_LIMITS.filesPerRequest + 1 }, (_, i) => ({ filename: `f${i}.csv`, content: 'x' }));
  assert.equal((await upload(key, many)).status, 413);
  assert.equal((await upload(key, [{ filename: 'big.csv', content: 'x'.repeat(ATTACHMENT_LIMITS.maxBytes + 1) }])).status, 413);
  assert.deepEqual(jira.attachments(key), []);
});
