/* ---- The JIT Admin core's JSON contract (see core/CONTRACT.md). ---- */

/** RFC 3339 date-time with an offset, e.g. "2026-06-01T09:00:00.000Z". Outputs are always UTC. */
export type Timestamp = string;
export type AccountId = string;

export interface ErrorBody { code: string; message: string; path?: string }

export type Access =
  | { type: "orgRole"; role: "atlassian/org-admin" }
  | { type: "resourceRole"; role: "atlassian/site-admin" | "atlassian/admin" | "atlassian/user-access-admin"; resource: string }
  | { type: "groupMembership"; groupId: string; groupName?: string };

export interface Principals { accountIds?: AccountId[]; groupIds?: string[] }

export interface Target {
  key: string;
  label: string;
  access: Access;
  requesters?: Principals;
  approvers?: Principals;
  defaultDurationMinutes?: number;
  maxDurationMinutes?: number;
  requiredApprovals?: number;
  maxExtensions?: number;
  maxTotalMinutes?: number;
  maxStartAheadMinutes?: number;
  approvalDeadlineMinutes?: number;
  justification?: { required?: boolean; minLength?: number };
  breakGlass?: AccountId[];
  autoActivate?: boolean;
  standingHolders?: AccountId[];
}

export interface ServiceAccount { accountId: AccountId; label?: string; owners: AccountId[] }

export interface Policy {
  permanentAdmins?: AccountId[];
  maxPermanentAdmins?: number;
  minOrgAdmins?: number;
  driftMode?: "report" | "enforce";
  alertIssueKey?: string;
  serviceAccounts?: ServiceAccount[];
  targets?: Target[];
}

export interface Actor { accountId: AccountId; groupIds?: string[] }

export type GrantStatus = "requested" | "approved" | "active" | "ended";
export type Outcome = "completed" | "expired" | "revoked" | "rejected" | "cancelled" | "failed" | "ineligible";
export type AccessState = "notGranted" | "granting" | "granted" | "revoking" | "revoked" | "retained";
export type ExtensionStatus = "pending" | "approved" | "rejected" | "lapsed";

export interface Approval { approver: AccountId; at: Timestamp }
export interface Window { start: Timestamp; end: Timestamp }

export interface Extension {
  number: number;
  requestedAt: Timestamp;
  minutes: number;
  justification: string;
  status: ExtensionStatus;
  approvals: Approval[];
  decidedAt?: Timestamp;
  rejectedBy?: AccountId;
}

export interface ActionError { code: string; message: string; retryable: boolean }

export interface PendingAction { key: string; kind: "grant" | "revoke"; issuedAt: Timestamp; retryAt: Timestamp }

export interface Provisioning {
  state: AccessState;
  pending?: PendingAction;
  grantedAt?: Timestamp;
  revokedAt?: Timestamp;
  revokeAttempts: number;
  grantAttempts: number;
  lastError?: ActionError;
  landedGrants?: string[];
}

export interface Grant {
  schema: number;
  id: string;
  issueKey: string;
  version: number;
  target: string;
  targetLabel: string;
  access: Access;
  requester: AccountId;
  subject: AccountId;
  justification: string;
  requestedAt: Timestamp;
  requestedStart: Timestamp;
  durationMinutes: number;
  approvalDeadline: Timestamp;
  requiredApprovals: number;
  autoActivate: boolean;
  status: GrantStatus;
  outcome?: Outcome;
  approvals: Approval[];
  window?: Window;
  activation?: { at: Timestamp; by: AccountId; breakGlass: boolean };
  extensions: Extension[];
  ending?: { at: Timestamp; by: AccountId; reason?: string };
  provisioning: Provisioning;
  wakeAt?: Timestamp;
}

export type RevokeReason = "completed" | "expired" | "revoked" | "cleanup" | "endedStillHeld" | "drift" | "ineligible";
export type Severity = "info" | "warning" | "critical";

/**
 * A comment's content. Render `text` items and `userText` only as plain text (never parse them for
 * markup), `mention` items as mentions, and `userText` visibly apart from the app's own words
 * (its own labelled, quoted block): then nothing a person types can mention anyone or read as
 * the app speaking.
 */
