// The offline Forge lint (scripts/lint-forge.ts) must really run @forge/lint's scope check. A wiring mistake
// (a missing LOCAL_*_SWAGGER, a file list the linters drop, a tsconfig that hides the .ts files) turns it into
// a linter that passes everything, so these tests lint small throwaway apps whose verdict is known.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tempDirs: string[] = [];
after(() => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

const manifest = (scopes: string[]) => `modules:
  scheduledTrigger:
    - key: probe-trigger
      function: probe
      interval: hour
  function:
    - key: probe
      handler: index.run
permissions:
  scopes:
${scopes.map((scope) => `    - ${scope}`).join('\n')}
app:
  runtime:
    name: nodejs22.x
  id: ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000000
`;

// A comment POST in the handler file itself, and a transition POST in a module outside src/ that src/ re-exports,
// which is how this project is laid out (src/index.ts → forge-app/src). Both need write:jira-work.
const sources: Record<string, string> = {
  'src/index.ts': `import api, { route } from '@forge/api';
export * from '../lib/transitions';
export async function run(event: { issue: { key: string } }) {
  const key = event.issue.key;
  await api.asApp().requestJira(route\`/rest/api/3/issue/\${key}/comment\`, { method: 'POST', body: '{}' });
}
`,
  'lib/transitions.ts': `import api, { route } from '@forge/api';
export async function transition(key: string) {
  await api.asApp().requestJira(route\`/rest/api/3/issue/\${key}/transitions\`, { method: 'POST', body: '{}' });
}
`,
};

function fixtureApp(scopes: string[], extraFiles: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-forge-fixture-'));
  tempDirs.push(dir);
  for (const [file, text] of Object.entries({ 'manifest.yml': manifest(scopes), ...sources, ...extraFiles })) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

type Run = { code: number; output: string };
function lintApp(appDir: string, options: { root?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const root = options.root ?? repoRoot;
  return new Promise((resolve) => {
    execFile(
      'bash',
      [path.join(repoRoot, 'scripts/node22.sh'), path.join(root, 'scripts/lint-forge.ts'), appDir],
      { cwd: os.tmpdir(), env: options.env ?? process.env },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, output: stdout + stderr });
      },
    );
  });
}

/**
 * A checkout with nothing beside it: the lint script and specs/ copied into a fresh directory (node_modules linked),
 * so no ../shared/specs, with ATLASSIAN_SPECS_DIR unset and an empty download cache.
 */
function freshCheckout(): { root: string; cache: string; env: NodeJS.ProcessEnv } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-forge-fresh-'));
  tempDirs.push(base);
  const root = path.join(base, 'repo');
  fs.mkdirSync(path.join(root, 'scripts'), { recursive: true });
  fs.copyFileSync(path.join(repoRoot, 'scripts/lint-forge.ts'), path.join(root, 'scripts/lint-forge.ts'));
  fs.cpSync(path.join(repoRoot, 'specs'), path.join(root, 'specs'), { recursive: true });
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'));
  const cache = path.join(base, 'cache');
  fs.mkdirSync(cache);
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cache, HOME: base };
  delete env.ATLASSIAN_SPECS_DIR;
  return { root, cache, env };
}

// Each run costs ~15 s of CPU (the manifest linters compile the 2 MB schema five times): start them together.
// The read-only run lints from a fresh checkout: the scope check must work from the repository alone.
const fresh = freshCheckout();
const readOnly = lintApp(fixtureApp(['read:jira-work']), { root: fresh.root, env: fresh.env });
const readWrite = lintApp(fixtureApp(['read:jira-work', 'write:jira-work']));
const hiddenByTsconfig = lintApp(fixtureApp(['read:jira-work'], { 'tsconfig.json': '{"include": ["src", "lib"]}' }));
// Calls the in-repo spec subsets do not hold: the scope check would skip them silently, so lint-forge must fail.
const outsideTheSubsets = lintApp(
  fixtureApp(['read:jira-work', 'write:jira-work', 'read:confluence-content.all'], {
    'lib/extra.ts': `import api, { route } from '@forge/api';
export async function extra(key: string) {
  await api.asApp().requestJira(route\`/rest/api/3/project/\${key}\`, { method: 'GET' });
  await api.asApp().requestJira(route\`/rest/api/3/issue/\${key}\`, { method: 'PUT', body: '{}' });
  await api.asApp().requestConfluence(route\`/wiki/api/v2/pages/\${key}\`, { method: 'GET' });
}
`,
    'src/index.ts': `${sources['src/index.ts']}export * from '../lib/extra';\n`,
  }),
);

