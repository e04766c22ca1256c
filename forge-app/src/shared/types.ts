/**
 * The resolver contract, shared by the resolvers and the Custom UI (issue panel, admin page).
 * Core types (Grant, View, Policy, AuditRecord, ...) are the core's own, generated from its Rust types
 * (`../decision/contract.ts`); importing them here never pulls the Wasm module into the Custom UI.
 */
import type {
  AdminCall as CoreAdminCall,
  AdminViewer,
  AuditOutcome,
  AuditRecord,
  ErrorBody,
  Finding,
  FloorReport,
  Grant,
  GroupHolders,
  Holder,
  PendingPolicyChange,
  PendingStatus,
  Policy,
  PolicyProblem,
  Severity,
  View,
} from '../decision/contract';

export type {
  Access,
  Action,
  ActionOption,
  AdminViewer,
  PendingPolicyChange,
  PendingStatus,
  PolicyDiff,
  AuditRecord,
  ErrorBody,
  Finding,
  Grant,
  HealthCheck,
  HealthReport,
  HealthStatus,
  Holder,
  HolderReason,
  Policy,
  PolicyProblem,
  Target,
  TargetOption,
  View,
} from '../decision/contract';

/** Every resolver answers with this envelope. A refusal carries the core's stable code. */
export type Result<T> =
  | { ok: true; data: T }
  | { ok: false; error: ErrorBody; problems?: PolicyProblem[] };

/** The issue panel's resolver functions and their payloads (identity never comes from here). */
export interface PanelCalls {
  /** `timelineBefore`: the `timelineBefore` of an earlier answer, for the page of older records. */
  getView: { timelineBefore?: number };
  submitRequest: { target: string; start?: string; durationMinutes?: number; justification: string; subject?: string };
  approve: Record<string, never>;
  reject: { reason?: string };
  activate: Record<string, never>;
  complete: Record<string, never>;
  requestExtension: { minutes: number; justification: string };
  approveExtension: Record<string, never>;
  rejectExtension: { reason?: string };
  revoke: { reason?: string };
  cancel: Record<string, never>;
}

export type PanelCall = keyof PanelCalls;

/** What the panel shows: the core's view, the grant's history and the server's clock. */
export interface PanelData {
  issueKey: string;
  view: View;
  /** One page of the audit records of this issue's grant (the newest, unless asked), oldest first. */
  timeline: AuditRecord[];
  /** Pass as `getView {timelineBefore}` for the page of older records; absent on the oldest page. */
  timelineBefore?: number;
  /**
   * Refusals recorded once per period are counted beside the chain: `details.coalesceKey` of a
   * record → how many refusals that record stands for (itself included).
   */
  refusalCounts: Record<string, number>;
  /** Server time when the view was computed (the panel counts down from it). */
  now: string;
}

/** The admin page's resolver functions. */
export interface AdminCalls {
  getPolicy: Record<string, never>;
  /** Applies the policy, or (a guard-rail change) proposes it for a second permanent admin. */
  savePolicy: { policy: unknown; expectedVersion?: number };
  validatePolicy: { policy: unknown };
  listGrants: { scope?: 'open' | 'all'; limit?: number };
  getAudit: AuditQuery;
  exportAudit: AuditQuery & { format: 'csv' | 'json' };
  getDrift: Record<string, never>;
  getAlerts: { limit?: number };
  /** Either explicit bounds, or the last `rangeMinutes` up to the server's now. */
  getHoldings: { from?: string; to?: string; rangeMinutes?: number };
  /** Approves the pending guard-rail change named (another permanent admin than its proposer). */
  approvePolicyChange: { changeId: string };
  /** Withdraws the pending guard-rail change named (its proposer). */
  withdrawPolicyChange: { changeId: string };
  /** Runs the Health checks of the installation (the answer: the core's `HealthReport`). */
  getHealth: Record<string, never>;
}

export type AdminCall = keyof AdminCalls;

/** Compiles only when `T` is `true`. */
type Assert<T extends true> = T;
/** The admin page's calls are exactly the core's `AdminCall`s (it authorizes each): one missing on either side does not compile. */
export type AdminCallsAreTheCores = Assert<[AdminCall] extends [CoreAdminCall] ? ([CoreAdminCall] extends [AdminCall] ? true : false) : false>;

