/**
 * The HTTP side of the org admin emulator: auth, fault injection, counters, and the control
 * endpoints under `/__emulator/` (not part of the spec; no auth, for tests and the playground).
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { HANDLERS, appError, proxyError, type ApiContext, type ApiKeyRecord, type ApiResponse } from './api';
import {
  FaultInjector,
  StatsRecorder,
  normalizeContractFaults,
  type ContractFaults,
  type EmulatorStats,
  type FaultConfig,
  type FaultKind,
  type FaultOptions,
} from './faults';
import { orgApiGate } from '../openapi/index';
import {
  ORG_ADMIN_ROLE,
  OrgState,
  applyOp,
  canonicalResource,
  orgAdmins,
  orgAri,
  productAri,
  seedWorld,
  siteAri,
  type Directory,
  type SiteAriForm,
  type OrgSeed,
  type StateSnapshot,
  type World,
} from './model';
import { ORG_ADMIN_ROUTES, matchRoute, routeKey, type RouteDef, type RouteId } from './routes';
import { OrgAuditLog, PERSON_ACTIONS, recordPersonAction, type AuditEventRecord, type PersonAction } from './events';

/** What a role or membership is, in the organizations API's own terms (the emulator models Atlassian and imports nothing of the app). */
export type EmulatorTarget =
  | { type: 'orgRole'; role: 'atlassian/org-admin' }
  | { type: 'resourceRole'; role: string; resource: string }
  | { type: 'groupMembership'; groupId: string; groupName?: string };

export interface OrgAdminEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default a fixed UUID (the spec types orgId as a UUID). */
  orgId?: string;
  orgName?: string;
  /** The organization API key clients must send as `Authorization: Bearer <key>`. Default: random. */
  apiKey?: string;
  /** Id of the org's first directory (the default one of seeded users and groups). */
  directoryId?: string;
  /**
   * Every directory of the org (the first is the default). A group belongs to one directory, and
   * writes to a group need that directory's id (`-` is for reads only).
   */
  directories?: Directory[];
  /**
   * Further organization API keys (`apiKey` is always a key without scopes). A key with `scopes`
   * reaches only operations whose spec names one of them; expired and revoked keys get 401.
   */
  apiKeys?: Array<{ key: string; scopes?: string[] | null; status?: ApiKeyRecord['status'] }>;
  /**
   * How role reads (and their `resourceIds` filters) name a site: `ari:cloud:<form>::site/<cloudId>`.
   * Default `jira-core` (the spec's `ResourceId` example), unlike the workspaces' `platform` form.
   */
  siteAriForm?: SiteAriForm;
  /** Contract faults to start with (experimental operations removed or changed, role API not enabled). */
  contract?: Partial<ContractFaults>;
  /** Initial data. Default: `defaultOrgSeed()`. */
  seed?: OrgSeed;
  /** Start from a saved state instead of `seed`. */
  snapshot?: EmulatorSnapshot;
  /** The emulator's clock (ms). Default `Date.now`. */
  now?: () => number;
  /** How long (emulator-clock ms) before reads reflect writes. Default 0; 30 000 mimics production. */
  consistencyDelayMs?: number;
  faults?: FaultOptions;
  /** The largest page the server returns, whatever `limit` asks for. Default 3, so clients must paginate. */
  pageSize?: number;
  /** How many requests `requestLog()` keeps (the oldest go first). Default 20 000. */
  requestLogLimit?: number;
  /** The account the key belongs to: it can't remove its own org-admin role. */
  keyOwnerAccountId?: string;
  /** TEST ONLY: error bodies echo the request's Authorization header, to prove clients redact it. */
  leakyErrors?: boolean;
}

export interface HoldersView {
  /** Everyone holding org admin, by any method. */
  orgAdmins: string[];
  /** Direct role assignments (org-level ones have the org ARI as resource). */
  direct: Array<{ accountId: string; role: string; resource: string }>;
  groups: Array<{ groupId: string; name: string; externalSynced: boolean; members: string[]; directoryId: string; roles: Array<{ role: string; resource: string }> }>;
  /** Writes not yet visible to reads. */
  pendingWrites: number;
}

