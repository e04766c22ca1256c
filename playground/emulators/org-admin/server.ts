/**
 * The HTTP side of the org admin emulator: body limit, the OpenAPI gate, auth, fault injection, counters and
 * the request log. Spec operations are routes.ts + api.ts, control endpoints control.ts, public shapes types.ts.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { runOperation, appError, proxyError, type ApiContext, type ApiKeyRecord, type ApiResponse } from './api';
import { FaultInjector, StatsRecorder, normalizeContractFaults, type ContractFaults, type FaultKind, type FaultOptions } from './faults';
import { orgApiGate } from '../openapi/index';
import { BodyTooLarge, EMULATOR_BODY_LIMIT, readBody } from '../../http/body';
import { OrgState, applyOp, canonicalResource, orgAdmins, orgAri, productAri, seedWorld, siteAri, type Directory, type OrgSeed, type World } from './model';
import { ORG_ADMIN_ROUTES, matchRoute, routeKey, type RouteDef } from './routes';
import { controlEndpoints } from './control';
import { OrgAuditLog, actInOrg, type PersonAction } from './events';
import {
  DEFAULT_DIRECTORY_ID,
  DEFAULT_ORG_ID,
  defaultOrgSeed,
  type EmulatorSnapshot,
  type EmulatorTarget,
  type FaultHook,
  type HoldersView,
  type OrgAdminEmulator,
  type OrgAdminEmulatorOptions,
  type RequestLogEntry,
} from './types';

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
    auditLog: new OrgAuditLog(now),
  };

  const seedBoth = (seed: OrgSeed) => {
    if (seed.orgName) ctx.orgName = seed.orgName;
    state.direct((w) => seedWorld(w, seed, { orgId, defaultDirectoryId: directories[0].id, now: now() }));
  };
  const loadInitial = () => {
    state.clear();
    ctx.auditLog.clear();
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
    ctx.auditLog.restore(s.auditLog);
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
    auditLog: ctx.auditLog.snapshot(),
  });

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
    auditEvents: () => structuredClone(ctx.auditLog.events),
    setAuditLogAvailable: (available: boolean) => void (ctx.auditLog.available = available),
    auditLogAvailable: () => ctx.auditLog.available,
    act: (actor: string, action: PersonAction | 'addOrgAdmin', subject?: string) =>
      actInOrg(ctx, (a) => (state.sync(), orgAdmins(state.truth, orgId).includes(a)), (userId) =>
        runOperation(ctx, 'assignOrgRole', { params: { orgId, userId }, query: new URLSearchParams(), body: JSON.stringify({ role: 'atlassian/org-admin' }) }), actor, action, subject),
  };

  const control = controlEndpoints({ orgId, directories, stats, faults, state, api, holdersOf, seed: seedBoth, exportSnapshot, restore });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.on('error', () => undefined);
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://emulator.local');
    let body: string;
    try {
      body = (await readBody(req, EMULATOR_BODY_LIMIT)).toString('utf8');
    } catch (e) {
      if (!(e instanceof BodyTooLarge)) throw e;
      // Guess (docs/platform-rules.md): the gateway refuses an oversized body before the API sees it.
      const r = proxyError(413, 'Request Entity Too Large');
      stats.status(r.status);
      send(res, leak(r, req.headers.authorization));
      return;
    }
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
        r = runOperation(ctx, match.route.id, { params: match.params, query: url.searchParams, body });
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