test('lint_readOnlyScopes_whenHandlerPostsAComment_reportsWriteJiraWorkRequired', async () => {
  const { code, output } = await readOnly;
  assert.equal(code, 1, output);
  assert.match(output, /src\/index\.ts:\d+:\d+\s+error\s+.*\/rest\/api\/3\/issue\/\{issueIdOrKey\}\/comment.*write:jira-work.*permission-scope-required/);
});

test('lint_readOnlyScopes_whenImportedModuleOutsideSrcPostsATransition_reportsItToo', async () => {
  const { output } = await readOnly;
  assert.match(output, /lib\/transitions\.ts:\d+:\d+\s+error\s+.*\/transitions.*write:jira-work.*permission-scope-required/);
});

test('lint_fromAFreshCheckoutWithNoSharedSpecsAndNoNetwork_readsOnlyTheRepositorysSpecSubsets', async () => {
  const { output } = await readOnly;
  assert.match(output, new RegExp(`specs from ${fresh.root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/specs: `));
  assert.match(output, /permission-scope-required/);
  assert.deepEqual(fs.readdirSync(fresh.cache), [], 'nothing was downloaded');
});

test('lint_readWriteScopes_whenSameCalls_passesWithNoErrors', async () => {
  const { code, output } = await readWrite;
  assert.equal(code, 0, output);
  assert.doesNotMatch(output, /permission-scope-required/);
  assert.match(output, /lint-forge: 2 source files, 16 linters, .*: 0 errors/);
});

test('lint_whenTsconfigIncludeIsABareDirectory_failsInsteadOfSkippingTheFiles', async () => {
  const { code, output } = await hiddenByTsconfig;
  assert.equal(code, 2, output);
  assert.match(output, /tsconfig\.json "include" does not cover lib\/transitions\.ts, src\/index\.ts/);
});

test('lint_callsTheSpecSubsetsDoNotHold_failWithSpecSubsetCoverage_insteadOfPassingUnchecked', async () => {
  const { code, output } = await outsideTheSubsets;
  assert.equal(code, 1, output);
  assert.match(output, /lib\/extra\.ts:3:\d+\s+error\s+jira call GET \/rest\/api\/3\/project\/\\S\* matches no path of the spec subsets.*\[spec-subset-coverage\]/);
  assert.match(output, /lib\/extra\.ts:4:\d+\s+error\s+jira call PUT \/rest\/api\/3\/issue\/\\S\* matches \/rest\/api\/3\/issue\/\{issueIdOrKey\}, which has no PUT.*\[spec-subset-coverage\]/);
  assert.match(output, /lib\/extra\.ts:5:\d+\s+error\s+confluence call GET \/wiki\/api\/v2\/pages\/\\S\* matches no path.*\[spec-subset-coverage\]/);
  assert.match(output, /lint-forge: 3 source files, 16 linters, .*: 3 errors/);
});

// The app itself: its Jira adapter's calls must be visible to the scope check, so dropping a scope the adapter
// needs fails the lint. The fixture links the real sources and UI build and only edits the manifest's scopes.
const realAppWithout = (dropped: string[]) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-forge-real-'));
  tempDirs.push(dir);
  const text = fs.readFileSync(path.join(repoRoot, 'manifest.yml'), 'utf8');
  const kept = text.split('\n').filter((line) => !dropped.some((scope) => new RegExp(`^\\s*- ${scope}\\b`).test(line)));
  fs.writeFileSync(path.join(dir, 'manifest.yml'), kept.join('\n'));
  for (const entry of ['src', 'forge-app', 'tsconfig.json', 'node_modules', 'package.json']) fs.symlinkSync(path.join(repoRoot, entry), path.join(dir, entry));
  return dir;
};
const realWithoutWrites = lintApp(realAppWithout(['write:jira-work', 'read:jira-user']));

test('lint_realApp_withoutTheScopesItsJiraAdapterNeeds_reportsEachCall', async () => {
  const { code, output } = await realWithoutWrites;
  assert.equal(code, 1, output);
  assert.match(output, /forge-app\/src\/adapters\/jira\.ts:\d+:\d+\s+error\s+.*POST \/rest\/api\/3\/issue\/\{issueIdOrKey\}\/comment.*write:jira-work/);
  assert.match(output, /forge-app\/src\/adapters\/jira\.ts:\d+:\d+\s+error\s+.*\/rest\/api\/3\/user\/groups.*read:jira-user/);
});
