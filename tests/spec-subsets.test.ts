// The OpenAPI subsets in specs/ are generated (scripts/refresh-specs.ts) from Atlassian's full specs, which live
// outside the repo. These tests keep them honest: each says where it came from, none is a whole spec, and when the
// full specs are at hand (../shared/specs or $ATLASSIAN_SPECS_DIR) the committed files must be exactly what the
// script generates from them. Without the full specs the staleness test says that it checked nothing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  LINT_EMPTY_FILE,
  PLANS,
  REFRESH_COMMAND,
  SUBSETS_DIR,
  buildAll,
  buildSubset,
  linterPathRegex,
  linterSampleCall,
  localSpecsDir,
  sha256,
  type SubsetPlan,
} from '../scripts/refresh-specs';

const read = (file: string) => JSON.parse(fs.readFileSync(path.join(SUBSETS_DIR, file), 'utf8')) as Record<string, any>;

test('subsets_whenTheFullSpecsArePresent_areExactlyWhatRefreshSpecsGenerates', (t) => {
  const dir = localSpecsDir();
  if (!dir) {
    t.skip('CHECKED NOTHING: neither $ATLASSIAN_SPECS_DIR nor ../shared/specs holds the full specs, so the subsets in specs/ could not be compared with them');
    return;
  }
  const generated = buildAll((file) => fs.readFileSync(path.join(dir, file), 'utf8'));
  for (const [file, text] of generated) {
    const committed = fs.existsSync(path.join(SUBSETS_DIR, file)) ? fs.readFileSync(path.join(SUBSETS_DIR, file), 'utf8') : '(missing)';
    const plan = PLANS.find((p) => p.file === file);
    const why = plan
      ? `specs/${file} is stale against ${path.join(dir, plan.source)} (sha256 ${sha256(fs.readFileSync(path.join(dir, plan.source)))}; the subset records ${read(file)['x-generated']?.sourceSha256}); run ${REFRESH_COMMAND}`
      : `specs/${file} is stale; run ${REFRESH_COMMAND}`;
    assert.ok(committed === text, why);
  }
  assert.deepEqual(fs.readdirSync(SUBSETS_DIR).sort(), [...generated.keys()].sort(), 'specs/ holds exactly the generated files');
});

test('subsets_recordTheirSourceItsSha256AndTheRefreshCommand_andAreNoWholeSpec', () => {
  for (const plan of PLANS) {
    const doc = read(plan.file);
    const g = doc['x-generated'];
    assert.equal(g.source, plan.source);
    assert.match(g.sourceSha256, /^[0-9a-f]{64}$/);
    assert.equal(g.command, REFRESH_COMMAND);
    const ops = Object.values(doc.paths as Record<string, Record<string, unknown>>).flatMap((item) =>
      Object.keys(item).filter((k) => ['get', 'put', 'post', 'delete', 'patch'].includes(k)),
    );
    assert.equal(ops.length, g.operations);
    assert.ok(ops.length <= 40, `${plan.file} holds ${ops.length} operations: a subset, not a copy of the spec`);
  }
  assert.deepEqual(read(LINT_EMPTY_FILE).paths, {});
});

test('subsets_keepScopesExperimentalFlagsDescriptionsAndEveryReferencedComponent', () => {
  const org = read('admin-organization.subset.json');
  const assign = org.paths['/v1/orgs/{orgId}/users/{userId}/role-assignments/assign'].post;
  assert.equal(assign['x-experimental'], true);
  assert.match(assign.description, /eventual consistency/);
  assert.ok(org.paths['/v1/orgs/{orgId}/events-stream'].get, 'next features: events-stream');
  assert.ok(org.paths['/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments/assign'].post, 'next features: group roles');
  const jira = read('jira-platform.subset.json');
  const comment = jira.paths['/rest/api/3/issue/{issueIdOrKey}/comment'].post;
  assert.deepEqual(
    comment['x-atlassian-oauth2-scopes'].filter((s: { state: string }) => s.state === 'Current').flatMap((s: { scopes: string[] }) => s.scopes),
    ['write:jira-work'],
  );
  assert.ok(jira.paths['/rest/api/3/mypermissions'].get, 'next features: mypermissions');
  for (const doc of [org, jira]) {
    const text = JSON.stringify({ paths: doc.paths, components: doc.components });
    for (const [, kind, name] of text.matchAll(/"#\/components\/([^/"]+)\/([^"]+)"/g)) {
      const key = name!.replace(/~1/g, '/').replace(/~0/g, '~');
      assert.ok(doc.components[kind!]?.[key] !== undefined, `dangling $ref #/components/${kind}/${name}`);
    }
  }
});