export type CommentInline = { type: "text"; text: string } | { type: "mention"; accountId: AccountId };
export type CommentBlock =
  | { type: "paragraph"; content: CommentInline[] }
  | { type: "userText"; label: string; text: string };

export type Action =
  | { type: "grant"; key: string; grantId: string; issueKey: string; access: Access; accountId: AccountId; attempt: number }
  | { type: "revoke"; key: string; grantId?: string; issueKey?: string; target: string; access: Access; accountId: AccountId; reason: RevokeReason; attempt: number }
  | { type: "comment"; key: string; issueKey: string; body: CommentBlock[] }
  | { type: "wake"; key: string; grantId: string; at: Timestamp }
  | { type: "alert"; key: string; severity: Severity; code: string; message: string; grantId?: string; issueKey?: string };

export type Event =
  | { type: "submit"; grantId: string; issueKey: string; target: string; subject?: AccountId; start?: string; durationMinutes?: number; justification?: string }
  | { type: "approve" }
  | { type: "reject"; reason?: string }
  | { type: "cancel" }
  | { type: "activate" }
  | { type: "complete" }
  | { type: "revoke"; reason?: string }
  | { type: "requestExtension"; minutes: number; justification?: string }
  | { type: "approveExtension" }
  | { type: "rejectExtension"; reason?: string }
  | { type: "tick" }
  | { type: "policyCheck" }
  | { type: "actionSucceeded"; action: Action }
  | { type: "actionFailed"; action: Action; error: ActionError };

export interface AuditHead { seq: number; hash: string }

export interface AuditRecord {
  seq: number;
  prevHash: string;
  /** SHA-256 of the record's RFC 8785 canonical JSON without `hash` (CONTRACT.md, "The audit chain"). */
  hash: string;
  /** 2 on every record the core writes (hashed too); absent on records hashed the legacy way (version 1). */
  hashVersion?: number;
  at: Timestamp;
  actor: string;
  event: string;
  outcome: "accepted" | "refused" | "noted";
  grantId?: string;
  issueKey?: string;
  target?: string;
  details: Record<string, unknown>;
}

export interface OpenGrant { id: string; subject: AccountId; target: string }

/** Refusals with one coalescing key that the wrapper has counted in their period. */
export interface RefusalTally { key: string; count: number }

/** How a refusal worth keeping counts: the first of its period is recorded, the rest counted. */
export interface Coalesce { key: string; recorded: boolean; count: number }

export interface DecideInput {
  policy: Policy;
  grant?: Grant | null;
  event: Event;
  actor?: Actor | null;
  now: Timestamp;
  auditHead?: AuditHead | null;
  source?: "panel" | "workflow" | "system";
  context?: {
    openGrants?: OpenGrant[];
    /** The grant's requester now, with their groups (approvals, automatic activation, policyCheck). */
    requester?: Actor | null;
    /** Tallies of refusals already recorded this period (from earlier answers' `coalesce.key`). */
    refusals?: RefusalTally[];
  };
}

export type DecideAnswer =
  | { ok: true; changed: boolean; grant?: Grant | null; actions: Action[]; audit: AuditRecord[]; auditHead: AuditHead }
  | { ok: false; error: ErrorBody; actions?: Action[]; audit?: AuditRecord[]; auditHead?: AuditHead; coalesce?: Coalesce };

/**
 * Who holds one target. `holders`: direct holders (role targets) or members (group targets).
 * `viaGroups` (role targets, optional): groups whose role gives their members this target; they are
 * reported as `viaGroup` findings, never revoked, and never counted toward the admin floor.
 */
export interface TargetHolders {
  target: string;
  complete: boolean;
  externallySynced?: boolean;
  /** For an access the policy no longer lists under `target`: the access that was read. */
  access?: Access;
  holders: AccountId[];
  viaGroups?: GroupHolders[];
}
/** Members of a group that holds a target's role. */
export interface GroupHolders { groupId: string; groupName?: string; accountIds: AccountId[] }
export interface HolderSnapshot { complete: boolean; targets: TargetHolders[] }

