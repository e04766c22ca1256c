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
function lintApp(appDir: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile('bash', [path.join(repoRoot, 'scripts/node22.sh'), path.join(repoRoot, 'scripts/lint-forge.ts'), appDir], { cwd: os.tmpdir() }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, output: stdout + stderr });
    });
  });
}

// Each run costs ~15 s of CPU (the manifest linters compile the 2 MB schema five times): start them together.
const readOnly = lintApp(fixtureApp(['read:jira-work']));
const readWrite = lintApp(fixtureApp(['read:jira-work', 'write:jira-work']));
const hiddenByTsconfig = lintApp(fixtureApp(['read:jira-work'], { 'tsconfig.json': '{"include": ["src", "lib"]}' }));

test('lint_readOnlyScopes_whenHandlerPostsAComment_reportsWriteJiraWorkRequired', async () => {
  const { code, output } = await readOnly;
  assert.equal(code, 1, output);
  assert.match(output, /src\/index\.ts:\d+:\d+\s+error\s+.*\/rest\/api\/3\/issue\/\{issueIdOrKey\}\/comment.*write:jira-work.*permission-scope-required/);
});

test('lint_readOnlyScopes_whenImportedModuleOutsideSrcPostsATransition_reportsItToo', async () => {
  const { output } = await readOnly;
  assert.match(output, /lib\/transitions\.ts:\d+:\d+\s+error\s+.*\/transitions.*write:jira-work.*permission-scope-required/);
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
