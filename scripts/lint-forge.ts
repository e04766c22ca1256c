// Offline `forge lint`: the schema and every client-side linter of @forge/lint (scope check included).
//
//   scripts/node22.sh scripts/lint-forge.ts [appDir]        (appDir defaults to the repo root)
//
// `forge lint` itself needs a login and the network for its server half, so it cannot run here. Its client half
// is @forge/lint's `lint(...)` in 'client-side' mode, which this script drives the way the CLI does. Traps, all
// read in node_modules/@forge/lint and @forge/cli-shared:
// - the linters read manifest.yml and tsconfig.json from the CURRENT directory, so we chdir to the app first;
// - the file list is ours to give, as paths relative to that directory (the handler check matches `^src/<file>`);
// - a .ts file not matched by tsconfig.json's "include" globs is dropped without a word, so we check coverage;
// - the PermissionLinter downloads six OpenAPI files unless USE_LOCAL_SWAGGER and all six LOCAL_*_SWAGGER are set
//   (with one missing it silently goes back to the network).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { FileSystemReader, listTSConfigIncludeExclude, type StatsigService } from '@forge/cli-shared';
import { getClientSideLintersOnly, lint, problemCount, type LintResult } from '@forge/lint';
import { ManifestParserBuilder, type ManifestSchema } from '@forge/manifest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Environment variable read by the PermissionLinter → file name in ../shared/specs → official URL. */
const SPECS = [
  ['LOCAL_JIRA_SWAGGER', 'jira-platform.v3.json', 'https://developer.atlassian.com/cloud/jira/platform/swagger-v3.v3.json'],
  ['LOCAL_JSM_SWAGGER', 'jira-service-management.v3.json', 'https://developer.atlassian.com/cloud/jira/service-desk/swagger.v3.json'],
  ['LOCAL_JSW_SWAGGER', 'jira-software.v3.json', 'https://developer.atlassian.com/cloud/jira/software/swagger.v3.json'],
  ['LOCAL_CONF_SWAGGER', 'confluence-v1.v3.json', 'https://developer.atlassian.com/cloud/confluence/swagger.v3.json'],
  ['LOCAL_CONF_V2_SWAGGER', 'confluence-v2.v3.json', 'https://developer.atlassian.com/cloud/confluence/openapi-v2.v3.json'],
  ['LOCAL_BB_SWAGGER', 'bitbucket.v3.json', 'https://developer.atlassian.com/cloud/bitbucket/swagger.json'],
] as const;

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.js', '.jsx', '.cjs', '.mjs'];

class LintSetupError extends Error {}

/**
 * The directory holding the six spec files. $ATLASSIAN_SPECS_DIR if set (it must be complete), else the project's
 * ../shared/specs, else a download cache outside the repo (the spec files must never be committed).
 */