export interface SweepInput {
  policy: Policy;
  grants: Grant[];
  snapshot: HolderSnapshot;
  now: Timestamp;
  auditHead?: AuditHead | null;
  previousFingerprint?: string | null;
  /** The previous sweep's findings, so a lasting incident keeps its `since`. */
  previousFindings?: Finding[];
  /** The open grants' requesters now, with their groups (a missing one is judged on account ids). */
  requesters?: Actor[];
  /** Accounts an approved policy change dropped from the permanent admins: reported, not revoked, for 7 days. */
  formerPermanentAdmins?: FormerPermanentAdmin[];
}

export interface Finding {
  target: string;
  accountId: AccountId;
  /** `viaGroup`: held through a group's role (see `groupId`), which the app never changes. */
  kind: "endedStillHeld" | "drift" | "viaGroup";
  /** `reportGroup`: reported naming the group; an admin must remove the group's role or its members. */
  disposition: "revoke" | "report" | "keptForFloor" | "keptIncomplete" | "externallyManaged" | "keptNoPermanentAdmin" | "reportGroup" | "keptGrace";
  grantId?: string;
  /** For `viaGroup`: the group whose role gives the access. */
  groupId?: string;
  groupName?: string;
  /** When the sweeps first saw this holding without a break. */
  since: Timestamp;
  /** For `keptGrace`: when the grace period of a dropped permanent admin ends. */
  graceUntil?: Timestamp;
}

export type SweepAnswer =
  | {
      ok: true;
      actions: Action[];
      due: string[];
      /** Open grants the current policy no longer allows: send each a `policyCheck`. */
      ineligible: string[];
      findings: Finding[];
      floor?: { orgAdmins: number; after: number; min: number };
      fingerprint: string;
      audit: AuditRecord[];
      auditHead: AuditHead;
    }
  | { ok: false; error: ErrorBody };

export interface ViewInput {
  policy: Policy;
  grant?: Grant | null;
  viewer: Actor;
  now: Timestamp;
  /** The grant's requester now, with their groups, when the viewer is someone else. */
  requester?: Actor | null;
}

export type ActionName =
  | "submitRequest" | "approve" | "reject" | "activate" | "complete"
  | "requestExtension" | "approveExtension" | "rejectExtension" | "revoke" | "cancel";

export interface ActionOption { action: ActionName; allowed: boolean; reason?: ErrorBody }

export interface TargetOption {
  key: string;
  label: string;
  description: string;
  defaultDurationMinutes: number;
  maxDurationMinutes: number;
  maxStartAheadMinutes: number;
  justificationRequired: boolean;
  justificationMinLength: number;
  serviceAccounts: ServiceAccount[];
  breakGlass: boolean;
}

export interface View {
  viewer: { accountId: AccountId; isRequester: boolean; isApprover: boolean; isPermanentAdmin: boolean };
  grant?: { grant: Grant; state: string; secondsRemaining: number; secondsUntilStart: number; finished: boolean };
  actions: ActionOption[];
  requestable: TargetOption[];
}

export type ViewAnswer = ({ ok: true } & View) | { ok: false; error: ErrorBody };

export type StatusCategoryKey = "new" | "indeterminate" | "done";
export interface GateInput { policy: Policy; grant?: Grant | null; now: Timestamp; statusCategory?: StatusCategoryKey }
export interface GateEntry { accounts: AccountId[]; anyone: boolean; groupIds: string[]; deny: Record<AccountId, string>; reason: string }
export interface Gate { approve: GateEntry; reject: GateEntry; complete: GateEntry; revoke: GateEntry; approveExtension: GateEntry }
export interface Divergence { code: string; severity: Severity; message: string }
export type GateAnswer = { ok: true; gate: Gate; divergence?: Divergence; actions: Action[] } | { ok: false; error: ErrorBody };

export interface ValidateInput { policy: unknown }
export interface PolicyProblem { path: string; code: string; message: string }
export type ValidateAnswer =
  | { ok: true; valid: boolean; problems: PolicyProblem[] }
  | { ok: false; error: ErrorBody };

export interface VerifyInput { records: AuditRecord[]; anchor?: AuditHead | null; expectedHead?: AuditHead | null }
export type VerifyAnswer =
  | { ok: true; valid: boolean; checked: number; firstBroken?: { index: number; seq: number; reason: string }; head: AuditHead }
  | { ok: false; error: ErrorBody };

