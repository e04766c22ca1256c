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
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rawFetch, VirtualClock } from './forge-runtime/index';
import {
  DEMO_API_KEY,
  DEMO_JIRA_ADMINS_GROUP,
  DEMO_ORG_ID,
  DEMO_PEOPLE,
  DEMO_SITE_ARI,
  JIT_WORKFLOW,
  TRANSITIONS,
  demoPolicy,
  startLocalApp,
  type LocalApp,
  type TransitionName,
} from './local-app';
import { adfToPlainText, type JiraSnapshot } from './emulators/jira/index';
import { FAULT_KINDS, type EmulatorSnapshot, type EmulatorTarget, type FaultOptions } from './emulators/org-admin/index';
import type { GroupHolders, TargetHolders } from '../forge-app/src/decision/contract';
import { PANEL_CALLS } from '../forge-app/src/handlers/panel';
import { ADMIN_CALLS } from '../forge-app/src/handlers/admin';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB_DIR = join(ROOT, 'playground', 'web');
const UI_DIST = join(ROOT, 'forge-app', 'ui', 'dist');
/** The issue property the app mirrors each grant into (forge-app/src/adapters/jira.ts). */
const GRANT_PROPERTY = 'jit-admin-grant';
/** Largest request body accepted. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Largest single clock jump: two days (576 sweeps, each a few org-API reads). */
const MAX_ADVANCE_SECONDS = 2 * 24 * 3600;
const MAX_SPEED = 3600;
/**
 * 2: grants keyed by issue id, ISO-string timestamps in storage, and the demo's Jira users carry
 * their Jira-admin groups (the admin page checks ADMINISTER); a version-1 state is set aside.
 */
const STATE_VERSION = 2;

export interface PlaygroundOptions {
  /** TCP port; 0 picks a free one. Default: `PORT` or 8080. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where state persists. Default `<repo>/.playground`. */
  dataDir?: string;
  /** Clock speed on a fresh start (a restored state keeps its own). Default 1. */
  speed?: number;
  /** Emulated time on a fresh start (ms). Default: now, to the second. */
  startAt?: number;
  /** Ticker period, real ms. Default 100. */
  tickMs?: number;
  /** How often state.json is written while running, real ms. Default 2000. */
  saveIntervalMs?: number;
  /** Where the app's log lines go. Default: `<dataDir>/app.log`. */
  log?: (line: string) => void;
}

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

interface SavedState {
  version: number;
  savedAt: string;
  now: number;
  speed: number;
  org: EmulatorSnapshot;
  jira: JiraSnapshot;
  faults?: FaultOptions | null;
}

interface Session {
  app: LocalApp;
  clock: VirtualClock;
}

/** An HTTP error with a status and a stable code. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
const badRequest = (message: string) => new HttpError(400, 'BAD_REQUEST', message);

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Demo data

const PEOPLE_ORDER = Object.keys(DEMO_PEOPLE);
const ROLES: Record<string, string> = {
  'perm-1': 'permanent admin',
  'perm-2': 'permanent admin',
  'perm-3': 'permanent admin',
  alice: 'requester',
  erin: 'requester',
  bob: 'approver',
  carol: 'approver',
  dan: 'approver',
  jade: 'Jira admin',
  mallory: 'neither',
};

const EXAMPLE_ISSUE = {
  summary: 'Org admin to rotate the SAML signing certificate',
  reporter: 'alice',
  description:
    'The SAML signing certificate of the Acme identity provider expires on Friday.\n' +
    'I need organization admin for about an hour to upload the new certificate and test a sign-in.',
};

/** The demo policy's targets, as the org view lists them. */
function demoTargets() {
  return (demoPolicy().targets ?? []).map((t) => ({ key: t.key, label: t.label, access: t.access as EmulatorTarget }));
}

// ---------------------------------------------------------------------------------------------
// Sessions (one app + clock; replaced on reset)

function readSavedState(dataDir: string, say: (line: string) => void): SavedState | null {
  const path = join(dataDir, 'state.json');
  if (!existsSync(path)) return null;
  try {
    const s = JSON.parse(readFileSync(path, 'utf8')) as SavedState;
    if (s.version !== STATE_VERSION || typeof s.now !== 'number' || !s.org || !s.jira) throw new Error('unknown format');
    return s;
  } catch (e) {
    const aside = join(dataDir, `broken-${Date.now()}`);
    mkdirSync(aside, { recursive: true });
    for (const f of ['state.json', 'kvs.sqlite', 'kvs.sqlite-wal', 'kvs.sqlite-shm']) {
      if (existsSync(join(dataDir, f))) renameSync(join(dataDir, f), join(aside, f));
    }
    say(`playground: could not read ${path} (${(e as Error).message}); moved it to ${aside} and started afresh`);
    return null;
  }
}