// A small full spec to test the generator itself (no ../shared needed).
const fullSpec = {
  openapi: '3.0.1',
  info: { title: 't', version: '1' },
  servers: [{ url: 'https://example.atlassian.net' }],
  tags: [{ name: 'dropped' }],
  paths: {
    '/rest/api/3/issue/{a}': { get: { operationId: 'first', responses: {} } },
    '/rest/api/3/issue/{issueIdOrKey}': {
      get: { operationId: 'getIssue', responses: { 200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Issue' } } } } } },
      put: { operationId: 'editIssue', responses: {} },
    },
    '/rest/api/3/other': { get: { operationId: 'other', responses: { 200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Unused' } } } } } } },
  },
  components: {
    schemas: {
      Issue: { type: 'object', properties: { fields: { $ref: '#/components/schemas/Fields' } } },
      Fields: { type: 'object', additionalProperties: false },
      Unused: { type: 'string' },
    },
    securitySchemes: { OAuth2: { type: 'oauth2' } },
  },
};
const plan = (linterShadows: boolean, select: SubsetPlan['select']): SubsetPlan => ({ file: 'x.json', source: 'full.json', url: 'https://example/full.json', select, linterShadows });

test('buildSubset_keepsTheSelectedOperationsTheirComponentsTransitively_andRecordsOmittedMethods', () => {
  const text = JSON.stringify(fullSpec);
  const out = buildSubset(plan(false, [{ method: 'get', path: '/rest/api/3/issue/{issueIdOrKey}', why: 'test' }]), text) as Record<string, any>;
  assert.deepEqual(Object.keys(out.paths), ['/rest/api/3/issue/{issueIdOrKey}']);
  assert.deepEqual(Object.keys(out.paths['/rest/api/3/issue/{issueIdOrKey}']), ['get']);
  assert.deepEqual(Object.keys(out.components.schemas).sort(), ['Fields', 'Issue']);
  assert.deepEqual(out['x-generated'].otherMethodsOnKeptPaths, { '/rest/api/3/issue/{issueIdOrKey}': ['put'] });
  assert.equal(out['x-generated'].sourceSha256, sha256(text));
  assert.equal(out.tags, undefined);
});

test('buildSubset_forTheLinter_alsoKeepsAnEarlierPathThatWouldShadowAKeptOne', () => {
  // @forge/lint picks the first path regex that matches; `/issue/{a}` comes first and matches `/issue/\S*`.
  assert.ok(linterPathRegex('/rest/api/3/issue/{a}').test(linterSampleCall('/rest/api/3/issue/{issueIdOrKey}')));
  const select = [{ method: 'get', path: '/rest/api/3/issue/{issueIdOrKey}', why: 'test' }];
  const withShadows = buildSubset(plan(true, select), JSON.stringify(fullSpec)) as Record<string, any>;
  assert.deepEqual(Object.keys(withShadows.paths), ['/rest/api/3/issue/{a}', '/rest/api/3/issue/{issueIdOrKey}']);
  assert.deepEqual(withShadows['x-generated'].linterShadowPaths, ['/rest/api/3/issue/{a}']);
  const without = buildSubset(plan(false, select), JSON.stringify(fullSpec)) as Record<string, any>;
  assert.deepEqual(Object.keys(without.paths), ['/rest/api/3/issue/{issueIdOrKey}']);
});

test('buildSubset_whenASelectedOperationIsGoneFromTheSpec_failsInsteadOfDroppingIt', () => {
  assert.throws(
    () => buildSubset(plan(false, [{ method: 'post', path: '/rest/api/3/issue/{issueIdOrKey}', why: 'test' }]), JSON.stringify(fullSpec)),
    /no operation for POST \/rest\/api\/3\/issue\/\{issueIdOrKey\}/,
  );
});
