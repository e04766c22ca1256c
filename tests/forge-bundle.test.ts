/**
 * The app as Forge deploys it: bundled by the real @forge/bundler (webpack + ts-loader, offline),
 * copied away from the repository, loaded with plain Node 22 and called like the platform does.
 * Proves the inlined Wasm survives bundling and `initSync` runs from the single bundled file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoPolicy, startLocalApp } from '../playground/local-app';
import { realClock } from '../playground/forge-runtime/index';
import { DEMO_ACCOUNTS as A } from '../playground/demo';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

test('the real Forge bundler bundles the handlers into one file that loads elsewhere and answers', { timeout: 240_000 }, async () => {
  const bundleDir = mkdtempSync(path.join(tmpdir(), 'jit-bundle-'));
  const elsewhere = mkdtempSync(path.join(tmpdir(), 'jit-elsewhere-'));
  const app = await startLocalApp({ clock: realClock() });
  try {
    execFileSync('bash', [path.join(root, 'scripts/node22.sh'), path.join(root, 'scripts/bundle-forge.ts'), bundleDir], { cwd: root, stdio: 'pipe' });
    copyFileSync(path.join(bundleDir, 'index.cjs'), path.join(elsewhere, 'index.cjs'));
    assert.ok(statSync(path.join(elsewhere, 'index.cjs')).size > 100_000, 'the Wasm bytes travel inside the bundle');

    // Loaded from a directory with no node_modules and no .wasm file next to it.
    const bundle = createRequire(path.join(elsewhere, 'index.cjs'))('./index.cjs') as Record<string, (...args: never[]) => unknown>;
    for (const name of ['panelResolver', 'adminResolver', 'postApprove', 'postReject', 'postComplete', 'postRevoke', 'postApproveExtension', 'sweep', 'consumer']) {
      assert.equal(typeof bundle[name], 'function', `exports ${name}`);
    }

    const saved = (await app.runtime.invokeResolver(bundle.adminResolver!, {
      functionKey: 'savePolicy',
      payload: { policy: demoPolicy() },
      context: { accountId: A['perm-1'], moduleKey: 'jit-admin-admin' },
    })) as { ok: boolean };
    assert.equal(saved.ok, true, JSON.stringify(saved));

    const issue = app.createIssue('Org admin for the SAML certificate', A.alice);
    const submitted = (await app.runtime.invokeResolver(bundle.panelResolver!, {
      functionKey: 'submitRequest',
      payload: { target: 'org-admin', durationMinutes: 30, justification: 'rotate the SAML certificate' },
      context: { accountId: A.alice, moduleKey: 'jit-admin-panel', extension: { issue: { key: issue.key, id: issue.id } } },
    })) as { ok: boolean; data?: { view: { grant: { state: string } } } };
    assert.equal(submitted.ok, true, JSON.stringify(submitted));
    assert.equal(submitted.data?.view.grant.state, 'awaiting approval');

    const refused = (await app.runtime.invokeResolver(bundle.panelResolver!, {
      functionKey: 'approve',
      payload: { accountId: A.bob },
      context: { accountId: A.alice, moduleKey: 'jit-admin-panel', extension: { issue: { key: issue.key, id: issue.id } } },
    })) as { ok: boolean; error?: { code: string } };
    assert.equal(refused.error?.code, 'SELF_APPROVAL', 'identity comes from the context, not the payload');

    await app.runtime.invokeFunction(bundle.sweep as never, {}, { moduleKey: 'jit-sweep' });
  } finally {
    await app.close();
    rmSync(bundleDir, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  }
});
