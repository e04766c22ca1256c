/**
 * What every browser test shares: where Chromium and the screenshots are, a playground with a headless
 * Chromium beside it (each test file its own, in its own temporary directory), the playground's HTTP
 * calls, and steps that name themselves and leave a screenshot when they fail.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { rawFetch } from '../../playground/forge-runtime/index';
import { startPlayground, type Playground } from '../../playground/server';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** tests/artifacts/screenshots/ (git-ignored); with UPDATE_SCREENSHOTS=1, docs/screenshots/. */
export const SHOTS = process.env.UPDATE_SCREENSHOTS ? join(ROOT, 'docs', 'screenshots') : join(ROOT, 'tests', 'artifacts', 'screenshots');
export const WAIT = 15_000;

export interface BrowserSession {
  pg: Playground;
  browser: BrowserContext;
  page: Page;
}

/** A playground starting at `startAt` (data in `tmp`) and a headless Chromium `width` pixels wide. */
export async function openBrowser(tmp: string, startAt: number, width: number): Promise<BrowserSession> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} does not exist: install Debian's chromium with \`bash scripts/setup.sh --browser\` (or set CHROMIUM_PATH)`);
  }
  const pg = await startPlayground({ port: 0, dataDir: join(tmp, 'data'), startAt, log: () => undefined });
  const browser = await chromium.launchPersistentContext(join(tmp, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    viewport: { width, height: 1000 },
    timezoneId: 'UTC',
    locale: 'en-US',
    timeout: 30_000,
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => console.error(`[browser] page error: ${e.message}`));
  return { pg, browser, page };
}

/** Closes what `openBrowser` opened (either may be missing when it failed half-way) and removes `tmp`. */
export async function closeBrowser(session: Partial<BrowserSession>, tmp: string): Promise<void> {
  await session.browser?.close().catch(() => undefined);
  await session.pg?.close();
  rmSync(tmp, { recursive: true, force: true });
}

/** A GET (no body) or POST to the playground; a non-2xx answer fails the test with its text. */
export async function playgroundApi(pg: Playground, path: string, body?: unknown): Promise<any> {
  const r = await rawFetch(`${pg.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  assert.ok(r.ok, `${path}: HTTP ${r.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Runs a step; a failure names the step, the page's URL and leaves a screenshot in tests/artifacts (`failed-<prefix><step>.png`). */
export async function runStep<T>(page: Page | undefined, prefix: string, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const file = join(ROOT, 'tests', 'artifacts', `failed-${prefix}${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
    mkdirSync(join(ROOT, 'tests', 'artifacts'), { recursive: true });
    await page?.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    const message = e instanceof Error ? e.message.split('\n').filter(Boolean).slice(0, 4).join(' ') : String(e);
    throw new Error(`step "${name}" failed: ${message}\n  page: ${page?.url()}\n  screenshot: ${file}`, { cause: e });
  }
}