function wipe(dataDir: string): void {
  for (const f of ['state.json', 'state.json.tmp', 'kvs.sqlite', 'kvs.sqlite-wal', 'kvs.sqlite-shm', 'kvs.sqlite-journal']) {
    rmSync(join(dataDir, f), { force: true });
  }
}

async function openSession(dataDir: string, options: PlaygroundOptions, log: (line: string) => void, say: (line: string) => void) {
  const saved = readSavedState(dataDir, say);
  if (!saved) wipe(dataDir);
  const clock = new VirtualClock(saved?.now ?? options.startAt ?? Math.floor(Date.now() / 1000) * 1000);
  const app = await startLocalApp({
    clock,
    kvsPath: join(dataDir, 'kvs.sqlite'),
    orgSnapshot: saved?.org,
    jiraSnapshot: saved?.jira,
    orgRequestLogLimit: 1000,
    scheduleSweep: true,
    log,
  });
  try {
    if (saved?.faults) app.org.setFaults(saved.faults);
    if (!saved) {
      await app.seedPolicy(demoPolicy());
      app.jira.createIssue(EXAMPLE_ISSUE);
    }
  } catch (e) {
    await app.close();
    throw e;
  }
  return { session: { app, clock } as Session, speed: saved?.speed, restored: !!saved };
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

function sendError(res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (e instanceof HttpError) sendJson(res, e.status, { error: { code: e.code, message: e.message } });
  else sendJson(res, 500, { error: { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) } });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Past the limit the rest is read and dropped, so the client gets its 413 instead of a reset connection.
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) reject(new HttpError(413, 'TOO_LARGE', `the request body is larger than ${MAX_BODY_BYTES} bytes`));
      else resolvePromise(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** The body as a JSON object, or a 400 that says what is wrong. */
async function jsonBody(req: IncomingMessage, allowEmpty = false): Promise<Json> {
  const text = (await readBody(req)).toString('utf8');
  if (!text.trim()) {
    if (allowEmpty) return {};
    throw badRequest('the request body must be a JSON object, and it is empty');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw badRequest(`the request body is not valid JSON: ${(e as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw badRequest('the request body must be a JSON object');
  return value as Json;
}

function str(body: Json, key: string, required = true): string | undefined {
  const v = body[key];
  if (v === undefined || v === null || v === '') {
    if (required) throw badRequest(`\`${key}\` is required (a non-empty string)`);
    return undefined;
  }
  if (typeof v !== 'string') throw badRequest(`\`${key}\` must be a string`);
  return v;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

function sendFile(res: ServerResponse, path: string, transform?: (text: string) => string): void {
  if (!existsSync(path)) throw new HttpError(404, 'NOT_FOUND', `no file ${basename(path)}`);
  const ext = path.slice(path.lastIndexOf('.'));
  const type = CONTENT_TYPES[ext] ?? 'application/octet-stream';
  const data = transform ? transform(readFileSync(path, 'utf8')) : readFileSync(path);
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
  res.end(data);
}

/** Puts the bridge shim before the bundle's first script, so `window.__bridge` exists when the bundle loads. */
export function injectShim(html: string): string {
  const tag = '<script src="/__playground/bridge-shim.js"></script>';
  const i = html.search(/<script\b/i);
  if (i >= 0) return `${html.slice(0, i)}${tag}\n    ${html.slice(i)}`;
  return html.includes('</body>') ? html.replace('</body>', `${tag}\n</body>`) : `${html}\n${tag}`;
}

// ---------------------------------------------------------------------------------------------

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

  // ---- views

  // The views below read Jira through one snapshot (a deep copy of every issue): a caller that
  // builds several views for one request takes it once and passes it to each.

  /**
   * Who holds each demo target in the emulated org, each holder with the core's reason
   * (`explainHolders`, from the same inputs as the sweep: the stored policy and the grants).
   */
  const orgView = async (app: LocalApp) => {
    const h = app.org.holders();
    const read = demoTargets().map((t) => {
      let holders: Array<{ accountId: string; method: string }> = [];
      let externallySynced = false;
      let viaGroups: GroupHolders[] = [];
      if (t.access.type === 'orgRole') {
        const role = t.access.role;
        const direct = new Set(h.direct.filter((d) => d.role === role && d.resource === app.org.orgAri).map((d) => d.accountId));
        holders = h.orgAdmins.map((accountId) => ({ accountId, method: direct.has(accountId) ? 'direct' : 'group' }));
        viaGroups = h.groups
          .filter((g) => g.roles.some((r) => r.role === role && r.resource === app.org.orgAri))
          .map((g) => ({ groupId: g.groupId, groupName: g.name, accountIds: g.members }));
      } else if (t.access.type === 'resourceRole') {
        const a = t.access;
        holders = h.direct.filter((d) => d.role === a.role && d.resource === a.resource).map((d) => ({ accountId: d.accountId, method: 'direct' }));
      } else {
        const a = t.access;
        const g = h.groups.find((x) => x.groupId === a.groupId);
        externallySynced = g?.externalSynced ?? false;
        holders = (g?.members ?? []).map((accountId) => ({ accountId, method: 'group' }));
      }
      const direct = holders.filter((x) => t.access.type !== 'orgRole' || x.method === 'direct').map((x) => x.accountId);
      const entry: TargetHolders = { target: t.key, complete: true, externallySynced, holders: direct, viaGroups };
      return { t, holders, externallySynced, entry };
    });
    const explained = await app.explainHolders({ complete: true, targets: read.map((r) => r.entry) });
    // A direct holder's explanation first (the core lists direct holders before groups' members).
    const reasonOf = (target: string, accountId: string) => explained.find((e) => e.target === target && e.accountId === accountId)?.reason ?? null;
    const targets = read.map(({ t, holders, externallySynced }) => ({
      ...t,
      externallySynced,
      holders: holders.map((x) => ({ ...x, name: DEMO_PEOPLE[x.accountId] ?? x.accountId, reason: reasonOf(t.key, x.accountId) })),
    }));
    return { ...h, targets };
  };

  const issueList = (app: LocalApp, jira: JiraSnapshot = app.jira.exportSnapshot()) =>
    jira.issues
      .map((i) => {
        const issue = app.jira.issue(i.key)!;
        return { key: i.key, summary: i.summary, status: issue.status, reporter: i.reporter, created: new Date(i.created).toISOString(), grant: i.properties[GRANT_PROPERTY] ?? null };
      })
      .sort((a, b) => Number(b.key.split('-')[1]) - Number(a.key.split('-')[1]));

  const issueDetail = (app: LocalApp, key: string, jira: JiraSnapshot = app.jira.exportSnapshot()) => {
    const rec = jira.issues.find((i) => i.key === key.toUpperCase());
    const issue = app.jira.issue(key);
    if (!rec || !issue) return null;
    const statusDef = JIT_WORKFLOW.statuses.find((s) => s.name === issue.status);
    const grant = (rec.properties[GRANT_PROPERTY] ?? null) as { version?: number } | null;
    const transitions = (Object.keys(TRANSITIONS) as TransitionName[])
      .map((event) => ({ event, def: JIT_WORKFLOW.transitions.find((t) => t.id === TRANSITIONS[event].transitionId)! }))
      .filter((x) => statusDef && x.def.from.includes(statusDef.id))
      .map((x) => ({ event: x.event, name: x.def.name }));
    return {
      key: issue.key,
      id: issue.id,
      summary: issue.summary,
      status: issue.status,
      statusCategory: statusDef?.category ?? 'new',
      reporter: issue.reporter,
      created: new Date(rec.created).toISOString(),
      description: rec.description ? adfToPlainText(rec.description) : '',
      comments: app.jira.comments(key).map((c) => ({ id: c.id, author: c.author, text: c.text, html: c.html, created: new Date(c.created).toISOString() })),
      grant,
      transitions,
      panel: {
        seenVersion: panelSeen.get(issue.key) ?? null,
        busy: (panelBusy.get(issue.key) ?? 0) > 0,
        stale: !!grant && (panelBusy.get(issue.key) ?? 0) === 0 && panelSeen.has(issue.key) && panelSeen.get(issue.key) !== grant.version,
      },
    };
  };

  const clockInfo = (s: Session) => ({ now: new Date(s.clock.now()).toISOString(), nowMs: s.clock.now(), speed });

  // ---- resolver calls

  const callResolver = async (app: LocalApp, module: 'panel' | 'admin' | 'portal', as: string | undefined, issueKey: string | undefined, fn: string, payload: unknown) => {
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

  // ---- routes

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const route = `${method} ${url.pathname.replace(/\/+$/, '') || '/'}`;
    const s = await ready;
    const { app } = s;

    switch (route) {
      case 'GET /__playground/bridge-shim.js':
        return sendFile(res, join(WEB_DIR, 'bridge-shim.js'));

      case 'POST /__playground/bridge/invoke': {
        const body = await jsonBody(req);
        const functionKey = str(body, 'functionKey')!;
        const context = (body.context && typeof body.context === 'object' ? body.context : {}) as Json;
        const module = context.module === 'admin' ? 'admin' : context.module === 'portal' ? 'portal' : 'panel';
        const accountId = typeof context.accountId === 'string' && context.accountId ? context.accountId : undefined;
        const issueKey = typeof context.issueKey === 'string' && context.issueKey ? context.issueKey : undefined;
        const known: readonly string[] = module === 'admin' ? ADMIN_CALLS : PANEL_CALLS;
        if (!known.includes(functionKey)) throw new HttpError(404, 'UNKNOWN_FUNCTION', `the ${module} resolver has no function \`${functionKey}\``);
        let result: unknown;
        try {
          result = await callResolver(app, module, accountId, issueKey, functionKey, body.payload ?? {});
        } catch (e) {
          throw new HttpError(500, 'RESOLVER_FAILED', `the resolver threw: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (module !== 'admin' && issueKey) {
          const v = (app.jira.property(issueKey, GRANT_PROPERTY) as { version?: number } | undefined)?.version;
          if (typeof v === 'number') panelSeen.set(issueKey.toUpperCase(), v);
        }
        if (functionKey !== 'getView') trySave();
        return sendJson(res, 200, result ?? null);
      }

      case 'POST /__playground/invoke': {
        const body = await jsonBody(req);
        const as = str(body, 'as')!;
        const fn = str(body, 'fn')!;
        const module = body.module === undefined || body.module === 'panel' ? 'panel' : body.module === 'admin' ? 'admin' : body.module === 'portal' ? 'portal' : null;
        if (!module) throw badRequest('`module` must be "panel" (default), "portal" or "admin"');
        const issueKey = module !== 'admin' ? str(body, 'issueKey')! : undefined;
        if (issueKey && !app.jira.issue(issueKey)) throw new HttpError(404, 'UNKNOWN_ISSUE', `there is no issue \`${issueKey}\``);
        const known: readonly string[] = module === 'admin' ? ADMIN_CALLS : PANEL_CALLS;
        if (!known.includes(fn)) throw badRequest(`\`${fn}\` is not a ${module} function (one of: ${known.join(', ')})`);
        if (body.payload !== undefined && (typeof body.payload !== 'object' || body.payload === null || Array.isArray(body.payload))) {
          throw badRequest('`payload` must be a JSON object');
        }
        let result: unknown;
        try {
          result = await callResolver(app, module, as, issueKey, fn, body.payload ?? {});
        } catch (e) {
          throw new HttpError(500, 'RESOLVER_FAILED', `the resolver threw: ${e instanceof Error ? e.message : String(e)}`);
        }
        trySave();
        return sendJson(res, 200, result ?? null);
      }

      case 'GET /__playground/issues':
        return sendJson(res, 200, { issues: issueList(app) });

      case 'POST /__playground/issues': {
        const body = await jsonBody(req);
        const summary = str(body, 'summary')!.trim();
        const reporter = str(body, 'reporter')!;
        const description = str(body, 'description', false);
        if (!summary || summary.length > 255) throw badRequest('`summary` must be 1 to 255 characters');
        if (!DEMO_PEOPLE[reporter]) throw badRequest(`unknown reporter \`${reporter}\` (one of: ${PEOPLE_ORDER.join(', ')})`);
        if (description && description.length > 10_000) throw badRequest('`description` is longer than 10,000 characters');
        const issue = app.jira.createIssue({ summary, reporter, description });
        trySave();
        return sendJson(res, 201, { key: issue.key, id: issue.id });
      }

      case 'POST /__playground/transition': {
        const body = await jsonBody(req);
        const as = str(body, 'as')!;
        const issueKey = str(body, 'issueKey')!;
        const event = str(body, 'event')!;
        if (!(event in TRANSITIONS)) throw badRequest(`\`event\` must be one of: ${Object.keys(TRANSITIONS).join(', ')}`);
        if (!app.jira.issue(issueKey)) throw new HttpError(404, 'UNKNOWN_ISSUE', `there is no issue \`${issueKey}\``);
        if (!DEMO_PEOPLE[as]) throw badRequest(`unknown user \`${as}\` (one of: ${PEOPLE_ORDER.join(', ')})`);
        try {
          await app.transition(as, issueKey, event as TransitionName);
        } catch (e) {
          throw new HttpError(409, 'TRANSITION_REFUSED', e instanceof Error ? e.message : String(e));
        }
        trySave();
        const detail = issueDetail(app, issueKey)!;
        return sendJson(res, 200, { ok: true, issue: { key: detail.key, status: detail.status }, grant: detail.grant, comments: detail.comments.slice(-3) });
      }

      case 'GET /__playground/clock':
        return sendJson(res, 200, clockInfo(s));

      case 'POST /__playground/clock': {
        const body = await jsonBody(req);
        if (body.advanceSeconds === undefined && body.speed === undefined) throw badRequest('send `advanceSeconds` and/or `speed`');
        if (body.speed !== undefined) {
          if (typeof body.speed !== 'number') throw badRequest('`speed` must be a number');
          speed = checkSpeed(body.speed);
        }
        if (body.advanceSeconds !== undefined) {
          const secs = body.advanceSeconds;
          if (typeof secs !== 'number' || !Number.isFinite(secs) || secs < 0 || secs > MAX_ADVANCE_SECONDS) {
            throw badRequest(`\`advanceSeconds\` must be a number from 0 to ${MAX_ADVANCE_SECONDS}`);
          }
          await advance(Math.round(secs * 1000));
        }
        trySave();
        return sendJson(res, 200, clockInfo(await ready));
      }

      case 'GET /__playground/state': {
        const [grants, audit] = await Promise.all([
          app.admin('perm-1', 'listGrants', { scope: 'all' }) as Promise<{ ok: boolean; data?: { grants: unknown[] } }>,
          app.admin('perm-1', 'getAudit', { limit: Number(url.searchParams.get('auditLimit') ?? 100) }) as Promise<{ ok: boolean; data?: unknown }>,
        ]);
        return sendJson(res, 200, { ...clockInfo(s), grants: grants.data?.grants ?? [], holders: await orgView(app), audit: audit.data ?? null });
      }

      case 'GET /__playground/ui-state': {
        const key = url.searchParams.get('issue');
        const jira = app.jira.exportSnapshot();
        return sendJson(res, 200, {
          ...clockInfo(s),
          issues: issueList(app, jira),
          issue: key ? issueDetail(app, key, jira) : null,
          org: await orgView(app),
          faults: app.org.faults(),
          people: PEOPLE_ORDER.map((id) => ({ accountId: id, name: DEMO_PEOPLE[id], role: ROLES[id] })),
          targets: demoTargets().map((t) => ({ key: t.key, label: t.label })),
          apiKey: DEMO_API_KEY,
          orgId: DEMO_ORG_ID,
        });
      }

      case 'GET /__playground/faults':
        return sendJson(res, 200, { faults: app.org.faults() });

      case 'POST /__playground/faults': {
        const body = await jsonBody(req);
        const out: Json = {};
        if (body.drift !== undefined) {
          const d = body.drift as Json;
          if (!d || typeof d !== 'object') throw badRequest('`drift` must be {"accountId", "target"}');
          const accountId = str(d, 'accountId')!;
          const target = resolveTarget(d.target);
          const revoke = d.revoke === true;
          try {
            if (revoke) app.org.revoke(accountId, target);
            else app.org.grant(accountId, target);
          } catch (e) {
            throw badRequest((e as Error).message);
          }
          out.drift = { accountId, target, revoked: revoke };
        }
        if (body.rate !== undefined || body.kinds !== undefined || body.off === true) {
          const rate = body.off === true ? 0 : body.rate;
          if (typeof rate !== 'number') throw badRequest('`rate` must be a number from 0 to 1');
          const kinds = body.kinds;
          if (kinds !== undefined && (!Array.isArray(kinds) || kinds.some((k) => !(FAULT_KINDS as readonly unknown[]).includes(k)))) {
            throw badRequest(`\`kinds\` must be an array of: ${FAULT_KINDS.join(', ')}`);
          }
          const config: FaultOptions = { rate, ...(kinds ? { kinds: kinds as FaultOptions['kinds'] } : {}) };
          for (const k of ['seed', 'retryAfterSeconds', 'timeoutMs'] as const) {
            if (body[k] !== undefined) {
              if (typeof body[k] !== 'number') throw badRequest(`\`${k}\` must be a number`);
              config[k] = body[k] as number;
            }
          }
          if (body.routes !== undefined) {
            if (!Array.isArray(body.routes) || body.routes.some((r) => typeof r !== 'string')) throw badRequest('`routes` must be an array of strings');
            config.routes = body.routes as string[];
          }
          try {
            app.org.setFaults(rate === 0 ? null : config);
          } catch (e) {
            throw badRequest((e as Error).message);
          }
        } else if (body.drift === undefined) {
          throw badRequest('send `{rate, kinds}` (or `{off: true}`) and/or `{drift: {accountId, target}}`');
        }
        trySave();
        return sendJson(res, 200, { ...out, faults: app.org.faults(), holders: await orgView(app) });
      }

      case 'POST /__playground/reset': {
        await readBody(req);
        await reset();
        return sendJson(res, 200, { ok: true, ...clockInfo(await ready) });
      }

      case 'POST /__playground/sweep': {
        await readBody(req);
        await app.sweep();
        trySave();
        return sendJson(res, 200, { ok: true, ...clockInfo(s) });
      }
    }

    // The Custom UI bundles, with the shim injected into their index.html.
    const ui = /^\/__playground\/ui\/(panel|admin|portal)\/([A-Za-z0-9._-]*)$/.exec(url.pathname);
    if (ui && method === 'GET') {
      const file = ui[2] || 'index.html';
      const path = join(UI_DIST, ui[1]!, file);
      if (!existsSync(path)) {
        throw new HttpError(file === 'index.html' ? 503 : 404, 'NOT_BUILT', `forge-app/ui/dist/${ui[1]}/${file} does not exist: run bash scripts/build-ui.sh`);
      }
      return sendFile(res, path, file === 'index.html' ? injectShim : undefined);
    }
    throw new HttpError(404, 'NOT_FOUND', `no playground endpoint \`${method} ${url.pathname}\``);
  };

  /** The emulated organizations API at its real paths, forwarded to the org emulator. */
  const proxyOrgApi = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const { app } = await ready;
    const body = await readBody(req);
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

/** The org emulator's fault settings, as options to restore them with (null: off). */
function savedFaults(app: LocalApp): FaultOptions | null {
  const f = app.org.faults();
  if (!(f.rate > 0)) return null;
  return { rate: f.rate, kinds: f.kinds, seed: f.seed, retryAfterSeconds: f.retryAfterSeconds, timeoutMs: f.timeoutMs, ...(f.routes ? { routes: f.routes } : {}) };
}

function checkSpeed(n: number): number {
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > MAX_SPEED) throw badRequest(`\`speed\` must be a number above 0 and at most ${MAX_SPEED}`);
  return n;
}

/** A drift target: a demo policy target key (`org-admin`, `site-admin`, `jira-admins`) or an emulator target object. */
function resolveTarget(target: unknown): EmulatorTarget {
  if (typeof target === 'string') {
    const t = demoTargets().find((x) => x.key === target);
    if (!t) throw badRequest(`unknown target \`${target}\` (one of: ${demoTargets().map((x) => x.key).join(', ')}, or an access object)`);
    return t.access;
  }
  if (target && typeof target === 'object') {
    const t = target as Json;
    if (t.type === 'orgRole') return { type: 'orgRole', role: 'atlassian/org-admin' };
    if (t.type === 'resourceRole' && typeof t.role === 'string' && typeof t.resource === 'string') return { type: 'resourceRole', role: t.role, resource: t.resource };
    if (t.type === 'groupMembership' && typeof t.groupId === 'string') return { type: 'groupMembership', groupId: t.groupId };
  }
  throw badRequest('`drift.target` must be a target key or {type: orgRole | resourceRole | groupMembership, ...}');
}

/** The emulators and the runtime keep request logs for tests; a long-running playground keeps only the recent ones (the org emulator bounds its own: `orgRequestLogLimit`). */
function trimLogs(app: LocalApp): void {
  const keep = 500;
  for (const list of [app.logLines, app.jira.requests, app.runtime.fetchLog, app.runtime.egressLog, app.runtime.queue.deliveries] as unknown[][]) {
    if (list.length > keep * 2) list.splice(0, list.length - keep);
  }
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
