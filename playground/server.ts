/**
 * The playground (`npm start`): the whole app on one machine, in a browser.
 *
 * - The app's real handlers with the Wasm core, the org-admin and Jira emulators, the local Forge runtime (KVS,
 *   queue) and the five-minute sweep, all on one `VirtualClock` (see ./local-app).
 * - The clock is driven by a real-time ticker (every `tickMs`, it advances by elapsed × speed); manual jumps
 *   (`POST /__playground/clock`) go through the same queue, so every due timer runs, in time order, and two
 *   advances never overlap (VirtualClock refuses that).
 * - Host pages (playground/web/): a Jira-like issue page whose issue panel is the REAL Custom UI bundle
 *   (forge-app/ui/dist/panel) in an iframe with the bridge shim injected, the admin page the same way, an issue
 *   list, "view as", clock controls and an "org" view of who holds each admin target.
 * - A scripting surface under /__playground/ (see README.md, "Scripting the playground"), and the emulated
 *   organizations API at its real paths (/admin/v1/..., /admin/v2/...).
 * - State persists in `dataDir` (default .playground/): the KVS SQLite file, and state.json with the emulator
 *   snapshots, the clock and the speed. Saved every couple of seconds, after each change, and on exit.
 *
 * `startPlayground()` runs it in-process (tests); run this file directly to serve it.
 */
import { createWriteStream, mkdirSync, renameSync, writeFileSync, type WriteStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rawFetch, type VirtualClock } from './forge-runtime/index';
import { DEMO_API_KEY, DEMO_JIRA_ADMINS_GROUP, DEMO_ORG_ID, DEMO_SITE_ARI, type LocalApp } from './local-app';
import { HttpError, readPlaygroundBody, sendError, sendFile } from './app-server/http';
import { ROOT, STATE_VERSION, WEB_DIR, checkSpeed, openSession, savedFaults, trimLogs, wipe, type PlaygroundOptions, type SavedState, type Session } from './app-server/session';
import { createViews } from './app-server/views';
import { playgroundRoutes, type ResolverModule } from './app-server/routes';

export { injectShim } from './app-server/http';
export type { PlaygroundOptions } from './app-server/session';