export interface PolicyData {
  policy: Policy | null;
  /** Incremented on every save; pass it back as `expectedVersion` to avoid overwriting a newer save. */
  version: number;
  problems: PolicyProblem[];
  updatedAt?: string;
  updatedBy?: string;
  /** Who approved the change in force, when it was a guard-rail change. */
  approvedBy?: string;
  /** The guard-rail change waiting for a second permanent admin, with its diff (the core's). */
  pendingChange?: PendingPolicyChange;
  /** Whether it can still be approved, and who may approve it (the core's). */
  pendingStatus?: PendingStatus;
  /** What the caller may do with the policy (the core's answer; the server checks again). */
  viewer: AdminViewer;
  /** For a save, approval or withdrawal: what became of it. */
  outcome?: 'applied' | 'proposed' | 'approved' | 'withdrawn';
}

export interface GrantList {
  grants: Grant[];
  /** Server time (the emulated clock in the playground); times remaining count from it. */
  now: string;
}

export interface HoldingsData {
  holdings: Holding[];
  /** Server time: still-held bars run to it. */
  now: string;
  from: string;
  to: string;
}

export interface AuditQuery {
  grantId?: string;
  actor?: string;
  event?: string;
  outcome?: AuditOutcome;
  /** RFC 3339 bounds. */
  from?: string;
  to?: string;
  /** Pagination: records before this seq (newest first). */
  beforeSeq?: number;
  limit?: number;
}

export interface AuditPage {
  records: AuditRecord[];
  /** Pass as `beforeSeq` for the next (older) page; absent on the last page. */
  nextBeforeSeq?: number;
  /** `details.coalesceKey` → how many refusals that record stands for (see PanelData). */
  refusalCounts: Record<string, number>;
  /**
   * The chain's verification, in bounded steps (`handlers/auditVerification.ts`): new records since
   * the last verified one, and a re-scan of a chunk of the older ones.
   */
  verification: {
    valid: boolean;
    /** Records checked by this call. */
    checked: number;
    firstBroken?: { index: number; seq: number; reason: string };
    /** Every record up to this seq has been verified. */
    verifiedThrough?: number;
    /** False while newer records remain for the next calls. */
    upToDate?: boolean;
    /** The older records re-checked by this call. */
    rescanned?: { from: number; to: number };
  };
}

export interface AuditExport {
  filename: string;
  contentType: 'text/csv' | 'application/json';
  content: string;
}

export interface DriftReport {
  /** When the last sweep ran. */
  at?: string;
  findings: Finding[];
  /** Every holder the last sweep read, with the core's reason they hold it (absent before the first sweep that gave one). */
  explained?: Holder[];
  floor?: FloorReport;
  holders: Array<{
    target: string;
    complete: boolean;
    externallySynced: boolean;
    holders: string[];
    /** Role targets: groups whose role gives their members the target (reported, never revoked). */
    viaGroups?: Array<GroupHolders & { accountIds: string[] }>;
    /** Accounts whose direct assignment is read in turn by later sweeps (large organisations). */
    unread?: number;
  }>;
}

export interface AlertRecord {
  key: string;
  at: string;
  severity: Severity;
  code: string;
  message: string;
  grantId?: string;
  issueKey?: string;
}

/**
 * One interval during which an account held a target: through a grant of the app, or standing
 * access seen by the last sweep (a permanent admin, a standing holder the policy allows, or drift),
 * so an auditor sees all standing access next to the just-in-time grants.
 */
export interface Holding {
  /** `grant` (through the app), `permanent`, `standing` (the policy's standing holders) or `drift`. */
  kind: 'grant' | 'permanent' | 'standing' | 'drift';
  /** Empty for standing access. */
  grantId: string;
  issueKey: string;
  target: string;
  targetLabel: string;
  accountId: string;
  /** For standing access: when the sweeps first saw it (drift), or the start of the range. */
  from: string;
  /** Absent while still held. */
  to?: string;
  breakGlass: boolean;
}