export interface GuardInput { policy: Policy; action: Action; orgAdmins?: TargetHolders | null; grants?: Grant[] }
export type GuardAnswer = { ok: true; allowed: boolean; reason?: ErrorBody; obsolete: boolean } | { ok: false; error: ErrorBody };

export interface VersionInfo { core: string; contract: number }

/* ---- The admin page: authorization and the two-person rule for the policy. ---- */

export type AdminCall =
  | "getPolicy" | "validatePolicy" | "listGrants" | "getAudit" | "exportAudit" | "getDrift" | "getAlerts" | "getHoldings"
  | "savePolicy" | "approvePolicyChange" | "withdrawPolicyChange";

export interface FormerPermanentAdmin { accountId: AccountId; removedAt: Timestamp }

/** The policy as stored (KVS `meta/policy`). */
export interface PolicyState {
  policy: Policy;
  version: number;
  updatedAt: Timestamp;
  updatedBy: AccountId;
  approvedBy?: AccountId;
  formerPermanentAdmins?: FormerPermanentAdmin[];
}

export interface PolicyDiff { path: string; guardRail: boolean; before: unknown; after: unknown }

export interface PendingPolicyChange {
  id: string;
  proposer: AccountId;
  proposedAt: Timestamp;
  expiresAt: Timestamp;
  baseVersion: number;
  policy: Policy;
  diff: PolicyDiff[];
}

export interface OrgAdminsRead { complete: boolean; holders: AccountId[] }

export interface AdminAccessInput {
  call: AdminCall;
  actor: AccountId;
  /** Jira's ADMINISTER, asked of Jira as the caller; null when the lookup failed. */
  jiraAdmin: boolean | null;
  current?: PolicyState | null;
  pending?: PendingPolicyChange | null;
  bootstrapAdmins?: AccountId[];
  now: Timestamp;
}

export interface Permission { allowed: boolean; reason?: ErrorBody }
export interface AdminViewer {
  accountId: AccountId;
  jiraAdmin: boolean;
  permanentAdmin: boolean;
  save: Permission;
  approve: Permission;
  withdraw: Permission;
}
export interface PendingStatus {
  state: "open" | "stale" | "expired";
  approvers: { accountIds: AccountId[]; orgAdminsMayApprove: boolean };
}
export interface AdminAccess { allowed: boolean; reason?: ErrorBody; viewer: AdminViewer; pending?: PendingStatus }
export type AuthorizeAdminAnswer = ({ ok: true } & AdminAccess) | { ok: false; error: ErrorBody };

export type PolicyCommand =
  | { type: "save"; policy: unknown; expectedVersion?: number }
  | { type: "approve"; changeId: string }
  | { type: "withdraw"; changeId: string };

export interface PolicyChangeInput {
  command: PolicyCommand;
  actor: AccountId;
  jiraAdmin: boolean | null;
  /** Absent until an answer asks for it (`needsOrgAdmins`). */
  orgAdmins?: OrgAdminsRead | null;
  current?: PolicyState | null;
  pending?: PendingPolicyChange | null;
  bootstrapAdmins?: AccountId[];
  now: Timestamp;
  auditHead?: AuditHead | null;
}

export type PendingWrite = "keep" | "clear" | "set";
export type ChangeOutcome = "needsOrgAdmins" | "applied" | "proposed" | "approved" | "withdrawn";

export type PolicyChangeAnswer =
  | {
      ok: true;
      outcome: ChangeOutcome;
      /** For `needsOrgAdmins`: confirm these first; stop once the answer is no longer ORG_ADMINS_UNKNOWN. */
      confirmFirst?: AccountId[];
      /** Write it, on the condition that the stored version is unchanged. */
      policy?: PolicyState;
      pending: PendingWrite;
      change?: PendingPolicyChange;
      diff: PolicyDiff[];
      audit: AuditRecord[];
      auditHead: AuditHead;
    }
  | { ok: false; error: ErrorBody; problems?: PolicyProblem[]; pending?: PendingWrite; audit?: AuditRecord[]; auditHead?: AuditHead };