/** One spec-route request, as the emulator saw it (reliability tests read this log). */
export interface RequestLogEntry {
  /** 1-based arrival order. */
  seq: number;
  /** Emulator-clock time the request arrived. */
  receivedAt: number;
  /** Emulator-clock time it was processed (after a `timeout` hold); absent while held. */
  servedAt?: number;
  method: string;
  route: RouteId;
  /** Path parameters (`userId`, `accountId`, `groupId`, ...). */
  params: Record<string, string>;
  query: string;
  /** The parsed JSON body, when it had one. */
  body?: unknown;
  fault: FaultKind | null;
  /** The HTTP status answered, `dropped` (processed, no answer) or absent while in flight. */
  status?: number | 'dropped';
  /** The JSON body answered with a 2xx status (what the client read). */
  response?: unknown;
}

/** Chooses a call's fault before the seeded injector; `null`/`undefined` leaves it to the injector. */
export type FaultHook = (call: { route: RouteId; key: string; method: string; params: Record<string, string>; query: URLSearchParams; body: unknown }) => FaultKind | null | undefined;

export interface EmulatorSnapshot {
  version: 1;
  orgId: string;
  orgName: string;
  directories: Directory[];
  consistencyDelayMs: number;
  keyOwnerAccountId?: string;
  state: StateSnapshot;
  /** The audit log (absent in snapshots saved before it existed: empty, available). */
  auditLog?: { events: AuditEventRecord[]; available: boolean };
}

export interface OrgAdminEmulator {
  url: string;
  orgId: string;
  apiKey: string;
  directoryId: string;
  /** `ari:cloud:platform::org/<orgId>`: the resource of org-level role assignments. */
  orgAri: string;
  routes: readonly RouteDef[];
  close(): Promise<void>;
  setFaults(options: FaultOptions | null): void;
  /** The next calls (on the configured routes) fail with these kinds, in order. */
  injectFaults(...kinds: FaultKind[]): void;
  faults(): FaultConfig & { queued: FaultKind[] };
  stats(): EmulatorStats;
  resetStats(): void;
  /** Spec-route requests since the start (or the last `reset`/`clearRequestLog`), in arrival order; the latest 20 000. */
  requestLog(): RequestLogEntry[];
  clearRequestLog(): void;
  /** Requests received and not yet answered (being served, or held by a `timeout` fault). */
  inFlight(): number;
  /** Installs (or removes, with null) a hook that picks faults per call, e.g. only on later pages. */
  setFaultHook(hook: FaultHook | null): void;
  setConsistencyDelay(ms: number): void;
  /** Adds users, groups, sites or assignments (visible at once). */
  seed(data: OrgSeed): void;
  /** Grants access directly, behind the app's back (drift). Visible at once; no SCIM or lockout checks. */
  grant(accountId: string, target: EmulatorTarget): void;
  /** Removes access directly, behind the app's back. */
  revoke(accountId: string, target: EmulatorTarget): void;
  /** Who holds what. `truth` (default) includes writes not yet visible to reads. */
  holders(view?: 'truth' | 'visible'): HoldersView;
  /** Back to the initial data, counters cleared, faults off. */
  reset(): void;
  exportSnapshot(): EmulatorSnapshot;
  importSnapshot(snapshot: EmulatorSnapshot): void;
  siteAri(cloudId: string): string;
  productAri(productKey: string, cloudId: string): string;
  /** Adds (or replaces) an organization API key: `scopes: null` is a key without scopes. */
  addApiKey(key: string, options?: { scopes?: string[] | null; status?: ApiKeyRecord['status'] }): void;
  /** Expires or revokes a key (or makes it active again). */
  setApiKeyStatus(key: string, status: ApiKeyRecord['status']): void;
  /** Switches contract faults on or off (`null` fields: healthy). */
  setContractFaults(faults: Partial<ContractFaults> | null): void;
  contractFaults(): ContractFaults;
  /** The audit log's events, oldest first. */
  auditEvents(): AuditEventRecord[];
  /** False: the org has no Atlassian Guard; the events API answers 403. */
  setAuditLogAvailable(available: boolean): void;
  auditLogAvailable(): boolean;
  /**
   * `actor` does something in the org as an org admin (refused unless they hold org admin now):
   * `addOrgAdmin` assigns org admin to `subject` through the modelled operation; the others are
   * recorded in the audit log (`events.ts` `PERSON_ACTIONS`).
   */
  act(actor: string, action: PersonAction | 'addOrgAdmin', subject?: string): AuditEventRecord;
}

