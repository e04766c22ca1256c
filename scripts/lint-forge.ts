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
//   (with one missing it silently goes back to the network). We give it the generated subsets in specs/
//   (scripts/refresh-specs.ts): the Jira operations the project uses, with their scopes, and an empty file for the
//   products the app never calls. So nothing outside the repository is needed;
// - it checks a call only if a spec path matches it and skips the rest without a word, so after linting we look
//   at every product call it found and fail on one the subsets do not hold (the check would otherwise lose its teeth
//   the day the app calls an operation the subset lacks).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { FileSystemReader, listTSConfigIncludeExclude, type StatsigService } from '@forge/cli-shared';
import { PermissionLinter, getClientSideLintersOnly, lint, problemCount, type LintResult } from '@forge/lint';
import { ManifestParserBuilder, type ManifestSchema } from '@forge/manifest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const specsDir = path.join(repoRoot, 'specs');
const JIRA_SUBSET = path.join(specsDir, 'jira-platform.subset.json');
const NO_PATHS = path.join(specsDir, 'forge-lint-no-paths.json');

/** Environment variable read by the PermissionLinter → the file it gets (all in the repo, see refresh-specs.ts). */
const SWAGGER_FILES = [
  ['LOCAL_JIRA_SWAGGER', JIRA_SUBSET],
  ['LOCAL_JSM_SWAGGER', NO_PATHS],
  ['LOCAL_JSW_SWAGGER', NO_PATHS],
  ['LOCAL_CONF_SWAGGER', NO_PATHS],
  ['LOCAL_CONF_V2_SWAGGER', NO_PATHS],
  ['LOCAL_BB_SWAGGER', NO_PATHS],
] as const;

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.js', '.jsx', '.cjs', '.mjs'];

class LintSetupError extends Error {}

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

/** A product call as the PermissionLinter recorded it (api-call-interface.d.ts `ProductApiCall`). */
interface ProductCall {
  product: 'jira' | 'confluence' | 'bitbucket';
  path: string;
  method: string;
  line: number;
  column: number;
}
type PathMap = Map<RegExp, { originalPath: string; methods: Record<string, unknown> }>;

/**
 * Every product call the scope check skipped because no path of the given specs matches it, or because the matched
 * path lacks the call's method (it then requires no scope at all). Read from the PermissionLinter's own state, so
 * the lookup is exactly its `lookupApiCall`: the first path regex that matches the call, query removed.
 */
function callsTheSubsetsMiss(linters: unknown[]): string[] {
  const permission = linters.find((l) => l instanceof PermissionLinter) as unknown as
    | { matches?: Map<string, Record<string, unknown[]>>; jira?: PathMap; confluence?: PathMap; bitbucket?: PathMap }
    | undefined;
  if (!permission?.matches || !permission.jira || !permission.confluence || !permission.bitbucket) {
    throw new LintSetupError('cannot read the PermissionLinter\'s calls (did @forge/lint change?): the subsets\' coverage is unchecked');
  }
  const maps: Record<ProductCall['product'], PathMap> = { jira: permission.jira, confluence: permission.confluence, bitbucket: permission.bitbucket };
  const misses: string[] = [];
  for (const [file, byKind] of permission.matches) {
    for (const product of ['jira', 'confluence', 'bitbucket'] as const) {
      for (const call of (byKind[product] ?? []) as ProductCall[]) {
        const bare = call.path.replace(/\?.+$/, '');
        const method = call.method.toUpperCase();
        const hit = [...maps[product]].find(([regex]) => regex.test(bare))?.[1];
        const where = `${file}:${call.line}:${call.column}  error  `;
        const fix = 'the scope check cannot see it; add the operation to scripts/refresh-specs.ts and run it  [spec-subset-coverage]';
        if (!hit) misses.push(`${where}${product} call ${method} ${bare} matches no path of the spec subsets in specs/: ${fix}`);
        else if (!(call.method.toLowerCase() in hit.methods)) misses.push(`${where}${product} call ${method} ${bare} matches ${hit.originalPath}, which has no ${method} in specs/: ${fix}`);
      }
    }
  }
  return misses;
}

async function main(): Promise<number> {
  const appDir = path.resolve(process.argv[2] ?? repoRoot);
  process.chdir(appDir);
  if (!fs.existsSync('manifest.yml')) throw new LintSetupError(`no manifest.yml in ${appDir}`);

  for (const [, file] of SWAGGER_FILES) {
    if (!fs.existsSync(file)) throw new LintSetupError(`${file} is missing; regenerate it with scripts/node22.sh scripts/refresh-specs.ts`);
  }
  process.env.USE_LOCAL_SWAGGER = '1';
  for (const [variable, file] of SWAGGER_FILES) process.env[variable] = file;

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
  const uncovered = callsTheSubsetsMiss(linters);
  for (const miss of uncovered) console.log(miss);
  if (results.some((result) => result.errors.some((rule) => rule.reference === 'valid-resource-required'))) {
    console.log('lint-forge: hint: resource folders are build output; build the Custom UI first (npm run build)');
  }
  const count = problemCount(results);
  const errors = count.errors + uncovered.length;
  console.log(
    `lint-forge: ${files.length} source files, ${linters.length} linters, specs from ${specsDir}: ` +
      `${errors} errors, ${count.warnings} warnings, ${count.approvals} approvals`,
  );
  return errors + count.approvals > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`lint-forge: ${error instanceof LintSetupError ? error.message : error instanceof Error ? error.stack : String(error)}`);
    process.exit(2);
  },
);