async function specsDirectory(): Promise<string> {
  const complete = (dir: string) => SPECS.every(([, file]) => fs.existsSync(path.join(dir, file)));
  const explicit = process.env.ATLASSIAN_SPECS_DIR;
  if (explicit) {
    if (complete(explicit)) return path.resolve(explicit);
    throw new LintSetupError(`ATLASSIAN_SPECS_DIR=${explicit} does not hold all of ${SPECS.map(([, f]) => f).join(', ')}`);
  }
  const shared = path.resolve(repoRoot, '../shared/specs');
  if (complete(shared)) return shared;

  const cache = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'jit-admin-for-atlassian', 'atlassian-specs');
  fs.mkdirSync(cache, { recursive: true });
  for (const [, file, url] of SPECS) {
    const target = path.join(cache, file);
    if (fs.existsSync(target)) continue;
    console.error(`lint-forge: ${shared} is missing; downloading ${url}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = await response.text();
      JSON.parse(body); // a captive portal's HTML page must not end up in the cache
      fs.writeFileSync(`${target}.part`, body);
      fs.renameSync(`${target}.part`, target);
    } catch (error) {
      throw new LintSetupError(
        `no Atlassian OpenAPI specs: ${shared} is missing and ${url} could not be downloaded (${String(error)}).\n` +
          `Set ATLASSIAN_SPECS_DIR to a directory holding ${SPECS.map(([, f]) => f).join(', ')}.`,
      );
    }
  }
  return cache;
}

/** Resolves a relative import the way the bundler would (extensionless, `.js` written for `.ts`, `dir/index`). */
function resolveRelativeImport(fromFile: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const stem = base.replace(/\.(c|m)?js$/, '');
  const candidates = [
    base,
    ...SOURCE_EXTENSIONS.map((ext) => stem + ext),
    ...SOURCE_EXTENSIONS.map((ext) => path.join(base, `index${ext}`)),
  ];
  return candidates.find((candidate) => SOURCE_EXTENSIONS.includes(path.extname(candidate)) && fs.statSync(candidate, { throwIfNoEntry: false })?.isFile());
}

function listFilesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !path.join(entry.parentPath, entry.name).split(path.sep).includes('node_modules'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Paths (absolute) that git ignores in appDir; empty when appDir is not in a git work tree. */
function gitIgnored(appDir: string, files: string[]): Set<string> {
  const result = spawnSync('git', ['-C', appDir, 'check-ignore', '--stdin'], { input: files.join('\n'), encoding: 'utf8' });
  if (result.status !== 0) return new Set(); // 1: nothing ignored; 128: not a repository
  return new Set(result.stdout.split('\n').filter(Boolean).map((file) => path.resolve(appDir, file)));
}

/**
 * What `forge lint` lints (every file under src/, minus git-ignored ones), plus every local module those files
 * import, transitively. The second part matters here: src/index.ts only re-exports forge-app/src, where the API
 * calls are, and the CLI would never look there. Returned relative to appDir, as the linters expect.
 */
function filesToLint(appDir: string): string[] {
  const seen = new Set<string>();
  const queue = listFilesUnder(path.join(appDir, 'src')).filter((file) => SOURCE_EXTENSIONS.includes(path.extname(file)));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue; // packages are not ours to lint
      const resolved = resolveRelativeImport(file, fileName);
      if (resolved && !resolved.split(path.sep).includes('node_modules')) queue.push(resolved);
    }
  }
  const ignored = gitIgnored(appDir, [...seen]);
  return [...seen]
    .filter((file) => !ignored.has(file))
    .map((file) => path.relative(appDir, file).split(path.sep).join('/'))
    .sort();
}

/** Files @forge/lint would skip silently because tsconfig.json's include/exclude globs do not cover them. */
async function filesHiddenByTsconfig(files: string[]): Promise<string[]> {
  const { include, exclude } = await listTSConfigIncludeExclude(new FileSystemReader());
  if (include.length === 0 && exclude.length === 0) return [];
  const included = new Set(include);
  const excluded = new Set(exclude);
  return files.filter((file) => /\.tsx?$/.test(file) && !(included.has(path.resolve(file)) && !excluded.has(path.resolve(file))));
}

/**
 * Stands in for the CLI's feature-flag client, which needs the network. The online CLI gets the deprecated
 * runtimes from the flag `xls-forge-cli-deprecated-runtimes` (and silently uses [] when offline); listing the
 * runtimes Forge has deprecated (platform-notes §2: nodejs20.x) keeps the manifest linter's warning for them.
 */
const statsig = {
  getDeprecatedRuntimes: async () => ['sandbox', 'nodejs18.x', 'nodejs20.x'],
  checkGate: async () => false,
  getDynamicConfig: async () => undefined,
} as unknown as StatsigService;

function report(results: LintResult[]): void {
  for (const result of results) {
    for (const [level, rules] of [['error', result.errors], ['warning', result.warnings], ['approval', result.approvals]] as const) {
      for (const rule of rules) {
        console.log(`${result.file}:${rule.line}:${rule.column}  ${level}  ${rule.message}  [${rule.reference}]`);
      }
    }
  }
}

async function main(): Promise<number> {
  const appDir = path.resolve(process.argv[2] ?? repoRoot);
  process.chdir(appDir);
  if (!fs.existsSync('manifest.yml')) throw new LintSetupError(`no manifest.yml in ${appDir}`);

  const specs = await specsDirectory();
  process.env.USE_LOCAL_SWAGGER = '1';
  for (const [variable, file] of SPECS) process.env[variable] = path.join(specs, file);

  const manifest = new ManifestParserBuilder()
    .withInterpolators()
    .build()
    .parseManifest<ManifestSchema>({ content: fs.readFileSync('manifest.yml', 'utf8'), filePath: 'manifest.yml' });

  const files = filesToLint(appDir);
  if (files.length === 0) throw new LintSetupError(`no source files under ${path.join(appDir, 'src')}: nothing would be linted`);
  const hidden = await filesHiddenByTsconfig(files);
  if (hidden.length > 0) {
    throw new LintSetupError(`tsconfig.json "include" does not cover ${hidden.join(', ')}; @forge/lint would skip them silently`);
  }

  const environment = 'development';
  const logger = { info: (message: string) => console.log(message) };
  const linters = await getClientSideLintersOnly(manifest, environment, logger, statsig);
  const results = await lint(files, manifest, environment, logger, statsig, { linter: { mode: 'client-side' }, linters });
  report(results);
  if (results.some((result) => result.errors.some((rule) => rule.reference === 'valid-resource-required'))) {
    console.log('lint-forge: hint: resource folders are build output; build the Custom UI first (npm run build)');
  }
  const count = problemCount(results);
  console.log(
    `lint-forge: ${files.length} source files, ${linters.length} linters, specs from ${specs}: ` +
      `${count.errors} errors, ${count.warnings} warnings, ${count.approvals} approvals`,
  );
  return count.errors + count.approvals > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`lint-forge: ${error instanceof LintSetupError ? error.message : error instanceof Error ? error.stack : String(error)}`);
    process.exit(2);
  },
);