export const DEFAULT_ORG_ID = '5a3c1e2d-7b4f-4c8a-9e1d-2f6b8a0c4d13';
export const DEFAULT_DIRECTORY_ID = 'b7d2e4f6-1a3c-4e5b-8d7f-9a1c3e5b7d20';

/** A small org for the playground: one org admin, a few users, a site with Jira and Confluence, and a SCIM group. */
export function defaultOrgSeed(): OrgSeed {
  const id = (n: number) => `712020:0c5e1a9d-4b7e-4f2a-9c3d-5e7f9a1b3c${String(n).padStart(2, '0')}`;
  return {
    orgName: 'Acme',
    users: [
      { accountId: id(1), name: 'Ada Admin', email: 'ada@acme.example' },
      { accountId: id(2), name: 'Ben Builder', email: 'ben@acme.example' },
      { accountId: id(3), name: 'Chloe Chen', email: 'chloe@acme.example' },
      { accountId: id(4), name: 'Dev Patel', email: 'dev@acme.example' },
      { accountId: id(5), name: 'Eve Engineer', email: 'eve@acme.example' },
      { accountId: id(6), name: 'Finn Fischer', email: 'finn@acme.example' },
    ],
    sites: [{ cloudId: '8e4c2a1f-3b5d-4f7a-9c1e-2d4f6a8b0c35', name: 'acme', hostUrl: 'acme.atlassian.net', products: ['jira-software', 'confluence'] }],
    groups: [
      { id: 'c1f3a5b7-2d4e-4f6a-8b1c-3d5e7f9a1b01', name: 'jira-admins-acme', description: 'Jira administrators on acme' },
      { id: 'c1f3a5b7-2d4e-4f6a-8b1c-3d5e7f9a1b02', name: 'confluence-admins-acme', description: 'Confluence administrators on acme' },
      {
        id: 'c1f3a5b7-2d4e-4f6a-8b1c-3d5e7f9a1b03',
        name: 'idp-platform-admins',
        description: 'Synced from the identity provider',
        externalSynced: true,
        members: [id(5)],
      },
    ],
    assignments: [{ accountId: id(1), role: ORG_ADMIN_ROLE }],
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, r: ApiResponse): void {
  const headers: Record<string, string> = { ...(r.headers ?? {}) };
  if (r.body === undefined) {
    res.writeHead(r.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(r.body);
  headers['content-type'] = 'application/json';
  res.writeHead(r.status, headers);
  res.end(text);
}

export async function startOrgAdminEmulator(options: OrgAdminEmulatorOptions = {}): Promise<OrgAdminEmulator> {
  const now = options.now ?? Date.now;
  const orgId = options.snapshot?.orgId ?? options.orgId ?? DEFAULT_ORG_ID;
  const apiKey = options.apiKey ?? `ATCTT3xFfGN0${randomBytes(24).toString('base64url')}`;
  const initialSeed = options.seed ?? defaultOrgSeed();
  const directories: Directory[] = options.snapshot?.directories ??
    (options.directories?.length ? structuredClone(options.directories) : [{ id: options.directoryId ?? DEFAULT_DIRECTORY_ID, name: 'Primary Directory' }]);
  const keys = new Map<string, ApiKeyRecord>();
  const addKey = (key: string, o: { scopes?: string[] | null; status?: ApiKeyRecord['status'] } = {}) => {
    if (!key) throw new Error('an API key must not be empty');
    keys.set(key, { key, scopes: o.scopes ? [...o.scopes] : null, status: o.status ?? 'active' });
  };
  addKey(apiKey);
  for (const k of options.apiKeys ?? []) addKey(k.key, k);
  const state = new OrgState(now, options.snapshot?.consistencyDelayMs ?? options.consistencyDelayMs ?? 0);
  const faults = new FaultInjector(options.faults);
  const stats = new StatsRecorder();
  const auditLog = new OrgAuditLog(now);
  const holds = new Set<ReturnType<typeof setTimeout>>();
  let closed = false;
  /** The request log keeps the latest calls only, so a long playground session stays small. */
  const REQUEST_LOG_LIMIT = options.requestLogLimit ?? 20_000;
  let requestLog: RequestLogEntry[] = [];
  let requestSeq = 0;
  let inFlight = 0;
  let faultHook: FaultHook | null = null;

  const ctx: ApiContext = {
    orgId,
    orgName: options.snapshot?.orgName ?? initialSeed.orgName ?? 'Emulated org',
    directories,
    state,
    pageSize: options.pageSize ?? 3,
    keyOwnerAccountId: options.snapshot?.keyOwnerAccountId ?? options.keyOwnerAccountId,
    publicUrl: '',
    siteAriForm: options.siteAriForm ?? 'jira-core',
    contract: normalizeContractFaults(options.contract),
    auditLog,
  };

  const seedBoth = (seed: OrgSeed) => {
    if (seed.orgName) ctx.orgName = seed.orgName;
    state.direct((w) => seedWorld(w, seed, { orgId, defaultDirectoryId: directories[0].id, now: now() }));
  };
  const loadInitial = () => {
    state.clear();
    auditLog.clear();
    if (options.snapshot) restore(options.snapshot);
    else seedBoth(initialSeed);
  };
  const restore = (s: EmulatorSnapshot) => {
    if (s.version !== 1) throw new Error(`unsupported snapshot version \`${String(s.version)}\``);
    if (s.orgId !== orgId) throw new Error(`snapshot is of org \`${s.orgId}\`, this emulator serves \`${orgId}\``);
    ctx.orgName = s.orgName;
    ctx.directories.splice(0, ctx.directories.length, ...s.directories);
    ctx.keyOwnerAccountId = s.keyOwnerAccountId;
    state.consistencyDelayMs = s.consistencyDelayMs;
    state.restore(s.state);
    auditLog.restore(s.auditLog);
  };
  loadInitial();

  const leak = (r: ApiResponse, authorization: string | undefined): ApiResponse => {
    if (!options.leakyErrors || r.status < 400 || !r.body || typeof r.body !== 'object') return r;
    const echo = ` (request had Authorization: ${authorization ?? '<none>'})`;
    const body = structuredClone(r.body) as { errors?: Array<{ detail?: string }>; message?: string };
    if (Array.isArray(body.errors)) for (const e of body.errors) e.detail = `${e.detail ?? ''}${echo}`;
    if (typeof body.message === 'string') body.message += echo;
    return { ...r, body };
  };

  /** A known, active key (expired, revoked and unknown keys get 401); records it as the caller. */
  const authorized = (req: IncomingMessage): boolean => {
    ctx.caller = undefined;
    const h = req.headers.authorization;
    if (!h) return false;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    const key = m ? keys.get(m[1]) : undefined;
    if (!key || key.status !== 'active') return false;
    ctx.caller = key;
    return true;
  };

  const hold = (ms: number) =>
    new Promise<boolean>((resolve) => {
      const t = setTimeout(() => {
        holds.delete(t);
        resolve(!closed);
      }, ms);
      holds.add(t);
    });

  const targetOp = (accountId: string, t: EmulatorTarget, grant: boolean) => {
    const w = state.truth;
    if (!w.users.some((u) => u.accountId === accountId)) throw new Error(`unknown account \`${accountId}\``);
    if (t.type === 'groupMembership') {
      if (!w.groups.some((g) => g.id === t.groupId)) throw new Error(`unknown group \`${t.groupId}\``);
      return { kind: grant ? 'addMember' : 'removeMember', groupId: t.groupId, accountId } as const;
    }
    const resource = t.type === 'orgRole' ? orgAri(orgId) : canonicalResource(w, t.role, t.resource);
    return { kind: grant ? 'assignRole' : 'revokeRole', accountId, role: t.role, resource } as const;
  };

  const holdersOf = (view: 'truth' | 'visible'): HoldersView => {
    const w: World = view === 'visible' ? state.read() : state.truth;
    state.sync();
    return {
      orgAdmins: orgAdmins(w, orgId),
      direct: w.direct.map((a) => ({ ...a })),
      groups: w.groups.map((g) => ({
        groupId: g.id,
        name: g.name,
        externalSynced: g.externalSynced,
        members: [...g.members],
        directoryId: g.directoryId,
        roles: g.roles.map((r) => ({ ...r })),
      })),
      pendingWrites: state.pending.length,
    };
  };

  const exportSnapshot = (): EmulatorSnapshot => ({
    version: 1,
    orgId,
    orgName: ctx.orgName,
    directories: structuredClone(ctx.directories),
    consistencyDelayMs: state.consistencyDelayMs,
    ...(ctx.keyOwnerAccountId ? { keyOwnerAccountId: ctx.keyOwnerAccountId } : {}),
    state: state.snapshot(),
    auditLog: auditLog.snapshot(),
  });

  const act = (actor: string, action: PersonAction | 'addOrgAdmin', subject?: string): AuditEventRecord => {
    state.sync();
    if (!orgAdmins(state.truth, orgId).includes(actor)) throw new Error(`\`${actor}\` is not an organization admin now: the org refuses admin actions by them`);
    if (action !== 'addOrgAdmin') {
      if (!(action in PERSON_ACTIONS)) throw new Error(`unknown org action \`${String(action)}\`; one of addOrgAdmin, ${Object.keys(PERSON_ACTIONS).join(', ')}`);
      return recordPersonAction(ctx, actor, action, subject);
    }
    if (!subject) throw new Error('addOrgAdmin needs the account to make an org admin');
    const caller = ctx.caller;
    ctx.caller = undefined;
    ctx.actingAs = actor;
    try {
      const r = HANDLERS.assignOrgRole(ctx, { params: { orgId, userId: subject }, query: new URLSearchParams(), body: JSON.stringify({ role: ORG_ADMIN_ROLE }) });
      if (r.status >= 300) throw new Error(`the org refused: ${JSON.stringify(r.body)}`);
    } finally {
      ctx.actingAs = undefined;
      ctx.caller = caller;
    }
    const recorded = auditLog.events.at(-1);
    // Assigning a role someone already holds changes nothing and records nothing.
    return recorded && recorded.actor.id === actor ? recorded : auditLog.record({ action: 'org_admin_role_granted', actor: { id: actor }, context: [{ type: 'user', id: subject }] });
  };

  const api = {
    setFaults: (f: FaultOptions | null) => faults.configure(f),
    injectFaults: (...kinds: FaultKind[]) => faults.queue(...kinds),
    faults: () => faults.config(),
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    setConsistencyDelay: (ms: number) => {
      if (!(ms >= 0)) throw new RangeError('consistencyDelayMs must be >= 0');
      state.consistencyDelayMs = ms;
    },
    seed: seedBoth,
    grant: (accountId: string, t: EmulatorTarget) => {
      const op = targetOp(accountId, t, true);
      state.direct((w) => applyOp(w, op));
    },
    revoke: (accountId: string, t: EmulatorTarget) => {
      const op = targetOp(accountId, t, false);
      state.direct((w) => applyOp(w, op));
    },
    holders: (view: 'truth' | 'visible' = 'truth') => holdersOf(view),
    requestLog: () => structuredClone(requestLog),
    clearRequestLog: () => {
      requestLog = [];
      requestSeq = 0;
    },
    inFlight: () => inFlight,
    setFaultHook: (hook: FaultHook | null) => {
      faultHook = hook;
    },
    addApiKey: (key: string, o?: { scopes?: string[] | null; status?: ApiKeyRecord['status'] }) => addKey(key, o),
    setApiKeyStatus: (key: string, status: ApiKeyRecord['status']) => {
      const k = keys.get(key);
      if (!k) throw new Error('unknown API key');
      k.status = status;
    },
    setContractFaults: (f: Partial<ContractFaults> | null) => {
      ctx.contract = normalizeContractFaults(f);
    },
    contractFaults: () => ({ ...ctx.contract }),
    reset: () => {
      loadInitial();
      stats.reset();
      faults.configure(null);
      ctx.contract = normalizeContractFaults(options.contract);
      faultHook = null;
      requestLog = [];
      requestSeq = 0;
    },
    exportSnapshot,
    importSnapshot: (s: EmulatorSnapshot) => restore(s),
    auditEvents: () => structuredClone(auditLog.events),
    setAuditLogAvailable: (available: boolean) => {
      auditLog.available = available;
    },
    auditLogAvailable: () => auditLog.available,
    act,
  };

  /** Control endpoints. Errors are `{error}` with 400; these are for tests and the playground only. */
  const control = (method: string, path: string, url: URL, body: string): ApiResponse => {
    const json = (): unknown => (body.trim() ? JSON.parse(body) : null);
    const ok = (b: unknown = { ok: true }): ApiResponse => ({ status: 200, body: b });
    try {
      switch (`${method} ${path}`) {
        case 'GET /__emulator':
        case 'GET /__emulator/':
          return ok({ orgId, directoryId: directories[0].id, orgAri: orgAri(orgId), routes: ORG_ADMIN_ROUTES });
        case 'GET /__emulator/stats':
          return ok(stats.snapshot());
        case 'POST /__emulator/stats/reset':
          stats.reset();
          return ok();
        case 'GET /__emulator/holders': {
          const view = url.searchParams.get('view') === 'visible' ? 'visible' : 'truth';
          return ok(holdersOf(view));
        }
        case 'GET /__emulator/faults':
          return ok(faults.config());
        case 'PUT /__emulator/faults':
          faults.configure(json() as FaultOptions | null);
          return ok(faults.config());
        case 'POST /__emulator/faults/next': {
          const b = json() as { kinds?: FaultKind[] } | null;
          faults.queue(...(b?.kinds ?? []));
          return ok(faults.config());
        }
        case 'PUT /__emulator/consistency': {
          const b = json() as { consistencyDelayMs?: number } | null;
          api.setConsistencyDelay(Number(b?.consistencyDelayMs));
          return ok({ consistencyDelayMs: state.consistencyDelayMs });
        }
        case 'POST /__emulator/seed':
          seedBoth((json() ?? {}) as OrgSeed);
          return ok();
        case 'POST /__emulator/grant':
        case 'POST /__emulator/revoke': {
          const b = json() as { accountId?: string; target?: EmulatorTarget } | null;
          if (!b?.accountId || !b.target) throw new Error('body must be {"accountId","target"}');
          if (path.endsWith('grant')) api.grant(b.accountId, b.target);
          else api.revoke(b.accountId, b.target);
          return ok(holdersOf('truth'));
        }
        case 'GET /__emulator/contract':
          return ok(api.contractFaults());
        case 'PUT /__emulator/contract':
          api.setContractFaults(json() as Partial<ContractFaults> | null);
          return ok(api.contractFaults());
        case 'POST /__emulator/keys': {
          const b = json() as { key?: string; scopes?: string[] | null; status?: ApiKeyRecord['status'] } | null;
          if (!b?.key) throw new Error('body must be {"key","scopes"?,"status"?}');
          api.addApiKey(b.key, b);
          return ok();
        }
        case 'POST /__emulator/reset':
          api.reset();
          return ok();
        case 'GET /__emulator/snapshot':
          return ok(exportSnapshot());
        case 'GET /__emulator/audit-log':
          return ok({ available: auditLog.available, events: auditLog.events });
        case 'PUT /__emulator/audit-log': {
          const b = json() as { available?: boolean } | null;
          if (typeof b?.available !== 'boolean') throw new Error('body must be {"available": true|false}');
          api.setAuditLogAvailable(b.available);
          return ok({ available: auditLog.available });
        }
        case 'POST /__emulator/act': {
          const b = json() as { actor?: string; action?: PersonAction | 'addOrgAdmin'; subject?: string } | null;
          if (!b?.actor || !b.action) throw new Error('body must be {"actor","action","subject"?}');
          return ok(act(b.actor, b.action, b.subject));
        }
        case 'PUT /__emulator/snapshot':
          restore(json() as EmulatorSnapshot);
          return ok();
        default:
          return { status: 404, body: { error: `no control endpoint \`${method} ${path}\`` } };
      }
    } catch (e) {
      return { status: 400, body: { error: e instanceof Error ? e.message : String(e) } };
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.on('error', () => undefined);
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://emulator.local');
    const body = await readBody(req);
    if (url.pathname === '/__emulator' || url.pathname.startsWith('/__emulator/')) {
      send(res, control(method, url.pathname, url, body));
      return;
    }
    // Before anything else: a request the published spec does not allow is refused as Atlassian refuses it.
    const refused = orgApiGate({ method, url: req.url ?? '/', headers: req.headers, body });
    if (refused) {
      stats.status(refused.status);
      send(res, leak(refused, req.headers.authorization));
      return;
    }
    const match = matchRoute(method, url.pathname);
    if (match.kind !== 'match') {
      const r = !authorized(req)
        ? proxyError(401, 'Unauthorized')
        : match.kind === 'wrongMethod'
          ? { ...appError(405, 'ADMIN-405-1', `Method ${method} is not supported here`, 'Method not supported'), headers: { allow: match.allowed.join(', ') } }
          : appError(404, 'ADMIN-404-1', `No resource at \`${url.pathname}\``, 'Unknown resource');
      stats.status(r.status);
      send(res, leak(r, req.headers.authorization));
      return;
    }
    const key = routeKey(match.route);
    stats.call(key);
    let parsedBody: unknown;
    try {
      parsedBody = body.trim() ? JSON.parse(body) : undefined;
    } catch {
      parsedBody = undefined;
    }
    const hooked = faultHook?.({ route: match.route.id, key, method, params: match.params, query: url.searchParams, body: parsedBody }) ?? null;
    const fault = hooked ?? faults.decide(match.route.id, key);
    if (fault) stats.fault(key, fault);
    const entry: RequestLogEntry = {
      seq: ++requestSeq,
      receivedAt: now(),
      method,
      route: match.route.id,
      params: { ...match.params },
      query: url.search,
      ...(parsedBody !== undefined ? { body: parsedBody } : {}),
      fault,
    };
    requestLog.push(entry);
    if (requestLog.length > REQUEST_LOG_LIMIT) requestLog.splice(0, requestLog.length - REQUEST_LOG_LIMIT);
    inFlight++;
    try {
      await serve(req, res, match, body, entry, fault);
    } finally {
      inFlight--;
    }
  };

  const serve = async (
    req: IncomingMessage,
    res: ServerResponse,
    match: { route: RouteDef; params: Record<string, string> },
    body: string,
    entry: RequestLogEntry,
    fault: FaultKind | null,
  ): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://emulator.local');
    const cfg = faults.config();
    if (fault === '429' || fault === '500' || fault === '503') {
      const r =
        fault === '429'
          ? proxyError(429, 'Too Many Requests', { 'retry-after': String(cfg.retryAfterSeconds) })
          : fault === '500'
            ? appError(500, 'ADMIN-500-1', 'We encountered an unexpected error (injected)', 'Internal error')
            : proxyError(503, 'Service Unavailable');
      entry.servedAt = now();
      entry.status = r.status;
      stats.status(r.status);
      send(res, leak(r, req.headers.authorization));
      return;
    }
    if (fault === 'timeout' && !(await hold(cfg.timeoutMs))) return;
    entry.servedAt = now();
    let r: ApiResponse;
    if (!authorized(req)) {
      r = proxyError(401, 'Unauthorized');
    } else {
      try {
        r = HANDLERS[match.route.id](ctx, { params: match.params, query: url.searchParams, body });
      } catch (e) {
        r = appError(500, 'ADMIN-500-1', `emulator bug: ${e instanceof Error ? e.message : String(e)}`, 'Internal error');
      }
    }
    if (fault === 'drop') {
      entry.status = 'dropped';
      stats.status('dropped');
      req.socket.destroy();
      return;
    }
    entry.status = r.status;
    if (r.status < 300 && r.body !== undefined) entry.response = r.body;
    stats.status(r.status);
    send(res, leak(r, req.headers.authorization));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, appError(500, 'ADMIN-500-1', 'emulator failure', 'Internal error'));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  ctx.publicUrl = url;

  return {
    url,
    orgId,
    apiKey,
    directoryId: directories[0].id,
    orgAri: orgAri(orgId),
    routes: ORG_ADMIN_ROUTES,
    ...api,
    siteAri,
    productAri,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const t of holds) clearTimeout(t);
      holds.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
