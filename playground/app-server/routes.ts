/**
 * The playground's scripting surface under `/__playground/` (README.md, "Scripting the playground"), routed by
 * the shared find-my-way table. Errors are `{error: {code, message}}` (./http.ts).
 *
 * Adding an endpoint: one `on(METHOD, PATH, handler)` call in `playgroundRoutes` below; `{name}` segments
 * are path parameters (`params`). Nothing else needs to change.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { RouteTable } from '../http/router';
import { DEMO_API_KEY, DEMO_ORG_ID, DEMO_PEOPLE, HEALTHY, TRANSITIONS, type HealthFaults, type LocalApp, type TransitionName } from '../local-app';
import { FAULT_KINDS, type FaultOptions } from '../emulators/org-admin/index';
import { PANEL_CALLS } from '../../forge-app/src/handlers/panel';
import { ADMIN_CALLS } from '../../forge-app/src/handlers/admin';
import { HttpError, badRequest, injectShim, jsonBody, readPlaygroundBody, sendFile, sendJson, str, type Json } from './http';
import { GRANT_PROPERTY, MAX_ADVANCE_SECONDS, PEOPLE_ORDER, ROLES, UI_DIST, WEB_DIR, checkSpeed, demoTargets, resolveTarget, type Session } from './session';
import type { createViews } from './views';
import { evidenceRoute } from '../evidence-routes';

/** The Custom UI modules the playground hosts: the issue panel, the admin page, the service-management portal's request page. */
export type ResolverModule = 'panel' | 'admin' | 'portal';

/** What the endpoints reach of the running playground. */
export interface PlaygroundHost {
  /** The current session (waits out a reset). */
  ready(): Promise<Session>;
  speed(): number;
  setSpeed(n: number): void;
  advance(ms: number): Promise<number>;
  reset(): Promise<void>;
  trySave(): void;
  callResolver(app: LocalApp, module: ResolverModule, as: string | undefined, issueKey: string | undefined, fn: string, payload: unknown): Promise<unknown>;
  /** The grant version the panel last saw, per issue key. */
  panelSeen: Map<string, number>;
  clockInfo(s: Session): { now: string; nowMs: number; speed: number };
  views: ReturnType<typeof createViews>;
}

/** One routed call. */
interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  s: Session;
  app: LocalApp;
}

