// People, not account ids, at the Jira boundary: the emulator's user and group directory (from the published
// operations), the Jira adapter's lookups and searches (searches asked as the caller), and the review's CSV.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import api from '@forge/api';
import { createJira, toPerson, USER_BULK_PAGE } from '../forge-app/src/adapters/jira';
import { reviewCsv, REVIEW_CSV_COLUMNS } from '../forge-app/src/shared/reviewCsv';
import { startJiraEmulator, type JiraEmulator } from '../playground/emulators/jira/index';
import { startForgeRuntime, type ForgeRuntime } from '../playground/forge-runtime/index';

const ADMIN = '5b10ac8d82e05b22cc7d4ef5';
const PLAIN = '712020:2c1b8f8e-6a4e-4c59-9d1e-0c7e5a9b3f21';
let jira: JiraEmulator;
let rt: ForgeRuntime;

/** 120 people, so lookups need more than one `user/bulk` call. */
const crowd = Array.from({ length: 120 }, (_, i) => ({ accountId: `5b10ac8d82e05b22cc7d${String(i).padStart(4, '0')}`, displayName: `Person ${i}` }));

before(async () => {
  jira = await startJiraEmulator({
    users: [
      { accountId: ADMIN, displayName: 'Avery Admin', emailAddress: 'avery@example.com', groups: ['jira-admins', 'security-approvers'] },
      { accountId: PLAIN, displayName: 'Blake Plain', groups: ['engineers'] },
      { accountId: 'gone-1', displayName: 'Gale Gone', active: false, groups: ['engineers'] },
      ...crowd,
    ],
  });
  rt = await startForgeRuntime({ jiraUrl: jira.url, jiraAppToken: jira.appToken });
});
after(async () => {
  await rt.close();
  await jira.close();
});

const get = async (path: string, asUser?: string) => {
  const r = await rt.rawFetch(`${jira.url}${path}`, { headers: { authorization: `Bearer ${jira.appToken}`, ...(asUser ? { 'x-jit-emulator-act-as-user': asUser } : {}) } });
  return { status: r.status, body: (await r.json()) as any };
};

test('user/bulk pages by maxResults (default 10) and leaves unknown account ids out', async () => {
  const ids = crowd.slice(0, 12).map((p) => `accountId=${p.accountId}`).join('&');
  const first = await get(`/rest/api/3/user/bulk?${ids}&accountId=nobody`);
  assert.equal(first.status, 200);
  assert.equal(first.body.values.length, 10);
  assert.equal(first.body.isLast, false);
  assert.equal(first.body.total, 12);
  const second = await get(`/rest/api/3/user/bulk?${ids}&startAt=10`);
  assert.deepEqual(second.body.values.map((u: any) => u.displayName), ['Person 10', 'Person 11']);
  assert.equal(second.body.isLast, true);
});

test('user/search matches word prefixes of names and emails, only active people, and nothing for a caller without Browse users', async () => {
  const asAdmin = async (q: string) => (await get(`/rest/api/3/user/search?query=${encodeURIComponent(q)}`, ADMIN)).body.map((u: any) => u.displayName);
  assert.deepEqual(await asAdmin('ave'), ['Avery Admin']);
  assert.deepEqual(await asAdmin('plain'), ['Blake Plain']);
  assert.deepEqual(await asAdmin('avery@'), ['Avery Admin']);
  assert.deepEqual(await asAdmin('gale'), [], 'a deactivated account is not offered');
  // Blake is in no group holding Browse users and groups: Jira answers an empty list, not an error.
  const blind = await get('/rest/api/3/user/search?query=ave', PLAIN);
  assert.deepEqual([blind.status, blind.body], [200, []]);
  const both = await get(`/rest/api/3/user/search?query=a&accountId=${ADMIN}`, ADMIN);
  assert.equal(both.status, 400);
  assert.equal((await get('/rest/api/3/user/search', ADMIN)).status, 400);
});

