/**
 * The org admin emulator's control endpoints under `/__emulator/` (not part of the spec; no auth; for tests and
 * the playground). Errors are `{error}` with 400; an unknown endpoint is a 404.
 *
 * Adding a control endpoint: one `on(...)` line in `controlEndpoints` below.
 */

import { RouteTable } from '../../http/router';
import type { ApiKeyRecord, ApiResponse } from './api';
import type { ContractFaults, FaultInjector, FaultKind, FaultOptions, StatsRecorder } from './faults';
import { orgAri, type Directory, type OrgSeed, type OrgState } from './model';
import { ORG_ADMIN_ROUTES } from './routes';
import type { EmulatorSnapshot, EmulatorTarget, HoldersView } from './types';
import type { PersonAction } from './events';

/** What the control endpoints reach of a running emulator. */
export interface ControlDeps {
  orgId: string;
  directories: Directory[];
  stats: StatsRecorder;
  faults: FaultInjector;
  state: OrgState;
  api: {
    setConsistencyDelay(ms: number): void;
    grant(accountId: string, t: EmulatorTarget): void;
    revoke(accountId: string, t: EmulatorTarget): void;
    contractFaults(): ContractFaults;
    setContractFaults(f: Partial<ContractFaults> | null): void;
    addApiKey(key: string, o?: { scopes?: string[] | null; status?: ApiKeyRecord['status'] }): void;
    reset(): void;
    auditEvents(): unknown[];
    auditLogAvailable(): boolean;
    setAuditLogAvailable(available: boolean): void;
    act(actor: string, action: PersonAction | 'addOrgAdmin', subject?: string): unknown;
  };
  holdersOf(view: 'truth' | 'visible'): HoldersView;
  seed(seed: OrgSeed): void;
  exportSnapshot(): EmulatorSnapshot;
  restore(s: EmulatorSnapshot): void;
}

/** One control call: the query and the parsed JSON body (`null` when empty; a parse error is a 400). */
interface ControlCall {
  url: URL;
  json(): unknown;
}

type ControlHandler = (call: ControlCall) => unknown;

/** The control endpoints as one function: request in, response out. */
export function controlEndpoints(d: ControlDeps): (method: string, path: string, url: URL, body: string) => ApiResponse {
  const table = new RouteTable<ControlHandler>();
  const on = (method: string, path: string, h: ControlHandler) => table.add(method, path, h);
  const OK = { ok: true };
  const info: ControlHandler = () => ({ orgId: d.orgId, directoryId: d.directories[0].id, orgAri: orgAri(d.orgId), routes: ORG_ADMIN_ROUTES });
  on('GET', '/__emulator', info);
  on('GET', '/__emulator/', info);
  on('GET', '/__emulator/stats', () => d.stats.snapshot());
  on('POST', '/__emulator/stats/reset', () => (d.stats.reset(), OK));
  on('GET', '/__emulator/holders', ({ url }) => d.holdersOf(url.searchParams.get('view') === 'visible' ? 'visible' : 'truth'));
  on('GET', '/__emulator/faults', () => d.faults.config());
  on('PUT', '/__emulator/faults', ({ json }) => (d.faults.configure(json() as FaultOptions | null), d.faults.config()));
  on('POST', '/__emulator/faults/next', ({ json }) => {
    const b = json() as { kinds?: FaultKind[] } | null;
    d.faults.queue(...(b?.kinds ?? []));
    return d.faults.config();
  });
  on('PUT', '/__emulator/consistency', ({ json }) => {
    const b = json() as { consistencyDelayMs?: number } | null;
    d.api.setConsistencyDelay(Number(b?.consistencyDelayMs));
    return { consistencyDelayMs: d.state.consistencyDelayMs };
  });
  on('POST', '/__emulator/seed', ({ json }) => (d.seed((json() ?? {}) as OrgSeed), OK));
  const grantOrRevoke = (grant: boolean): ControlHandler => ({ json }) => {
    const b = json() as { accountId?: string; target?: EmulatorTarget } | null;
    if (!b?.accountId || !b.target) throw new Error('body must be {"accountId","target"}');
    if (grant) d.api.grant(b.accountId, b.target);
    else d.api.revoke(b.accountId, b.target);
    return d.holdersOf('truth');
  };
  on('POST', '/__emulator/grant', grantOrRevoke(true));
  on('POST', '/__emulator/revoke', grantOrRevoke(false));
  on('GET', '/__emulator/contract', () => d.api.contractFaults());
  on('PUT', '/__emulator/contract', ({ json }) => (d.api.setContractFaults(json() as Partial<ContractFaults> | null), d.api.contractFaults()));
  on('POST', '/__emulator/keys', ({ json }) => {
    const b = json() as { key?: string; scopes?: string[] | null; status?: ApiKeyRecord['status'] } | null;
    if (!b?.key) throw new Error('body must be {"key","scopes"?,"status"?}');
    d.api.addApiKey(b.key, b);
    return OK;
  });
  on('POST', '/__emulator/reset', () => (d.api.reset(), OK));
  on('GET', '/__emulator/snapshot', () => d.exportSnapshot());
  on('PUT', '/__emulator/snapshot', ({ json }) => (d.restore(json() as EmulatorSnapshot), OK));
  on('GET', '/__emulator/audit-log', () => ({ available: d.api.auditLogAvailable(), events: d.api.auditEvents() }));
  on('PUT', '/__emulator/audit-log', ({ json }) => {
    const b = json() as { available?: unknown } | null;
    if (typeof b?.available !== 'boolean') throw new Error('body must be {"available": true|false}');
    d.api.setAuditLogAvailable(b.available);
    return { available: b.available };
  });
  on('POST', '/__emulator/act', ({ json }) => {
    const b = json() as { actor?: string; action?: PersonAction | 'addOrgAdmin'; subject?: string } | null;
    if (!b?.actor || !b.action) throw new Error('body must be {"actor","action","subject"?}');
    return d.api.act(b.actor, b.action, b.subject);
  });

  return (method, path, url, body) => {
    const found = table.lookup(method, path);
    if (found.kind !== 'match') return { status: 404, body: { error: `no control endpoint \`${method} ${path}\`` } };
    try {
      return { status: 200, body: found.value({ url, json: () => (body.trim() ? JSON.parse(body) : null) }) };
    } catch (e) {
      return { status: 400, body: { error: e instanceof Error ? e.message : String(e) } };
    }
  };
}
