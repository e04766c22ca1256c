// Bundles the Forge functions with the REAL @forge/bundler (webpack + ts-loader, what `forge deploy` runs),
// offline, and copies the result to a directory:
//
//   scripts/node22.sh scripts/bundle-forge.ts [outDir] [appDir]     (defaults: forge-app/generated/bundle, repo root)
//
// Out of the box the bundler downloads the Forge runtime wrapper from Atlassian's CDN. That wrapper is not part of
// our code (the bundle's index.cjs does not use it), so a LocalWrapperProvider reads stand-ins from a temp dir.
// The result proves the app bundles and type-checks as Forge would do it and gives a single index.cjs whose
// handlers can be loaded and called from plain Node 22. It is not a deployable artifact: `forge deploy` bundles
// again, with the real wrapper.
import fs from 'node:fs';
import { Module } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigFile, FileSystemReader, FileSystemWriter, type Logger } from '@forge/cli-shared';

// @forge/bundler refuses to start ("Could not find the main executable file") unless `require.main` is set, and
// it is not when the entry point is an ES module like this one. Node fills `require.main` from
// `process.mainModule` when it loads a CommonJS module, so set that first and load the bundler afterwards.
process.mainModule ??= new Module(fileURLToPath(import.meta.url));
const { getEntryPoints, getNodeBundler, LocalWrapperProvider } = await import('@forge/bundler');

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Written into every output directory, so that a later run may wipe it without wiping something else. */
const MARKER = '.forge-bundle';

const logger: Logger = {
  traceEnabled: false,
  debugEnabled: Boolean(process.env.DEBUG),
  trace: () => {},
  debug: (message) => {
    if (process.env.DEBUG) console.error(message);
  },
  info: (message) => console.log(message),
  warn: (message) => console.error(`bundle-forge: warning: ${message}`),
  error: (error) => console.error(error),
};

function stubRuntimeDirectory(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-runtime-stub-'));
  fs.mkdirSync(path.join(dir, 'dist'));
  for (const name of ['wrapper', 'loader']) {
    fs.writeFileSync(
      path.join(dir, 'dist', `${name}.js`),
      `// Stand-in for the Forge runtime ${name} (scripts/bundle-forge.ts); the real one comes from Atlassian's CDN.\n` +
        `throw new Error('offline bundle: the Forge runtime ${name} is a stub');\n`,
    );
  }
  return dir;
}

/** Empties outDir, refusing to touch a non-empty directory that this script did not create. */
function prepareOutputDirectory(outDir: string): void {
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0) {
    if (!fs.existsSync(path.join(outDir, MARKER))) {
      throw new Error(`${outDir} is not empty and was not written by bundle-forge; refusing to overwrite it`);
    }
    fs.rmSync(outDir, { recursive: true });
  }
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, MARKER), 'Written by scripts/bundle-forge.ts; the next run deletes this directory.\n');
}

async function main(): Promise<void> {
  const outDir = path.resolve(process.argv[2] ?? path.join(repoRoot, 'forge-app/generated/bundle'));
  const appDir = path.resolve(process.argv[3] ?? repoRoot);
  // The config reader, the entry points (src/<file>) and ts-loader's tsconfig lookup all work from the cwd.
  process.chdir(appDir);

  const started = Date.now();
  const config = new ConfigFile(new FileSystemReader(), new FileSystemWriter());
  const handlers = await config.getAppHandlers();
  const runtimeStub = stubRuntimeDirectory();
  try {
    const bundler = getNodeBundler(logger, new LocalWrapperProvider(new FileSystemReader(), runtimeStub), config);
    const output = await bundler.bundle({ appDirectory: appDir, entryPoints: getEntryPoints(handlers) });

    prepareOutputDirectory(outDir);
    fs.cpSync(output.outputDir, outDir, { recursive: true });
    fs.rmSync(output.outputDir, { recursive: true, force: true });

    const modules = [...new Set(handlers.map(({ module }) => module))].join(', ');
    console.log(`bundle-forge: ${handlers.length} handlers in src/{${modules}} bundled in ${((Date.now() - started) / 1000).toFixed(1)} s → ${outDir}`);
    for (const file of fs.readdirSync(outDir).filter((name) => name !== MARKER).sort()) {
      console.log(`  ${file}  ${(fs.statSync(path.join(outDir, file)).size / 1024).toFixed(1)} KiB`);
    }
  } finally {
    fs.rmSync(runtimeStub, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bundle-forge: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