test('groups/picker finds names containing the text, exact names only without Browse users; group/bulk needs it (403)', async () => {
  const found = await get('/rest/api/3/groups/picker?query=approv&caseInsensitive=true', ADMIN);
  assert.deepEqual(found.body.groups.map((g: any) => g.name), ['security-approvers']);
  assert.match(found.body.header, /Showing 1 of 1 matching groups/);
  assert.match(found.body.groups[0].html, /<b>approv<\/b>/);
  assert.deepEqual((await get('/rest/api/3/groups/picker?query=approv', PLAIN)).body.groups, []);
  assert.deepEqual((await get('/rest/api/3/groups/picker?query=engineers', PLAIN)).body.groups.map((g: any) => g.name), ['engineers']);
  const id = found.body.groups[0].groupId as string;
  const bulk = await get(`/rest/api/3/group/bulk?groupId=${id}`, ADMIN);
  assert.deepEqual(bulk.body.values, [{ name: 'security-approvers', groupId: id }]);
  const refused = await get(`/rest/api/3/group/bulk?groupId=${id}`, PLAIN);
  assert.equal(refused.status, 403);
  assert.match(refused.body.errorMessages[0], /Browse users and groups/);
});

test('the adapter reads names in chunks of 50 ids, following pages, and keeps only http(s) avatars', async () => {
  const adapter = createJira(api.asApp().requestJira);
  const start = jira.requests.length;
  const people = await adapter.users([...crowd.map((p) => p.accountId), crowd[0]!.accountId, 'nobody']);
  assert.equal(people.length, 120);
  assert.equal(people[119]!.displayName, 'Person 119');
  assert.ok(people.every((p) => p.active && p.accountType === 'atlassian' && /^http:\/\/127\.0\.0\.1:\d+\/avatar\//.test(p.avatarUrl ?? '')));
  const calls = jira.requests.slice(start).filter((r) => r.path === '/rest/api/3/user/bulk');
  assert.equal(calls.length, Math.ceil(121 / USER_BULK_PAGE));
  assert.equal(toPerson({ accountId: 'x', displayName: 'X', avatarUrls: { '48x48': 'javascript:alert(1)' } })?.avatarUrl, undefined);
  assert.equal(toPerson({ accountId: 'x', displayName: '  ' })?.displayName, 'x', 'a blank name shows the account id');
  assert.equal(toPerson({ displayName: 'no id' }), null);
});

test('searches go as the caller: Jira applies their permission, never the app’s', async () => {
  const asBlake = createJira(api.asApp().requestJira, undefined, {}, api.asUser(PLAIN));
  assert.deepEqual(await asBlake.searchUsers('ave', 20), []);
  const asAvery = createJira(api.asApp().requestJira, undefined, {}, api.asUser(ADMIN));
  assert.deepEqual((await asAvery.searchUsers('ave', 20)).map((p) => p.accountId), [ADMIN]);
  await assert.rejects(createJira(api.asApp().requestJira).searchUsers('ave', 20), /no user context/);
});

test('the review CSV quotes what needs quoting and defuses cells a spreadsheet would run', () => {
  const review = {
    idleAfterDays: 90,
    idleCount: 1,
    needsGroupsOf: [],
    rows: [
      {
        target: 't',
        targetLabel: 'Label, with "quotes"',
        role: 'approver' as const,
        principal: { type: 'account' as const, accountId: 'a1' },
        uses: 0,
        idle: true,
        idleDays: 91,
        attributionComplete: true,
      },
    ],
  };
  const csv = reviewCsv(review, { people: { a1: { accountId: 'a1', displayName: '=HYPERLINK("x")', active: true, accountType: 'atlassian' } }, groups: {} });
  const line = csv.split('\r\n')[1]!;
  assert.ok(line.includes('"Label, with ""quotes"""'), line);
  assert.ok(line.includes(`"'=HYPERLINK(""x"")"`), line);
});
