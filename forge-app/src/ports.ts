/**
 * The small interfaces the handlers use to reach the world. Forge adapters implement them with
 * `@forge/*`; the playground and tests run the same adapters against local emulators.
 */
import type { Access, Action, AuditHead, AuditRecord, FormerPermanentAdmin, Finding, Grant, OpenGrant, PendingPolicyChange, Policy } from './decision/core';
import type { OrgDirectory } from './adapters/orgAdmin';
import type { JiraPort } from './adapters/jira';
import type { AlertRecord, AuditQuery, DriftReport } from './shared/types';

export type { OrgDirectory } from './adapters/orgAdmin';
export type { JiraPort } from './adapters/jira';

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
  | { kind: 'drain'; grantId: string };

export interface QueuePort {
  /** Delivers `event` to the consumer after `delaySeconds` (0–900). */
  push(event: QueueEvent, delaySeconds: number): Promise<void>;
}

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

export interface Store {
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
  auditHead(): Promise<AuditHead>;
  /** Open grants: not finished, or with actions still in their outbox. */
  openGrants(): Promise<StoredGrant[]>;
  /** Grants updated since `sinceMs` (the sweep's memory of recently ended grants). */
  grantsUpdatedSince(sinceMs: number): Promise<StoredGrant[]>;
  /** Open grants that elevate `subject`, for the duplicate-request check. */
  openGrantsFor(subject: string): Promise<OpenGrant[]>;
  allGrants(limit: number): Promise<Grant[]>;
  policy(): Promise<PolicyDoc | null>;
  savePolicy(doc: PolicyDoc, expectedVersion: number, audit: AuditRecord[], expectedHead: AuditHead): Promise<Commit>;
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
  /** Every grant that elevates `subject` (for the revocation guard's fresh read). */
  grantsFor(subject: string): Promise<Grant[]>;
  saveAlert(alert: AlertRecord): Promise<void>;
  alerts(limit: number): Promise<AlertRecord[]>;
  sweepState(): Promise<SweepState | null>;
  saveSweepState(state: SweepState): Promise<void>;
  /** Audit records, newest first, filtered. */
  auditPage(query: AuditQuery): Promise<{ records: AuditRecord[]; nextBeforeSeq?: number }>;
  /** Every audit record in chain order (for verification and export). */
  auditAll(): Promise<AuditRecord[]>;
  auditForGrant(grantId: string): Promise<AuditRecord[]>;
  /** Refusals counted under a coalescing key (the core's `coalesce.key`), or null before the first. */
  refusalTally(key: string): Promise<{ key: string; count: number } | null>;
  /** Adds one refusal to the tally under `key` (starting it at 1); returns the new count. */
  countRefusal(key: string): Promise<number>;
  /** The tallies of these keys; keys without one are left out. */
  refusalCounts(keys: string[]): Promise<Record<string, number>>;
  /** A grant's audit records, newest first, older than `beforeSeq`; `nextBeforeSeq` when older ones remain. */
  auditForGrantPage(grantId: string, query: { beforeSeq?: number; limit: number }): Promise<{ records: AuditRecord[]; nextBeforeSeq?: number }>;
  /** Up to `limit` audit records with seq ≥ `fromSeq`, in chain order. */
  auditFrom(fromSeq: number, limit: number): Promise<AuditRecord[]>;
  auditCheckpoint(): Promise<AuditCheckpoint | null>;
  saveAuditCheckpoint(checkpoint: AuditCheckpoint): Promise<void>;
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
  /** Open grants whose `wakeAt` is at or before `atMs`, or whose outbox still holds actions: what the sweep must tick or drain. */
  dueGrants(atMs: number): Promise<StoredGrant[]>;
  /**
   * Up to `limit` open grants updated after `after` (a stored `updatedAt`), oldest first, and where
   * the next page starts (absent when this page reached the end): the sweep reviews a few each run.
   */
  openGrantsAfter(after: string | undefined, limit: number): Promise<{ grants: StoredGrant[]; next?: string }>;
  /** The grants of `subject` that are open, or were updated since `sinceMs` (the sweep's memory of a holder). */
  grantsForSince(subject: string, sinceMs: number): Promise<StoredGrant[]>;
  /** Records when the sweep last ran, when nothing else about it changed. */
  touchSweep(at: string): Promise<void>;
}

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
}

export type { Finding };