/** The `/__playground/` endpoints as one function. */
export function playgroundRoutes(host: PlaygroundHost): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const { trySave, advance, reset, callResolver, panelSeen, clockInfo } = host;
  const { orgView, issueList, issueDetail } = host.views;
  const table = new RouteTable<(call: Call) => Promise<void>>();
  const on = (method: string, path: string, h: (call: Call) => Promise<void>) => table.add(method, path, h);

  on('GET', '/__playground/bridge-shim.js', async ({ res }) => {
    return sendFile(res, join(WEB_DIR, 'bridge-shim.js'));
  });

  on('POST', '/__playground/bridge/invoke', async ({ req, res, app }) => {
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
  });

  on('POST', '/__playground/invoke', async ({ req, res, app }) => {
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
  });

  on('GET', '/__playground/issues', async ({ res, app }) => {
    return sendJson(res, 200, { issues: issueList(app) });
  });

  on('POST', '/__playground/issues', async ({ req, res, app }) => {
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
  });

  on('POST', '/__playground/transition', async ({ req, res, app }) => {
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
  });

  on('GET', '/__playground/clock', async ({ res, s }) => {
    return sendJson(res, 200, clockInfo(s));
  });

  on('POST', '/__playground/clock', async ({ req, res }) => {
    const body = await jsonBody(req);
    if (body.advanceSeconds === undefined && body.speed === undefined) throw badRequest('send `advanceSeconds` and/or `speed`');
    if (body.speed !== undefined) {
      if (typeof body.speed !== 'number') throw badRequest('`speed` must be a number');
      host.setSpeed(checkSpeed(body.speed));
    }
    if (body.advanceSeconds !== undefined) {
      const secs = body.advanceSeconds;
      if (typeof secs !== 'number' || !Number.isFinite(secs) || secs < 0 || secs > MAX_ADVANCE_SECONDS) {
        throw badRequest(`\`advanceSeconds\` must be a number from 0 to ${MAX_ADVANCE_SECONDS}`);
      }
      await advance(Math.round(secs * 1000));
    }
    trySave();
    return sendJson(res, 200, clockInfo(await host.ready()));
  });

  on('GET', '/__playground/state', async ({ res, url, s, app }) => {
    const [grants, audit] = await Promise.all([
      app.admin('perm-1', 'listGrants', { scope: 'all' }) as Promise<{ ok: boolean; data?: { grants: unknown[] } }>,
      app.admin('perm-1', 'getAudit', { limit: Number(url.searchParams.get('auditLimit') ?? 100) }) as Promise<{ ok: boolean; data?: unknown }>,
    ]);
    return sendJson(res, 200, { ...clockInfo(s), grants: grants.data?.grants ?? [], holders: await orgView(app), audit: audit.data ?? null });
  });

  on('GET', '/__playground/ui-state', async ({ res, url, s, app }) => {
    const key = url.searchParams.get('issue');
    const jira = app.jira.exportSnapshot();
    return sendJson(res, 200, {
      ...clockInfo(s),
      issues: issueList(app, jira),
      issue: key ? issueDetail(app, key, jira) : null,
      org: await orgView(app),
      faults: app.org.faults(),
      health: await app.healthFaults(),
      auditLog: { available: app.org.auditLogAvailable() },
      people: PEOPLE_ORDER.map((id) => ({ accountId: id, name: DEMO_PEOPLE[id], role: ROLES[id] })),
      targets: demoTargets().map((t) => ({ key: t.key, label: t.label })),
      apiKey: DEMO_API_KEY,
      orgId: DEMO_ORG_ID,
    });
  });

  on('GET', '/__playground/faults', async ({ res, app }) => {
    return sendJson(res, 200, { faults: app.org.faults(), health: await app.healthFaults() });
  });

  on('POST', '/__playground/faults', async ({ req, res, app }) => {
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
    if (body.health !== undefined) {
      const wanted = body.health === 'off' ? HEALTHY : readHealthFaults(body.health);
      try {
        out.health = await app.setHealthFaults(wanted);
      } catch (e) {
        throw badRequest((e as Error).message);
      }
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
    } else if (body.drift === undefined && body.health === undefined) {
      throw badRequest('send `{rate, kinds}` (or `{off: true}`), `{drift: {accountId, target}}` and/or `{health: {key?, orgId?, group?, permanentAdmin?, sweep?}}` (or `{health: "off"}`)');
    }
    trySave();
    return sendJson(res, 200, { ...out, faults: app.org.faults(), holders: await orgView(app) });
  });

  on('POST', '/__playground/reset', async ({ req, res }) => {
    await readPlaygroundBody(req);
    await reset();
    return sendJson(res, 200, { ok: true, ...clockInfo(await host.ready()) });
  });

  on('POST', '/__playground/sweep', async ({ req, res, s, app }) => {
    await readPlaygroundBody(req);
    await app.sweep();
    trySave();
    return sendJson(res, 200, { ok: true, ...clockInfo(s) });
  });

  // The evidence pack's endpoints: org actions as a person, the audit-log switch, attachments (../evidence-routes.ts).
  const evidence = async ({ req, res, url, app }: Call) => {
    const method = req.method ?? 'GET';
    const answer = evidenceRoute(app, method, url.pathname, method === 'POST' ? await jsonBody(req) : null, DEMO_PEOPLE);
    if (!answer) throw notFound(method, url);
    if ('text' in answer) {
      res.writeHead(answer.status, answer.headers);
      res.end(answer.text);
    } else sendJson(res, answer.status, answer.json);
    if (method === 'POST') trySave();
  };
  on('POST', '/__playground/org-action', evidence);
  on('GET', '/__playground/audit-log', evidence);
  on('POST', '/__playground/audit-log', evidence);
  on('GET', '/__playground/attachments/{id}', evidence);

  // The Custom UI bundles, with the shim injected into their index.html (`.../panel/` is its index.html).
  const uiFile = async ({ res, url, params }: Call) => {
    const module = params.module;
    const file = params.file ?? (url.pathname.endsWith('/') ? 'index.html' : '');
    if ((module !== 'panel' && module !== 'admin' && module !== 'portal') || !/^[A-Za-z0-9._-]+$/.test(file)) throw notFound('GET', url);
    const path = join(UI_DIST, module, file);
    if (!existsSync(path)) {
      throw new HttpError(file === 'index.html' ? 503 : 404, 'NOT_BUILT', `forge-app/ui/dist/${module}/${file} does not exist: run bash scripts/build-ui.sh`);
    }
    return sendFile(res, path, file === 'index.html' ? injectShim : undefined);
  };
  on('GET', '/__playground/ui/{module}', uiFile);
  on('GET', '/__playground/ui/{module}/{file}', uiFile);

  const notFound = (method: string, url: URL) => new HttpError(404, 'NOT_FOUND', `no playground endpoint \`${method} ${url.pathname}\``);
  return async (req, res, url) => {
    const method = req.method ?? 'GET';
    const s = await host.ready();
    const found = table.lookup(method, url.pathname.replace(/\/+$/, '') || '/');
    if (found.kind !== 'match') throw notFound(method, url);
    await found.value({ req, res, url, params: found.params, s, app: s.app });
  };
}

const HEALTH_FAULT_VALUES: { [K in keyof HealthFaults]: readonly HealthFaults[K][] } = {
  key: ['ok', 'wrong', 'scoped'],
  orgId: ['ok', 'wrong'],
  group: ['ok', 'missing', 'scim'],
  permanentAdmin: ['ok', 'revoked'],
  sweep: ['running', 'stopped'],
};

/** `{health: {...}}` of `POST /__playground/faults`: each field one of its values. */
function readHealthFaults(value: unknown): Partial<HealthFaults> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw badRequest('`health` must be "off" or an object');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Json)) {
    const allowed = (HEALTH_FAULT_VALUES as Record<string, readonly unknown[]>)[k];
    if (!allowed) throw badRequest(`\`health.${k}\` is not a health fault (one of: ${Object.keys(HEALTH_FAULT_VALUES).join(', ')})`);
    if (!allowed.includes(v)) throw badRequest(`\`health.${k}\` must be one of: ${allowed.join(', ')}`);
    out[k] = v;
  }
  return out as Partial<HealthFaults>;
}
