/**
 * The playground's sessions (one app and clock, replaced on reset), its saved state, demo data and the small
 * checks the HTTP surface shares.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtualClock } from '../forge-runtime/index';
import { DEMO_PEOPLE, demoPolicy, startLocalApp, type HealthFaults, type LocalApp } from '../local-app';
import type { JiraSnapshot } from '../emulators/jira/index';
import type { EmulatorSnapshot, EmulatorTarget, FaultOptions } from '../emulators/org-admin/index';
import { badRequest, type Json } from './http';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const WEB_DIR = join(ROOT, 'playground', 'web');
export const UI_DIST = join(ROOT, 'forge-app', 'ui', 'dist');
/** The issue property the app mirrors each grant into (forge-app/src/adapters/jira.ts). */
export const GRANT_PROPERTY = 'jit-admin-grant';
/** Largest request body accepted. */
/** Largest single clock jump: two days (576 sweeps, each a few org-API reads). */
export const MAX_ADVANCE_SECONDS = 2 * 24 * 3600;
export const MAX_SPEED = 3600;
/**
 * 2: grants keyed by issue id, ISO-string timestamps in storage, and the demo's Jira users carry
 * their Jira-admin groups (the admin page checks ADMINISTER); a version-1 state is set aside.
 */
export const STATE_VERSION = 2;

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

export interface SavedState {
  version: number;
  savedAt: string;
  now: number;
  speed: number;
  org: EmulatorSnapshot;
  jira: JiraSnapshot;
  faults?: FaultOptions | null;
  /** The health faults that live outside the emulators' snapshots (variables, the scheduler). */
  health?: Pick<HealthFaults, 'key' | 'orgId' | 'sweep'>;
}

export interface Session {
  app: LocalApp;
  clock: VirtualClock;
}


// ---------------------------------------------------------------------------------------------
// Demo data

export const PEOPLE_ORDER = Object.keys(DEMO_PEOPLE);
export const ROLES: Record<string, string> = {
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
export function demoTargets() {
  return (demoPolicy().targets ?? []).map((t) => ({ key: t.key, label: t.label, access: t.access as EmulatorTarget }));
}

// ---------------------------------------------------------------------------------------------
// Sessions (one app + clock; replaced on reset)

export function readSavedState(dataDir: string, say: (line: string) => void): SavedState | null {
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

export function wipe(dataDir: string): void {
  for (const f of ['state.json', 'state.json.tmp', 'kvs.sqlite', 'kvs.sqlite-wal', 'kvs.sqlite-shm', 'kvs.sqlite-journal']) {
    rmSync(join(dataDir, f), { force: true });
  }
}

export async function openSession(dataDir: string, options: PlaygroundOptions, log: (line: string) => void, say: (line: string) => void) {
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
    if (saved?.health) await app.setHealthFaults(saved.health);
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


/** The org emulator's fault settings, as options to restore them with (null: off). */
export function savedFaults(app: LocalApp): FaultOptions | null {
  const f = app.org.faults();
  if (!(f.rate > 0)) return null;
  return { rate: f.rate, kinds: f.kinds, seed: f.seed, retryAfterSeconds: f.retryAfterSeconds, timeoutMs: f.timeoutMs, ...(f.routes ? { routes: f.routes } : {}) };
}

export function checkSpeed(n: number): number {
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > MAX_SPEED) throw badRequest(`\`speed\` must be a number above 0 and at most ${MAX_SPEED}`);
  return n;
}

/** A drift target: a demo policy target key (`org-admin`, `site-admin`, `jira-admins`) or an emulator target object. */
export function resolveTarget(target: unknown): EmulatorTarget {
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
export function trimLogs(app: LocalApp): void {
  const keep = 500;
  for (const list of [app.logLines, app.jira.requests, app.runtime.fetchLog, app.runtime.egressLog, app.runtime.queue.deliveries] as unknown[][]) {
    if (list.length > keep * 2) list.splice(0, list.length - keep);
  }
}