export interface Playground {
  url: string;
  port: number;
  dataDir: string;
  /** The running app (replaced by `reset()`). */
  readonly app: LocalApp;
  readonly clock: VirtualClock;
  readonly speed: number;
  /** Moves the emulated clock forward, running everything due in time order. Returns the new time. */
  advance(ms: number): Promise<number>;
  setSpeed(speed: number): void;
  /** Writes state.json now. */
  save(): void;
  /** Wipes the saved state and starts again from the demo data. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startPlayground(options: PlaygroundOptions = {}): Promise<Playground> {
  const dataDir = resolve(options.dataDir ?? join(ROOT, '.playground'));
  mkdirSync(dataDir, { recursive: true });
  const say = (line: string) => console.error(line);
  let logStream: WriteStream | null = null;
  const log =
    options.log ??
    ((line: string) => {
      logStream ??= createWriteStream(join(dataDir, 'app.log'), { flags: 'a' });
      logStream.write(`${line}\n`);
    });

  const opened = await openSession(dataDir, options, log, say);
  let session: Session | null = opened.session;
  let ready: Promise<Session> = Promise.resolve(opened.session);
  let speed = checkSpeed(opened.speed ?? options.speed ?? 1);
  let closing = false;

  // Panel freshness: the mirrored grant version the panel last saw per issue, and panel calls in flight.
  const panelSeen = new Map<string, number>();
  const panelBusy = new Map<string, number>();
  const views = createViews({ seen: panelSeen, busy: panelBusy });

  // ---- the clock: one queue for ticker and manual advances
  let chain: Promise<unknown> = Promise.resolve();
  let queued = 0;
  const onClock = <T>(fn: () => Promise<T>): Promise<T> => {
    queued++;
    const run = chain.then(fn).finally(() => queued--);
    chain = run.catch(() => undefined);
    return run;
  };
  let lastTick = performance.now();
  let owed = 0;
  const ticker = setInterval(() => {
    const t = performance.now();
    owed += (t - lastTick) * speed;
    lastTick = t;
    if (queued > 0 || !session || closing) return;
    const ms = Math.floor(owed);
    if (ms <= 0) return;
    owed -= ms;
    const s = session;
    void onClock(() => s.clock.advance(ms)).catch((e) => say(`playground: clock tick failed: ${String(e)}`));
  }, options.tickMs ?? 100);
  ticker.unref();

  // ---- persistence
  const save = () => {
    if (!session) return;
    const { app, clock } = session;
    const state: SavedState = {
      version: STATE_VERSION,
      savedAt: new Date().toISOString(),
      now: clock.now(),
      speed,
      org: app.org.exportSnapshot(),
      jira: app.jira.exportSnapshot(),
      faults: savedFaults(app),
      health: app.variableFaults(),
    };
    const path = join(dataDir, 'state.json');
    writeFileSync(`${path}.tmp`, JSON.stringify(state));
    renameSync(`${path}.tmp`, path);
  };
  const trySave = () => {
    try {
      save();
    } catch (e) {
      say(`playground: could not save the state: ${String(e)}`);
    }
  };
  save();
  const housekeeping = setInterval(() => {
    trySave();
    if (session) trimLogs(session.app);
  }, options.saveIntervalMs ?? 2000);
  housekeeping.unref();

  const advance = (ms: number) =>
    ready.then((s) => onClock(async () => {
      await s.clock.advance(ms);
      trySave();
      return s.clock.now();
    }));

  const reset = async () => {
    const next = onClock(async () => {
      const old = session;
      session = null;
      if (old) {
        await old.app.close();
        old.clock.close();
      }
      wipe(dataDir);
      panelSeen.clear();
      const fresh = await openSession(dataDir, { ...options, startAt: undefined }, log, say);
      session = fresh.session;
      speed = checkSpeed(options.speed ?? 1);
      owed = 0;
      lastTick = performance.now();
      save();
      return fresh.session;
    });
    ready = next;
    await next;
  };


  const clockInfo = (s: Session) => ({ now: new Date(s.clock.now()).toISOString(), nowMs: s.clock.now(), speed });

  // ---- resolver calls

  const callResolver = async (app: LocalApp, module: ResolverModule, as: string | undefined, issueKey: string | undefined, fn: string, payload: unknown) => {
    if (module === 'admin') return app.admin(as as string, fn, payload);
    const key = issueKey ?? '';
    panelBusy.set(key, (panelBusy.get(key) ?? 0) + 1);
    try {
      // The portal's request page: the request by key, as the service-management portal names it.
      if (module === 'portal') return await app.portal(as as string, key, fn, payload);
      return await app.panel(as as string, key, fn, payload);
    } finally {
      panelBusy.set(key, (panelBusy.get(key) ?? 1) - 1);
    }
  };


  const api = playgroundRoutes({
    ready: () => ready,
    speed: () => speed,
    setSpeed: (n) => {
      speed = n;
    },
    advance,
    reset,
    trySave,
    callResolver,
    panelSeen,
    clockInfo,
    views,
  });

  /** The emulated organizations API at its real paths, forwarded to the org emulator. */
  const proxyOrgApi = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const { app } = await ready;
    const body = await readPlaygroundBody(req);
    const headers: Record<string, string> = {};
    for (const h of ['authorization', 'content-type', 'accept']) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const method = req.method ?? 'GET';
    const upstream = await rawFetch(`${app.org.url}${url.pathname}${url.search}`, {
      method,
      headers,
      body: method === 'GET' || method === 'HEAD' || body.length === 0 ? undefined : new Uint8Array(body),
    });
    const ours = `http://${req.headers.host ?? '127.0.0.1'}`;
    const text = (await upstream.text()).split(app.org.url).join(ours);
    const out: Record<string, string> = {};
    for (const h of ['content-type', 'retry-after', 'allow']) {
      const v = upstream.headers.get(h);
      if (v) out[h] = v;
    }
    res.writeHead(upstream.status, out);
    res.end(text);
    if (method !== 'GET') trySave();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://playground.local');
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/__playground/')) return api(req, res, url);
    if (url.pathname.startsWith('/admin/')) return proxyOrgApi(req, res, url);
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}`);
    if (url.pathname === '/' || url.pathname === '/index.html') return sendFile(res, join(WEB_DIR, 'index.html'));
    // The service-management portal's request page (`?as=&issue=`), with the portal module's iframe.
    if (url.pathname === '/portal' || url.pathname === '/portal.html') return sendFile(res, join(WEB_DIR, 'portal.html'));
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    const file = /^\/([A-Za-z0-9_-]+\.(?:js|css|svg))$/.exec(url.pathname);
    if (file && file[1] !== 'bridge-shim.js') return sendFile(res, join(WEB_DIR, file[1]!));
    throw new HttpError(404, 'NOT_FOUND', `nothing at ${url.pathname}`);
  };

  const server: Server = createServer((req, res) => {
    res.on('error', () => undefined);
    handle(req, res).catch((e) => sendError(res, e));
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  const port = options.port ?? (process.env.PORT ? Number(process.env.PORT) : 8080);
  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolvePromise());
    });
  } catch (e) {
    clearInterval(ticker);
    clearInterval(housekeeping);
    await opened.session.app.close();
    opened.session.clock.close();
    throw e;
  }
  const actualPort = (server.address() as AddressInfo).port;

  return {
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    dataDir,
    get app() {
      if (!session) throw new Error('the playground is resetting');
      return session.app;
    },
    get clock() {
      if (!session) throw new Error('the playground is resetting');
      return session.clock;
    },
    get speed() {
      return speed;
    },
    advance,
    setSpeed(n: number) {
      speed = checkSpeed(n);
    },
    save: trySave,
    reset,
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(ticker);
      clearInterval(housekeeping);
      await chain;
      const s = await ready.catch(() => null);
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      if (s) {
        trySave();
        session = null;
        await s.app.close();
        s.clock.close();
      }
      await new Promise<void>((r) => (logStream ? logStream.end(r) : r()));
    },
  };
}


// Kept for the README's curl examples and the tests.
export { DEMO_API_KEY, DEMO_ORG_ID, DEMO_SITE_ARI, DEMO_JIRA_ADMINS_GROUP };

// ---------------------------------------------------------------------------------------------
// `npm start`

async function main(): Promise<void> {
  const started = Date.now();
  const pg = await startPlayground();
  const url = pg.url;
  console.log(
    [
      '',
      `JIT Admin playground: ${url}`,
      '',
      `  issue page     ${url}/?as=alice&issue=JIT-1`,
      `  admin page     ${url}/?as=perm-1&view=admin`,
      `  org API key    ${DEMO_API_KEY}   (the emulated org's, not a secret)`,
      `  try            curl -H "Authorization: Bearer ${DEMO_API_KEY}" ${url}/admin/v1/orgs`,
      `  state          ${pg.dataDir}   (POST ${url}/__playground/reset, or the Reset button, starts afresh)`,
      `  emulated time  ${new Date(pg.clock.now()).toISOString()} at ${pg.speed}×`,
      '',
      `Ready in ${Date.now() - started} ms. Ctrl+C stops it (the state is saved).`,
    ].join('\n'),
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: saving and stopping…`);
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    pg.close().then(
      () => process.exit(0),
      (e) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e) => {
    console.error(`playground: ${e instanceof Error ? e.message : String(e)}`);
    if ((e as { code?: string }).code === 'EADDRINUSE') console.error('playground: the port is taken; set PORT to another one, e.g. PORT=8081 npm start');
    process.exit(1);
  });
}
