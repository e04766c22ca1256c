/**
 * The org admin emulator's public shapes: its options, its handle, its snapshot and request log, and the
 * default seed. The HTTP side is server.ts; the control endpoints are control.ts.
 */

import type { AuditEventRecord, PersonAction } from './events';
import type { ApiKeyRecord } from './api';
import type { ContractFaults, EmulatorStats, FaultConfig, FaultKind, FaultOptions } from './faults';
import { ORG_ADMIN_ROLE, type Directory, type OrgSeed, type SiteAriForm, type StateSnapshot } from './model';
import type { RouteDef, RouteId } from './routes';

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
