/**
 * Every port the handlers use to reach the world, declared here in the core's own types
 * (`decision/core`, generated from the Rust types). Adapters implement these interfaces (their
 * factories return them); Forge adapters do it with `@forge/*`, and the playground and tests run
 * the same adapters against local emulators. Nothing here imports an adapter.
 */
import type { Access, Action, ActionError as CoreActionError, GroupHolders, AuditHead, AuditRecord, CommentBlock, FormerPermanentAdmin, Finding, Grant, OpenGrant, OrgEvent, PendingPolicyChange, Policy } from './decision/core';
import type { AlertRecord, AuditQuery, DriftReport, Person, PersonGroup } from './shared/types';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface Log {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Events on the app's own queue. */
export type QueueEvent =
  | { kind: 'wake'; grantId: string; at: string }
  | { kind: 'drain'; grantId: string }
  /** The Health view's queue probe: the consumer records its delivery. */
  | { kind: 'health'; pushedAt: string }
  /** Read the next page of a grant's evidence collection (see `handlers/evidence.ts`); `hop` numbers its chain. */
  | { kind: 'evidence'; grantId: string; hop?: number };

/** Forge's longest delay for one queue event; longer waits are chained by the consumer. */
export const MAX_DELAY_SECONDS = 900;

export interface QueuePort {
  /** Delivers `event` to the consumer after `delaySeconds` (0–`MAX_DELAY_SECONDS`). */
  push(event: QueueEvent, delaySeconds: number): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The organizations API (adapters/orgAdmin.ts).

/**
 * The core's `ActionError` (what the core is told about a failed grant or revoke), plus what only
 * the shell uses: `retryAfterMs`, when present, is how long the API asked us to wait (429
 * `Retry-After`) or how long eventual consistency may still take, which a queue consumer can pass
 * on as its own retry delay.
 */
export type ActionError = CoreActionError & {
  retryAfterMs?: number;
  /** The operation (`POST /v1/orgs/{orgId}/…`) an `ORG_API_CONTRACT_CHANGED` error is about. */
  endpoint?: string;
};
export type ActionOutcome = { ok: true; detail?: string } | { ok: false; error: ActionError };

/** The core's `GroupHolders` (members of a group that holds the target's role), as read: members always listed. */
export type GroupHolding = GroupHolders & { accountIds: string[] };

export interface HolderSnapshot {
  /**
   * False when any read failed, the request budget ran out, a resource came back in a form the adapter
   * does not understand, or the read stopped early (`enough`): `holders` is then a lower bound, never
   * the full list. Accounts left unread because of `maxAccountReads` (see `unread`) do not make it false.
   */
  complete: boolean;
  /** Accounts that hold the target directly (role targets) or are members (group targets). */
  holders: string[];
  /** The target is a group synced from an identity provider (the app can't change it). */
  externallySynced: boolean;
  error?: ActionError;
  /**
   * Role targets: groups that hold the role (on the target's resource), with their members. Those
   * members hold the target through the group, which the app never changes.
   */
  viaGroups?: GroupHolding[];
  /**
   * Role targets: accounts the listing could not classify and `maxAccountReads` left unread. Each holds
   * the target through a group in `viaGroups` or (resource roles) as an org admin, so their access is
   * accounted for; whether they ALSO hold it directly is read in turn (see `accountCursor`).
   */
  unread?: string[];
  /** Where the next read's per-account reads continue (pass back as `HolderReadOptions.accountCursor`). */
  accountCursor?: string;
}

export interface OrgDirectory {
  assign(target: Access, accountId: string): Promise<ActionOutcome>;
  /** Succeeds only once a read-back shows the access gone. */
  revoke(target: Access, accountId: string): Promise<ActionOutcome>;
  /** Everyone who holds the target directly; follows every `links.next` cursor. */
  holders(target: Access, options?: HolderReadOptions): Promise<HolderSnapshot>;
  /**
   * Requests sent so far by this adapter (this invocation), and the most it will send. Optional so
   * that test doubles of this port need not implement it.
   */
  requestUsage?(): { used: number; limit: number };
  /**
   * One Health probe (read-only, or a revoke that cannot change anything): what it found, or the
   * adapter's error. Never throws. Optional so that test doubles of this port need not implement it.
   */
  probe?(probe: OrgProbe): Promise<OrgProbeResult>;
}

/** The Health view's probes of the organizations API. */
export type OrgProbe =
  /** The organizations the key sees (`GET /v1/orgs`, an operation without scopes). */
  | { kind: 'key' }
  /** How many directories the key can manage. */
  | { kind: 'directories' }
  /** The org-admin revoke endpoint, called for an account that cannot exist (changes nothing). */
  | { kind: 'roleEndpoint' }
  /** Whether a group exists, and whether SCIM syncs it. */
  | { kind: 'group'; groupId: string }
  /** Whether a site or product resource exists (the workspaces list). */
  | { kind: 'resource'; role: string; resource: string }
  /** How an account holds org admin. */
  | { kind: 'orgAdmin'; accountId: string };

export type OrgProbeResult =
  | {
      ok: true;
      /** `key`: the organizations the key sees. */
      orgIds?: string[];
      /** `directories`: how many. */
      count?: number;
      /** `group`, `resource`: whether it exists. */
      exists?: boolean;
      /** `group`: synced from an identity provider. */
      externallySynced?: boolean;
      /** `orgAdmin`: assigned directly, only by another method (a group), or not at all. */
      holding?: 'direct' | 'indirect' | 'none';
    }
  | { ok: false; error: ActionError };

/**
 * For a caller that only needs to know that enough holders exist (the revocation guard), not who
 * they all are, or that must stay within a share of the invocation's requests (the sweep).
 */
export interface HolderReadOptions {
  /** Candidates to confirm before the others (e.g. the permanent admins, who nearly always hold). */
  confirmFirst?: readonly string[];
  /**
   * Asked after each confirmed holder (or batch of holders the listing confirms), with every holder
   * confirmed so far; `true` stops the read. The snapshot is then `complete: false` with no error (a
   * lower bound, as a failed read gives) unless nothing was left to read.
   */
  enough?: (confirmed: readonly string[]) => boolean;
  /**
   * Most per-account role reads (role targets). Accounts past it are returned in `unread`; the next read
   * continues from `accountCursor`. Default: no limit but the request budget.
   */
  maxAccountReads?: number;
  /** Requests to leave unused for later work in the invocation: per-account reads stop before them. */
  reserveRequests?: number;
  /** Where per-account reads start (the `accountCursor` of the previous read); they wrap around. */
  accountCursor?: string;
}

// ---------------------------------------------------------------------------------------------
// Jira (adapters/jira.ts).

export interface JiraIssueSummary {
  key: string;
  id: string;
  summary: string;
  reporter?: string;
  status: string;
  /** `statusCategory.key`: `new`, `indeterminate` or `done` (absent if Jira sent none). */
  statusCategory?: string;
}

export interface JiraPort {
  /**
   * Adds a comment from the core's structured body (see `commentToAdf`): text is only ever plain
   * text, mentions only the core's own, user text in its own labelled quote block. `names`:
   * display names of the mentioned accounts (the mentions' `text`; absent ones mention by id only).
   */
  comment(issueKey: string, body: CommentBlock[], names?: Record<string, string>): Promise<void>;
  /** Sets the issue property `jit-admin-grant` (JSON ≤ 32,768 characters, refused locally if larger). */
  setGrantProperty(issueKey: string, value: unknown): Promise<void>;
  /** Group ids of a user (`GET /rest/api/3/user/groups`). */
  userGroups(accountId: string): Promise<string[]>;
  /** The issue's key, id, summary, reporter account id and status name, or null if it does not exist. */
  issue(issueKey: string): Promise<JiraIssueSummary | null>;
  /**
   * Whether the user this invocation runs for holds a Jira global permission (`ADMINISTER`),
   * asked of Jira AS THAT USER (`GET /rest/api/3/mypermissions`, `asUser()`), so the answer is
   * Jira's about the authenticated caller, never about an account id someone passed in. Throws
   * when Jira cannot answer (no user context, an error, an answer without the permission):
   * the caller must treat that as "not confirmed".
   */
  callerHasGlobalPermission(permission: 'ADMINISTER'): Promise<boolean>;
  /** The issue property `jit-admin-grant`, or null when the issue has none. */
  grantProperty(issueKey: string): Promise<unknown>;
  /**
   * Attaches a text file to the issue as the app (`POST /rest/api/3/issue/{key}/attachments`:
   * multipart form data, field `file`, with `X-Atlassian-Token: no-check`, without which Jira
   * blocks the request). Not retried on a lost answer: a second copy is worse than a retry later.
   */
  attach(issueKey: string, file: { filename: string; mediaType: string; content: string }): Promise<void>;
  /**
   * Display names, avatars and account types of these accounts (`GET /rest/api/3/user/bulk`, as
   * the app, in pages of `USER_BULK_PAGE`); accounts Jira does not return are left out. For
   * showing people only: account ids stay the identity.
   */
  users(accountIds: string[]): Promise<Person[]>;
  /**
   * Active people matching `query` (`GET /rest/api/3/user/search`), asked AS THE CALLER: Jira
   * applies their *Browse users and groups* permission and people's profile visibility.
   */
  searchUsers(query: string, max: number): Promise<Person[]>;
  /** Groups whose names contain `query` (`GET /rest/api/3/groups/picker`), asked as the caller. */
  searchGroups(query: string, max: number): Promise<PersonGroup[]>;
  /** Names of these groups (`GET /rest/api/3/group/bulk`), asked as the caller; unknown ids are left out. */
  groups(groupIds: string[]): Promise<PersonGroup[]>;
}

/** A request refused before it was sent because it exceeds a documented Jira limit. */
export class JiraLimitError extends Error {
  override readonly name = 'JiraLimitError';
  constructor(
    readonly what: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(`${what} is ${size} characters; Jira allows at most ${limit}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Storage (adapters/storage/, one module per concern).

/** A grant as stored: the core's grant plus the actions decided but not yet executed. */
export interface StoredGrant {
  grant: Grant;
  /** The outbox: written in the same transaction as the decision, emptied as actions run. */
  outbox: Action[];
  /** Storage revision, bumped by every write (decisions and outbox removals alike). */
  rev: number;
}

/** The policy as stored (`meta/policy`): the core's `PolicyState`. */
export interface PolicyDoc {
  policy: Policy;
  version: number;
  updatedAt: string;
  updatedBy: string;
  /** Who approved it, for a guard-rail change (the two-person rule). */
  approvedBy?: string;
  /** Accounts a change dropped from the permanent admins, still in their grace period. */
  formerPermanentAdmins?: FormerPermanentAdmin[];
}

/** The pending guard-rail change (`meta/policy-change`); `seq` is its compare-and-set revision. */
export interface PolicyChangeSlot {
  seq: number;
  change: PendingPolicyChange | null;
}

export interface SweepState extends DriftReport {
  fingerprint?: string;
  /** Per target: where the next sweep's per-account role reads continue (`HolderSnapshot.accountCursor`). */
  accountCursors?: Record<string, string>;
  /** Where the next sweep's review of open grants continues (`Store.openGrantsAfter`); absent: from the start. */
  reviewAfter?: string;
  /** When the current (or last) review pass over the open grants started. */
  reviewStartedAt?: string;
  /**
   * Accesses no longer in the policy that grants named (their holders are read until `until`, so
   * whoever the app gave them to is still watched after the grants stop being read).
   */
  orphans?: Array<{ target: string; access: Access; until: string }>;
}

/** Result of a conditional write: `conflict` means someone else wrote first; reload and retry. */
export type Commit = 'ok' | 'conflict';

/** How far the audit chain has been verified (see `handlers/auditVerification.ts`). */
export interface AuditCheckpoint {
  /** The newest record verified so far: records after it are checked against it. */
  verified: AuditHead;
  /** Where the next re-scan of the older records starts (a seq, from 1). */
  rescanFrom: number;
  /** When it was saved. */
  at: string;
}

/** The grants and their outboxes (`grant` entities). */
export interface GrantStore {
  grant(id: string): Promise<StoredGrant | null>;
  /**
   * Atomically: writes the grant if its stored revision is still `expectedRev` (absent when
   * null), appends the audit records if the chain's head is still `expectedHead`, and moves the head.
   */
  commit(change: {
    grantId?: string;
    expectedRev: number | null;
    next?: { grant: Grant; outbox: Action[] };
    audit: AuditRecord[];
    expectedHead: AuditHead;
  }): Promise<Commit>;
  /** Removes executed actions from a grant's outbox. */
  removeFromOutbox(grantId: string, keys: string[]): Promise<void>;
  /** Open grants: not finished, or with actions still in their outbox. */
  openGrants(): Promise<StoredGrant[]>;
  /** Grants updated since `sinceMs` (the sweep's memory of recently ended grants). */
  grantsUpdatedSince(sinceMs: number): Promise<StoredGrant[]>;
  /** Open grants that elevate `subject`, for the duplicate-request check. */
  openGrantsFor(subject: string): Promise<OpenGrant[]>;
  allGrants(limit: number): Promise<Grant[]>;
  /** Every grant that elevates `subject` (for the revocation guard's fresh read). */
  grantsFor(subject: string): Promise<Grant[]>;
  /** Open grants whose `wakeAt` is at or before `atMs`, or whose outbox still holds actions: what the sweep must tick or drain. */
  dueGrants(atMs: number): Promise<StoredGrant[]>;
  /**
   * Up to `limit` open grants updated after `after` (a stored `updatedAt`), oldest first, and where
   * the next page starts (absent when this page reached the end): the sweep reviews a few each run.
   */
  openGrantsAfter(after: string | undefined, limit: number): Promise<{ grants: StoredGrant[]; next?: string }>;
  /** The grants of `subject` that are open, or were updated since `sinceMs` (the sweep's memory of a holder). */
  grantsForSince(subject: string, sinceMs: number): Promise<StoredGrant[]>;
}

/**
 * The hash-chained audit log (`audit` entities and the `audit-head`), its verification checkpoint
 * and the refusal tallies counted beside it. Records are appended only with a decision, through
 * `GrantStore.commit` or `PolicyStore`'s writes.
 */
export interface AuditLog {
  auditHead(): Promise<AuditHead>;
  /** Audit records, newest first, filtered. */
  auditPage(query: AuditQuery): Promise<{ records: AuditRecord[]; nextBeforeSeq?: number }>;
  /** Every audit record in chain order (for verification and export). */
  auditAll(): Promise<AuditRecord[]>;
  auditForGrant(grantId: string): Promise<AuditRecord[]>;
  /** A grant's audit records, newest first, older than `beforeSeq`; `nextBeforeSeq` when older ones remain. */
  auditForGrantPage(grantId: string, query: { beforeSeq?: number; limit: number }): Promise<{ records: AuditRecord[]; nextBeforeSeq?: number }>;
  /** Up to `limit` audit records with seq ≥ `fromSeq`, in chain order. */
  auditFrom(fromSeq: number, limit: number): Promise<AuditRecord[]>;
  auditCheckpoint(): Promise<AuditCheckpoint | null>;
  saveAuditCheckpoint(checkpoint: AuditCheckpoint): Promise<void>;
  /** Refusals counted under a coalescing key (the core's `coalesce.key`), or null before the first. */
  refusalTally(key: string): Promise<{ key: string; count: number } | null>;
  /** Adds one refusal to the tally under `key` (starting it at 1); returns the new count. */
  countRefusal(key: string): Promise<number>;
  /** The tallies of these keys; keys without one are left out. */
  refusalCounts(keys: string[]): Promise<Record<string, number>>;
}

/** The policy (`meta/policy`) and the pending guard-rail change (`meta/policy-change`). */
export interface PolicyStore {
  policy(): Promise<PolicyDoc | null>;
  savePolicy(doc: PolicyDoc, expectedVersion: number, audit: AuditRecord[], expectedHead: AuditHead): Promise<Commit>;
  /** The pending guard-rail change, if any, with the slot's revision. */
  policyChangeSlot(): Promise<PolicyChangeSlot>;
  /**
   * Atomically: writes the policy if its stored version is still `policy.expectedVersion`,
   * replaces the pending change (`null` removes it) if the slot is still at `slot.expectedSeq`,
   * and appends the audit records if the chain's head is still `expectedHead`.
   */
  commitPolicyChange(change: {
    policy?: { doc: PolicyDoc; expectedVersion: number };
    slot?: { expectedSeq: number; change: PendingPolicyChange | null };
    audit: AuditRecord[];
    expectedHead: AuditHead;
  }): Promise<Commit>;
}

/** The Health view's own records: storage probes and the queue probe's timestamps. */
export interface HealthStore {
  /**
   * The Health view's storage probe: in each entity kind (and for a plain key), writes a probe
   * record under a key of its own, reads it back and removes it. Never throws.
   */
  probeStorage(): Promise<StorageProbeResult[]>;
  /** The Health view's queue probe: the push it waits for, and the consumer's last delivery. */
  healthQueue(): Promise<{ pushedAt?: string; deliveredAt?: string }>;
  saveHealthQueuePush(at: string): Promise<void>;
  saveHealthQueueDelivery(at: string): Promise<void>;
}

/** One entity kind's storage probe. */
export interface StorageProbeResult {
  /** The entity, or `kvs` for a plain key. */
  entity: string;
  ok: boolean;
  /** Why not: the storage error's code and message. */
  error?: { code: string; message: string };
}

/** Claims (an action runs once under at-least-once delivery) and leases (one holder at a time). */
export interface ClaimStore {
  /** Records that an action key has been executed; false if it already was (at-least-once delivery). */
  claim(key: string): Promise<boolean>;
  release(key: string): Promise<void>;
  /**
   * Takes a lease on `name` for `ttlMs` of clock time, if nobody holds an unexpired one. Returns
   * the holder's token, or null. Leases expire on their own: a crashed holder blocks nobody long.
   */
  tryLease(name: string, ttlMs: number): Promise<string | null>;
  /** Gives a lease back early (only the token's holder can). */
  releaseLease(name: string, token: string): Promise<void>;
}

/** Alerts for the admin page, and the last sweep's findings (the drift report). */
export interface AlertStore {
  saveAlert(alert: AlertRecord): Promise<void>;
  alerts(limit: number): Promise<AlertRecord[]>;
  sweepState(): Promise<SweepState | null>;
  saveSweepState(state: SweepState): Promise<void>;
  /** Records when the sweep last ran, when nothing else about it changed. */
  touchSweep(at: string): Promise<void>;
}

/**
 * All of the app's storage, one object per invocation (`adapters/storage.ts` composes it from the
 * per-concern modules). Code that needs only one concern takes only that interface.
 */
export interface Store extends GrantStore, AuditLog, PolicyStore, ClaimStore, AlertStore, HealthStore {}

/**
 * How long the work of one invocation may take, on `Ports.clock` (forge.ts derives it from Forge's
 * limit for the invocation kind; see `INVOCATION_BUDGETS` there).
 */
export interface InvocationBudget {
  /** The invocation must have finished by then: Forge's limit, less a safety margin. */
  endsAt: number;
  /** The longest one org-API operation may take, retries and read-backs included. */
  orgOperationMs: number;
  /** How long an org-admin revoke waits for the one before it (they run one at a time). */
  leaseWaitMs: number;
  /** Time kept after a grant or revoke to record its result (a Jira call and the storage writes). */
  tailMs: number;
  /**
   * A grant or revoke that fails retryably here, or would not fit, is left in the outbox for the
   * queue consumer (which has minutes) instead of being reported to the core as failed.
   */
  handOff: boolean;
}

/** One page of the org audit log's events (`GET /v1/orgs/{orgId}/events`). */
export interface EventsQuery {
  actor: string;
  /** Epoch milliseconds, inclusive. */
  fromMs: number;
  toMs: number;
  /** The previous page's `next`. */
  cursor?: string;
  /** 1–500 (the spec's bounds); default 100. */
  limit?: number;
}

export type EventsPage =
  | { ok: true; events: OrgEvent[]; next?: string }
  /** 403/404: the organization has no audit-log access (the events API needs Atlassian Guard). */
  | { ok: false; kind: 'unavailable'; status: number; message: string }
  | { ok: false; kind: 'rateLimited'; retryAfterMs: number; message: string }
  /** Worth trying again later (5xx, timeouts, network); or not (401, 400) when `retryable` is false. */
  | { ok: false; kind: 'failed'; retryable: boolean; code: string; message: string };

/** The organization's audit log: one page per call, never waiting or retrying itself (see `handlers/evidence.ts`). */
export interface OrgAuditLog {
  events(query: EventsQuery): Promise<EventsPage>;
}

/** The `collectEvidence` action the core decided. */
export type CollectEvidence = Extract<Action, { type: 'collectEvidence' }>;

/** Where one grant's evidence collection stands. */
export interface EvidenceJob {
  collection: CollectEvidence;
  /** The next page's cursor (absent: the first page, or the read is over). */
  cursor?: string;
  /** Pages read (and stored) so far. */
  pages: number;
  /** Events stored so far. */
  events: number;
  /** 429s met so far, and retryable failures in a row. */
  rateLimited: number;
  failures: number;
  /** Set once the read is over: how it ended. */
  read?: { status: 'complete' } | { status: 'partial'; reason: string } | { status: 'unavailable'; httpStatus: number };
  /** Set once the comment, files, alerts and record are done. */
  reported?: boolean;
  /** The read turn this job holds (`EvidenceStore.reserveReadSlot`), in epoch ms. */
  slotAt?: number;
  /** The hop of the job's one live queue chain; deliveries of other hops are dropped. */
  hop?: number;
}

/** Evidence collections: the job and its pages of events. */
export interface EvidenceStore {
  job(grantId: string): Promise<EvidenceJob | null>;
  saveJob(grantId: string, job: EvidenceJob): Promise<void>;
  savePage(grantId: string, n: number, events: OrgEvent[]): Promise<void>;
  /** The events of pages 0 … pages−1, in order. */
  events(grantId: string, pages: number): Promise<OrgEvent[]>;
  /**
   * Takes the next turn to read the org audit log: the returned time (≥ `nowMs`) is at least
   * `spacingMs` after the turn before it, whoever took that. Null when the store stayed contended.
   */
  reserveReadSlot(nowMs: number, spacingMs: number): Promise<number | null>;
}

/** Everything a handler needs, for one invocation. */
export interface Ports {
  org: OrgDirectory;
  jira: JiraPort;
  store: Store;
  queue: QueuePort;
  clock: Clock;
  log: Log;
  /** Accounts allowed to save the first policy (the deployer's `BOOTSTRAP_ADMINS`). */
  bootstrapAdmins: string[];
  /** On `clock`: after this, inline work stops and the rest is left to the queue. */
  deadline: number;
  /** The invocation's time budget (absent: no limit but `deadline`). */
  budget?: InvocationBudget;
  /** The deployer's `ORG_ID` (for the Health view's organization check; not a secret). */
  orgId?: string;
  /** The organization's audit log (`GET /v1/orgs/{orgId}/events`), for evidence packs. */
  auditLog: OrgAuditLog;
  /** Evidence collections in progress. */
  evidence: EvidenceStore;
}

export type { Finding };
