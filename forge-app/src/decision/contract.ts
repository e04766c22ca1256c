// GENERATED from the Rust types of jit-admin-core (core/src/typescript.rs, ts-rs); do not edit.
// Regenerate: UPDATE_CONTRACT_TS=1 cargo test -p jit-admin-core --test contract_types
// The meaning of every field: core/CONTRACT.md. Answer envelopes: ./answers.ts.

/** An Atlassian account id (`5b10ac8d82e05b22cc7d4ef5`, `557058:f58131cb-…`). */
export type AccountId = string;

/**
 * An instant in UTC with millisecond precision.
 *
 * Inputs are RFC 3339 strings with an explicit offset (`Z` or `+02:00`); they are stored and
 * written back in UTC. Sub-millisecond digits are dropped on the way in so that a value always
 * serialises to the same text, which the audit chain's hashes depend on.
 */
export type Timestamp = string;

/**
 * An error as a plain value: `{code, message, path}`.
 */
export type ErrorBody = {
  /**
   * Stable code, e.g. `SAME_APPROVER`.
   */
  code: string,
  /**
   * Human-readable message.
   */
  message: string,
  /**
   * Offending input path, when there is one.
   */
  path?: string, };

/**
 * What a target grants, in the organizations API's own terms.
 */
export type Access = { "type": "orgRole",
  /**
   * Always `atlassian/org-admin`.
   */
  role: string, } | { "type": "resourceRole",
  /**
   * One of [`RESOURCE_ROLES`].
   */
  role: string,
  /**
   * The resource ARI, e.g. `ari:cloud:jira::site/1`.
   */
  resource: string, } | { "type": "groupMembership",
  /**
   * The group id.
   */
  groupId: string,
  /**
   * The group's name, for people.
   */
  groupName?: string, };

/**
 * A set of people, by account id and by group id.
 */
export type Principals = {
  /**
   * Individual accounts.
   */
  accountIds?: Array<string>,
  /**
   * Groups; the wrapper passes the actor's group ids with each event.
   */
  groupIds?: Array<string>, };

/**
 * Whether a justification is required and how long it must be.
 */
export type JustificationRule = {
  /**
   * Whether one is required.
   */
  required?: boolean,
  /**
   * Minimum length in characters, after trimming.
   */
  minLength?: number, };

/**
 * Something that can be elevated, and the rules for it.
 */
export type Target = {
  /**
   * Stable key, `[a-z0-9-_]`, used in requests and storage.
   */
  key: string,
  /**
   * Label for people.
   */
  label: string,
  /**
   * What is granted.
   */
  access: Access,
  /**
   * Who may request it.
   */
  requesters?: Principals,
  /**
   * Who may approve it.
   */
  approvers?: Principals,
  /**
   * Duration used when a request gives none.
   */
  defaultDurationMinutes?: number,
  /**
   * Longest duration one request may ask for.
   */
  maxDurationMinutes?: number,
  /**
   * Distinct approvals needed for a request, and again for each extension.
   */
  requiredApprovals?: number,
  /**
   * Most approved extensions per grant.
   */
  maxExtensions?: number,
  /**
   * Longest total window, extensions included. Defaults to the longest duration times
   * one plus the number of extensions.
   */
  maxTotalMinutes?: number,
  /**
   * How far ahead a start may be scheduled.
   */
  maxStartAheadMinutes?: number,
  /**
   * A request not approved this long after its requested start expires.
   */
  approvalDeadlineMinutes?: number,
  /**
   * Whether a justification is needed, and how long.
   */
  justification?: JustificationRule,
  /**
   * Accounts that may activate without approval; every such activation raises an alert.
   */
  breakGlass?: Array<string>,
  /**
   * Activate automatically at the window start instead of waiting for the requester.
   */
  autoActivate?: boolean,
  /**
   * Accounts allowed to hold this target permanently without being drift (integrations).
   */
  standingHolders?: Array<string>,
  /**
   * Most approvers mentioned by name (and so notified by Jira) when a request arrives and
   * when it is reminded about; the rest see it in their queue.
   */
  maxApproversNotified?: number,
  /**
   * Minutes before the approval deadline at which the approvers who have not approved yet
   * are reminded; 0 sends no reminder, and neither does a reminder that would fall before the
   * request arrived.
   */
  approvalReminderBeforeMinutes?: number,
  /**
   * Minutes before the window ends at which the requester is warned, with the way to ask
   * for more time; 0 sends no warning, and neither does a warning that would fall before the
   * activation (a window shorter than the warning).
   */
  windowEndWarningMinutes?: number, };

/**
 * A non-human account that its owners may elevate.
 */
export type ServiceAccount = {
  /**
   * The service account's id.
   */
  accountId: string,
  /**
   * A label for people.
   */
  label?: string,
  /**
   * Accounts that may request elevation of this service account.
   */
  owners: Array<string>, };

/**
 * What the sweep does with drift (admins who hold a target outside the app).
 */
export type DriftMode = "report" | "enforce";

/**
 * What the app collects from the organization's audit log when a grant ends.
 */
export type EvidenceSettings = {
  /**
   * Whether an ended grant that was activated gets an evidence pack.
   */
  enabled?: boolean,
  /**
   * Minutes after the confirmed revoke that the pack still covers (audit-log events of actions
   * started just before the revoke can carry a later time).
   */
  afterRevokeMinutes?: number,
  /**
   * Audit-log action ids that raise an alert when the elevated person did one; a trailing `*`
   * matches a prefix.
   */
  highRiskActions?: Array<string>, };

/**
 * The whole policy, as saved from the admin page.
 */
export type Policy = {
  /**
   * Accounts that keep their admin rights permanently. The app never revokes them.
   */
  permanentAdmins?: Array<string>,
  /**
   * The most permanent admins the policy may list.
   */
  maxPermanentAdmins?: number,
  /**
   * Org admins that must remain after any revocation the sweep plans (at least 1).
   */
  minOrgAdmins?: number,
  /**
   * What the sweep does about admins who hold rights outside the app.
   */
  driftMode?: DriftMode,
  /**
   * A Jira issue that receives a comment for every drift finding and break-glass alert.
   */
  alertIssueKey?: string,
  /**
   * Non-human accounts that may be elevated on an owner's request.
   */
  serviceAccounts?: Array<ServiceAccount>,
  /**
   * Everything that can be elevated.
   */
  targets?: Array<Target>,
  /**
   * The evidence pack: what each ended grant's holder did in the organization's audit log.
   */
  evidence?: EvidenceSettings, };

/**
 * A piece of a paragraph.
 */
export type Inline = { "type": "text",
  /**
   * The words.
   */
  text: string, } | { "type": "mention",
  /**
   * The account, always an id the core took from the platform or the policy.
   */
  accountId: string, };

/**
 * One block of a comment.
 */
export type CommentBlock = { "type": "paragraph",
  /**
   * Its pieces, in order.
   */
  content: Array<Inline>, } | { "type": "userText",
  /**
   * What the text is (`Justification`, `Reason`), in the app's words.
   */
  label: string,
  /**
   * The text as the person typed it, after cleaning (never empty).
   */
  text: string, };

/**
 * Why access is being revoked.
 */
export type RevokeReason = "completed" | "expired" | "revoked" | "cleanup" | "endedStillHeld" | "drift" | "ineligible";

/**
 * How bad an alert is.
 */
export type Severity = "info" | "warning" | "critical";

/**
 * Why an action failed, as reported by the wrapper.
 */
export type ActionError = {
  /**
   * Stable code from the adapter (`RATE_LIMITED`, `SCIM_SYNCED`, `UNVERIFIED`, …).
   */
  code: string,
  /**
   * What happened.
   */
  message: string,
  /**
   * Whether trying again may succeed. A retryable failure of a grant may have been applied.
   */
  retryable: boolean, };

/**
 * Something the wrapper executes. The same decision always yields the same keys, so a
 * duplicated delivery can be recognised and executed once.
 */
export type Action = { "type": "grant",
  /**
   * Idempotency key.
   */
  key: string,
  /**
   * The grant.
   */
  grantId: string,
  /**
   * The request issue.
   */
  issueKey: string,
  /**
   * What to grant.
   */
  access: Access,
  /**
   * To whom.
   */
  accountId: string,
  /**
   * 1-based attempt number.
   */
  attempt: number, } | { "type": "revoke",
  /**
   * Idempotency key.
   */
  key: string,
  /**
   * The grant, when the revoke ends one (none for drift).
   */
  grantId?: string,
  /**
   * The request issue, when there is one.
   */
  issueKey?: string,
  /**
   * The policy target key.
   */
  target: string,
  /**
   * What to revoke.
   */
  access: Access,
  /**
   * From whom.
   */
  accountId: string,
  /**
   * Why.
   */
  reason: RevokeReason,
  /**
   * 1-based attempt number.
   */
  attempt: number, } | { "type": "comment",
  /**
   * Idempotency key.
   */
  key: string,
  /**
   * The issue.
   */
  issueKey: string,
  /**
   * The blocks, in order.
   */
  body: Array<CommentBlock>, } | { "type": "wake",
  /**
   * Idempotency key.
   */
  key: string,
  /**
   * The grant.
   */
  grantId: string,
  /**
   * When.
   */
  at: Timestamp, } | { "type": "alert",
  /**
   * Idempotency key (alerts about a lasting condition repeat at most daily).
   */
  key: string,
  /**
   * How bad.
   */
  severity: Severity,
  /**
   * Stable code, e.g. `DRIFT`, `BREAK_GLASS`, `ADMIN_FLOOR`.
   */
  code: string,
  /**
   * What happened.
   */
  message: string,
  /**
   * The grant, if any.
   */
  grantId?: string,
  /**
   * The issue, if any.
   */
  issueKey?: string, } | { "type": "collectEvidence",
  /**
   * Idempotency key, `{grantId}:evidence` (one pack per grant).
   */
  key: string,
  /**
   * The grant.
   */
  grantId: string,
  /**
   * The request issue, which receives the pack.
   */
  issueKey: string,
  /**
   * Whose events: the grant's subject.
   */
  accountId: string,
  /**
   * The activation.
   */
  from: Timestamp,
  /**
   * The confirmed revoke plus the policy's `evidence.afterRevokeMinutes`.
   */
  to: Timestamp,
  /**
   * When to start reading: `to` plus the time the audit log takes to show an event.
   */
  at: Timestamp, };

/**
 * The lifecycle: requested → approved → active → ended.
 */
export type Status = "requested" | "approved" | "active" | "ended";

/**
 * How a grant ended.
 */
export type Outcome = "completed" | "expired" | "revoked" | "rejected" | "cancelled" | "failed" | "ineligible" | "unapproved";

/**
 * Where the access stands in the organization.
 */
export type AccessState = "notGranted" | "granting" | "granted" | "revoking" | "revoked" | "retained";

/**
 * Where an extension stands.
 */
export type ExtensionStatus = "pending" | "approved" | "rejected" | "lapsed";

/**
 * One approval.
 */
export type Approval = {
  /**
   * The approver.
   */
  approver: string,
  /**
   * When.
   */
  at: Timestamp, };

/**
 * The approved window `[start, end)`.
 *
 * It is fixed at approval: it starts at the later of the requested start and the approval time,
 * so time spent waiting for approval does not eat into it, and lasts the requested duration.
 * Only an approved extension moves its end; a late activation does not.
 */
export type Window = {
  /**
   * First instant the access may be held.
   */
  start: Timestamp,
  /**
   * The instant the access must be gone.
   */
  end: Timestamp, };

/**
 * The activation.
 */
export type Activation = {
  /**
   * When.
   */
  at: Timestamp,
  /**
   * Who (`system` for automatic activation).
   */
  by: string,
  /**
   * Activated without approval by a break-glass account.
   */
  breakGlass?: boolean, };

/**
 * How a grant ended.
 */
export type Ending = {
  /**
   * When.
   */
  at: Timestamp,
  /**
   * Who (`system` for expiry).
   */
  by: string,
  /**
   * A reason given by the person, if any.
   */
  reason?: string, };

/**
 * An extension of an active grant.
 */
export type Extension = {
  /**
   * 1-based number within the grant.
   */
  number: number,
  /**
   * When asked.
   */
  requestedAt: Timestamp,
  /**
   * Minutes added to the window end on approval.
   */
  minutes: number,
  /**
   * Why.
   */
  justification: string,
  /**
   * Where it stands.
   */
  status: ExtensionStatus,
  /**
   * Its approvals.
   */
  approvals?: Array<Approval>,
  /**
   * When it was decided (approved, rejected or lapsed).
   */
  decidedAt?: Timestamp,
  /**
   * Who rejected it, if rejected.
   */
  rejectedBy?: string, };

/**
 * What a pending action does.
 */
export type PendingKind = "grant" | "revoke";

/**
 * A grant or revoke action waiting for its result.
 */
export type PendingAction = {
  /**
   * The action's idempotency key; only a result with this key counts.
   */
  key: string,
  /**
   * Grant or revoke.
   */
  kind: PendingKind,
  /**
   * When it was issued.
   */
  issuedAt: Timestamp,
  /**
   * When to issue it again if no success has arrived by then.
   */
  retryAt: Timestamp, };

/**
 * The state of the access in the organization.
 */
export type Provisioning = {
  /**
   * Where the access stands.
   */
  state: AccessState,
  /**
   * The grant or revoke action waiting for its result.
   */
  pending?: PendingAction,
  /**
   * When the grant was confirmed.
   */
  grantedAt?: Timestamp,
  /**
   * When the revoke was confirmed (read back).
   */
  revokedAt?: Timestamp,
  /**
   * Revoke attempts so far.
   */
  revokeAttempts?: number,
  /**
   * Grant attempts so far.
   */
  grantAttempts?: number,
  /**
   * The last failure reported by an action result.
   */
  lastError?: ActionError,
  /**
   * Keys of grant actions whose success has been recorded. Any attempt's success means the
   * access landed, even when a later attempt or a revoke superseded it; the list makes a
   * duplicated report count once.
   */
  landedGrants?: Array<string>, };

/**
 * When a grant's reminder and warning are due, and what was sent.
 */
export type Notices = {
  /**
   * When the approvers who have not approved are reminded; none when the policy asks for
   * no reminder or it would fall before the request arrived.
   */
  approvalReminderAt?: Timestamp,
  /**
   * When the reminder went out.
   */
  approvalRemindedAt?: Timestamp,
  /**
   * Minutes before the window end at which the requester is warned (0: never).
   */
  windowEndWarningMinutes?: number,
  /**
   * The window end the requester was last warned about; an approved extension moves the
   * end, and the warning is due again for the new one.
   */
  warnedWindowEnd?: Timestamp, };

/**
 * The whole record of one request, from submission until its access is confirmed removed.
 */
export type Grant = {
  /**
   * Shape version, [`GRANT_SCHEMA`].
   */
  schema: number,
  /**
   * Grant id, chosen by the wrapper (unique per installation).
   */
  id: string,
  /**
   * The Jira request issue.
   */
  issueKey: string,
  /**
   * Incremented on every change; storage uses it for conditional writes.
   */
  version: number,
  /**
   * The policy target key.
   */
  target: string,
  /**
   * The target's label when requested.
   */
  targetLabel: string,
  /**
   * What is granted, copied from the policy at submission so a later policy edit can never
   * stop a revocation.
   */
  access: Access,
  /**
   * Who asked.
   */
  requester: string,
  /**
   * Who receives the access: the requester, or a service account they own.
   */
  subject: string,
  /**
   * Why.
   */
  justification: string,
  /**
   * When the request was submitted.
   */
  requestedAt: Timestamp,
  /**
   * The start the requester asked for.
   */
  requestedStart: Timestamp,
  /**
   * Minutes asked for.
   */
  durationMinutes: number,
  /**
   * After this, an unapproved request expires.
   */
  approvalDeadline: Timestamp,
  /**
   * Distinct approvals needed, copied from the policy at submission.
   */
  requiredApprovals: number,
  /**
   * Whether to activate at the window start without a click.
   */
  autoActivate?: boolean,
  /**
   * Where the grant is in its lifecycle.
   */
  status: Status,
  /**
   * How it ended, once ended.
   */
  outcome?: Outcome,
  /**
   * Approvals of the request, in order.
   */
  approvals?: Array<Approval>,
  /**
   * The approved window, fixed at approval.
   */
  window?: Window,
  /**
   * The activation, once activated.
   */
  activation?: Activation,
  /**
   * Extensions asked for, in order; at most the last one is pending.
   */
  extensions?: Array<Extension>,
  /**
   * Who ended it, when and why.
   */
  ending?: Ending,
  /**
   * The state of the access in the organization, as confirmed by action results.
   */
  provisioning: Provisioning,
  /**
   * The next time this grant needs attention, as last scheduled.
   */
  wakeAt?: Timestamp,
  /**
   * The approval reminder and the end-of-window warning: when they are due and which went
   * out. Fixed at submission from the policy, like the deadline; absent on grants stored
   * before there were notices, which then get none.
   */
  notices?: Notices, };

/**
 * An event for `decide`: everything that can happen to a grant.
 */
export type Event =
  | { "type": "submit", grantId: string, issueKey: string, target: string, subject?: AccountId | null, start?: string | null, durationMinutes?: number, justification?: string }
  | { "type": "approve" }
  | { "type": "reject", reason?: string | null }
  | { "type": "cancel" }
  | { "type": "activate" }
  | { "type": "complete" }
  | { "type": "revoke", reason?: string | null }
  | { "type": "requestExtension", minutes: number, justification?: string }
  | { "type": "approveExtension" }
  | { "type": "rejectExtension", reason?: string | null }
  | { "type": "tick" }
  | { "type": "policyCheck" }
  | { "type": "actionSucceeded", action: Action }
  | { "type": "actionFailed", action: Action, error: ActionError };

/**
 * What an audit record is about, written as its name (`AUDIT_EVENTS` lists them).
 */
export type AuditEvent =
  | "submitRequest"
  | "approve"
  | "reject"
  | "cancel"
  | "activate"
  | "complete"
  | "revoke"
  | "expire"
  | "requestExtension"
  | "approveExtension"
  | "rejectExtension"
  | "accessGranted"
  | "accessRevoked"
  | "grantFailed"
  | "revokeFailed"
  | "retryGrant"
  | "retryRevoke"
  | "revocationSkipped"
  | "lateGrant"
  | "cleanup"
  | "endedByPolicy"
  | "sweep"
  | "policyChange"
  | "proposePolicyChange"
  | "approvePolicyChange"
  | "withdrawPolicyChange"
  | "tick"
  | "policyCheck"
  | "actionSucceeded"
  | "actionFailed"
  | "evidenceCollected"
  | "approvalReminder"
  | "windowEndWarning";

/**
 * Whether the event was accepted.
 */
export type AuditOutcome = "accepted" | "refused" | "noted";

/**
 * What happened, before it is placed in the chain.
 */
export type AuditEntry = {
  /**
   * When.
   */
  at: Timestamp,
  /**
   * Who: an account id, or `system`.
   */
  actor: string,
  /**
   * The event (`approve`, `activate`, `sweep`, …), written as its name.
   */
  event: AuditEvent,
  /**
   * `accepted`, `refused` or `noted`.
   */
  outcome: AuditOutcome,
  /**
   * The grant, if any.
   */
  grantId?: string,
  /**
   * The request issue, if any.
   */
  issueKey?: string,
  /**
   * The policy target, if any.
   */
  target?: string,
  /**
   * Facts specific to the event (state reached, window, error code, …).
   */
  details?: Record<string, unknown>, };

/**
 * A chained audit record.
 */
export type AuditRecord = {
  /**
   * Position in the chain, from 1.
   */
  seq: number,
  /**
   * The previous record's hash ([`GENESIS_HASH`] for the first).
   */
  prevHash: string,
  /**
   * SHA-256 (hex) of this record without this field.
   */
  hash: string,
  /**
   * How `hash` was computed: [`HASH_VERSION`] on every record the core writes; absent on
   * records written before it ([`LEGACY_HASH_VERSION`]). It is itself hashed, so a record
   * cannot be passed off as the older form.
   */
  hashVersion?: number | null,
  /**
   * When.
   */
  at: Timestamp,
  /**
   * Who: an account id, or `system`.
   */
  actor: string,
  /**
   * The event (`approve`, `activate`, `sweep`, …), written as its name.
   */
  event: AuditEvent,
  /**
   * `accepted`, `refused` or `noted`.
   */
  outcome: AuditOutcome,
  /**
   * The grant, if any.
   */
  grantId?: string,
  /**
   * The request issue, if any.
   */
  issueKey?: string,
  /**
   * The policy target, if any.
   */
  target?: string,
  /**
   * Facts specific to the event (state reached, window, error code, …).
   */
  details?: Record<string, unknown>, };

/**
 * The end of a chain: where the next record attaches.
 */
export type AuditHead = {
  /**
   * The last record's `seq` (0 for an empty chain).
   */
  seq: number,
  /**
   * The last record's hash.
   */
  hash: string, };

/**
 * The result of verifying a chain.
 */
export type Verification = {
  /**
   * Whether every link holds.
   */
  valid: boolean,
  /**
   * How many records were checked.
   */
  checked: number,
  /**
   * The first broken link, if any.
   */
  firstBroken?: BrokenLink,
  /**
   * The head of the verified prefix.
   */
  head: AuditHead, };

/**
 * Where and why a chain breaks.
 */
export type BrokenLink = {
  /**
   * Index in the given list.
   */
  index: number,
  /**
   * The record's claimed seq.
   */
  seq: number,
  /**
   * What is wrong.
   */
  reason: string, };

/**
 * The person behind an event, as the platform identified them.
 *
 * The account id comes from the Forge context or the transition's `atlassianId`, never from a
 * request payload; the group ids are looked up by the wrapper, never by the core.
 */
export type Actor = {
  /**
   * The actor's account id.
   */
  accountId: string,
  /**
   * The ids of the groups the actor belongs to.
   */
  groupIds?: Array<string>, };

/**
 * Where an event came from.
 */
export type Source = "panel" | "workflow" | "system" | "portal";

/**
 * An open grant, as far as the duplicate check needs to know it.
 */
export type OpenGrant = {
  /**
   * Grant id.
   */
  id: string,
  /**
   * Who holds or will hold the access.
   */
  subject: string,
  /**
   * Policy target key.
   */
  target: string, };

/**
 * How many refusals with one coalescing key the wrapper has counted in their period.
 */
export type RefusalTally = {
  /**
   * The key, as a refused answer's `coalesce.key` gave it.
   */
  key: string,
  /**
   * Refusals counted under it so far (the recorded one included).
   */
  count: number, };

/**
 * Facts the wrapper looked up for this event.
 */
export type Context = {
  /**
   * Open grants (not finished) that involve the same subject, for the duplicate check on submit.
   */
  openGrants?: Array<OpenGrant>,
  /**
   * The grant's requester as the platform knows them now (account id and groups), for the
   * rules that re-check the requester's eligibility when someone else acts: approvals,
   * automatic activation and `policyCheck`. Absent (the lookup failed): eligibility is judged
   * on account ids alone, and one that rests on groups counts as unknown — approvals are
   * refused with `ELIGIBILITY_UNKNOWN`, automatic activation waits, `policyCheck` ends nothing.
   */
  requester?: Actor | null,
  /**
   * Refusals already recorded in the current period, as the wrapper counted them (by the
   * `coalesce.key` of earlier refused answers). A refusal whose key is here is counted, not
   * recorded again: no audit record, no comment.
   */
  refusals?: Array<RefusalTally>, };

/**
 * Everything `decide` needs. The caller loads it; the core never looks anything up.
 */
export type DecideInput = {
  /**
   * The current policy.
   */
  policy: Policy,
  /**
   * The grant as stored, or none before a request exists.
   */
  grant?: Grant | null,
  /**
   * What happened.
   */
  event: Event,
  /**
   * Who did it; required for every event a person causes.
   */
  actor?: Actor | null,
  /**
   * The current time, RFC 3339 with an offset.
   */
  now: Timestamp,
  /**
   * Where new audit records attach; the genesis when absent.
   */
  auditHead?: AuditHead | null,
  /**
   * Where the event came from; refusals of workflow transitions are commented on the issue.
   */
  source?: Source,
  /**
   * Facts the wrapper looked up for this event.
   */
  context?: Context, };

/**
 * How a refusal that is worth keeping (audited, or commented on the issue) counts: the first of
 * its period is recorded, the rest are only counted, so repeated refusals cannot flood the audit
 * trail, the grant's timeline or the issue.
 */
export type Coalesce = {
  /**
   * Who was refused what, on which grant, why, and in which hour (UTC):
   * `refused:{grant or issue}:{actor}:{event}:{code}:{YYYY-MM-DDTHH}`.
   */
  key: string,
  /**
   * Whether this refusal's audit record and comment are in the answer (the first of its
   * period): the wrapper then starts the count at 1; otherwise it adds 1 to it.
   */
  recorded: boolean,
  /**
   * Refusals under this key in the period, this one included.
   */
  count: number, };

/**
 * An accepted event.
 */
export type Decision = {
  /**
   * Whether anything changed. A duplicate delivery changes nothing and yields nothing.
   */
  changed: boolean,
  /**
   * The grant to store (unchanged when `changed` is false).
   */
  grant: Grant | null,
  /**
   * What to execute, in order.
   */
  actions: Array<Action>,
  /**
   * Records to append to the audit chain.
   */
  audit: Array<AuditRecord>,
  /**
   * The chain's head after those records.
   */
  auditHead: AuditHead, };

/**
 * What a refused `decide` still carries: the audit record of the refusal and its comment.
 */
export type RefusalExtras = { actions: Array<Action>, audit: Array<AuditRecord>, auditHead: AuditHead, coalesce?: Coalesce, };

/**
 * Jira's three status categories (`statusCategory.key`).
 */
export type StatusCategory = "new" | "indeterminate" | "done";

/**
 * Everything `gate` needs.
 */
export type GateInput = {
  /**
   * The current policy.
   */
  policy: Policy,
  /**
   * The grant on the issue, if any.
   */
  grant?: Grant | null,
  /**
   * The current time.
   */
  now: Timestamp,
  /**
   * The issue's status category as Jira reports it, when the caller read it (the sweep).
   */
  statusCategory?: StatusCategory, };

/**
 * Who may take one event now.
 */
export type GateEntry = {
  /**
   * Accounts that may, by themselves.
   */
  accounts: Array<string>,
  /**
   * Whether any account not named in the policy or the grant may (no rule allows this today).
   */
  anyone: boolean,
  /**
   * Groups whose members may (unless listed in `deny`).
   */
  groupIds: Array<string>,
  /**
   * Accounts named in the policy or the grant that are refused with a reason of their own, or
   * although a group would let them through: account → the reason that account is told.
   */
  deny: { [key in string]: string },
  /**
   * What everybody else is told.
   */
  reason: string, };

/**
 * The events a workflow transition can carry, each with who may take it now.
 */
export type Gate = {
  /**
   * Approve the request.
   */
  approve: GateEntry,
  /**
   * Reject the request.
   */
  reject: GateEntry,
  /**
   * Mark the work done (ends an active grant).
   */
  complete: GateEntry,
  /**
   * End the grant early.
   */
  revoke: GateEntry,
  /**
   * Approve the pending extension.
   */
  approveExtension: GateEntry, };

/**
 * The issue's status says something the grant does not.
 */
export type Divergence = {
  /**
   * Stable code: `STATUS_AHEAD_OF_GRANT`.
   */
  code: string,
  /**
   * How bad.
   */
  severity: Severity,
  /**
   * What disagrees, for people.
   */
  message: string, };

/**
 * The gate, and what to do about a divergence.
 */
export type GateOutcome = {
  /**
   * Who may take each transition event now.
   */
  gate: Gate,
  /**
   * Set when `status_category` was given and disagrees with the grant.
   */
  divergence?: Divergence,
  /**
   * An alert and a comment about the divergence, keyed so that one divergence is reported
   * once per grant version.
   */
  actions: Array<Action>, };

/**
 * Everything `view` needs.
 */
export type ViewInput = {
  /**
   * The current policy.
   */
  policy: Policy,
  /**
   * The grant on this issue, if any.
   */
  grant?: Grant | null,
  /**
   * Who is looking.
   */
  viewer: Actor,
  /**
   * The current time.
   */
  now: Timestamp,
  /**
   * The grant's requester as the platform knows them now, with their groups, when the viewer
   * is someone else: the buttons that re-check the requester's eligibility (approvals) are
   * judged as `decide` will judge them. Absent: judged as `decide` judges without it.
   */
  requester?: Actor | null, };

/**
 * The viewer's relation to the grant.
 */
export type ViewerRoles = {
  /**
   * The viewer.
   */
  accountId: string,
  /**
   * Asked for this grant.
   */
  isRequester: boolean,
  /**
   * May approve this grant's target.
   */
  isApprover: boolean,
  /**
   * A permanent admin.
   */
  isPermanentAdmin: boolean, };

/**
 * A grant with the figures the panel shows.
 */
export type GrantView = {
  /**
   * The stored grant.
   */
  grant: Grant,
  /**
   * The state in words.
   */
  state: string,
  /**
   * Seconds until the window ends (0 when over or not yet approved).
   */
  secondsRemaining: number,
  /**
   * Seconds until the window starts (0 when started).
   */
  secondsUntilStart: number,
  /**
   * Whether the access is confirmed gone (or was never granted) and the grant is over.
   */
  finished: boolean, };

/**
 * One action and whether the viewer may take it.
 */
export type ActionOption = {
  /**
   * The resolver call: `approve`, `activate`, …
   */
  action: ActionName,
  /**
   * Whether the viewer may take it now.
   */
  allowed: boolean,
  /**
   * Why not, when not allowed.
   */
  reason?: ErrorBody, };

/**
 * A target the viewer may request, with the limits the form needs.
 */
export type TargetOption = {
  /**
   * Target key.
   */
  key: string,
  /**
   * Label.
   */
  label: string,
  /**
   * What it grants, in words.
   */
  description: string,
  /**
   * Default minutes.
   */
  defaultDurationMinutes: number,
  /**
   * Most minutes.
   */
  maxDurationMinutes: number,
  /**
   * Furthest start ahead, minutes.
   */
  maxStartAheadMinutes: number,
  /**
   * Whether a justification is required.
   */
  justificationRequired: boolean,
  /**
   * Its minimum length.
   */
  justificationMinLength: number,
  /**
   * Service accounts the viewer may elevate instead of themselves.
   */
  serviceAccounts: Array<ServiceAccount>,
  /**
   * Whether the viewer may break glass on this target.
   */
  breakGlass: boolean, };

/**
 * What the viewer sees.
 */
export type View = {
  /**
   * The viewer and their relation to the grant.
   */
  viewer: ViewerRoles,
  /**
   * The grant, with derived figures, if there is one.
   */
  grant?: GrantView,
  /**
   * Every action, whether this viewer may take it now, and why not.
   */
  actions: Array<ActionOption>,
  /**
   * Targets the viewer may request (for the request form), when a request can be made here.
   */
  requestable: Array<TargetOption>, };

/**
 * Members of a group that holds a target's role.
 */
export type GroupHolders = {
  /**
   * The group's id.
   */
  groupId: string,
  /**
   * The group's name, for people.
   */
  groupName?: string,
  /**
   * Its members.
   */
  accountIds?: Array<string>, };

/**
 * The holders of one target.
 */
export type TargetHolders = {
  /**
   * The policy target key.
   */
  target: string,
  /**
   * False when this target's read failed or was cut short.
   */
  complete: boolean,
  /**
   * A group synced from an identity provider: reported, never modified.
   */
  externallySynced?: boolean,
  /**
   * The access that was read, for an access the policy no longer lists under `target` (the
   * target was removed, or now grants something else): the sweep watches those, from the
   * grants' own copies, until no holder the app gave it to is left. Absent: the access the
   * policy's target grants (and, for a removed target, the one its grants copied).
   */
  access?: Access,
  /**
   * Accounts that hold it directly.
   */
  holders?: Array<string>,
  /**
   * Role targets: groups whose role gives their members this target (`group_direct` in the
   * organizations API). Their members are reported, never revoked: the app never changes a
   * group's roles or members for this. They do not count as holders, and so (for the org-admin
   * target) not toward the admin floor either: a group can lose its members or its role at any
   * time without the app knowing, so the floor counts only direct org admins, a lower bound.
   */
  viaGroups?: Array<GroupHolders>, };

/**
 * Who holds each target, as read from the organization.
 */
export type HolderSnapshot = {
  /**
   * False when the read failed anywhere; the sweep then revokes nobody.
   */
  complete: boolean,
  /**
   * Holders per target.
   */
  targets?: Array<TargetHolders>, };

/**
 * Why an account holds an access.
 */
export type HolderReason = { "type": "permanent", } | { "type": "standing", } | { "type": "grant",
  /**
   * The grant.
   */
  grantId: string,
  /**
   * Its request issue.
   */
  issueKey: string,
  /**
   * The end of its window, once approved.
   */
  until?: Timestamp, } | { "type": "grace",
  /**
   * When the grace period ends.
   */
  until?: Timestamp, } | { "type": "endedStillHeld",
  /**
   * The ended grant that should have removed it.
   */
  grantId: string, } | { "type": "drift", } | { "type": "viaGroup",
  /**
   * The group.
   */
  groupId: string,
  /**
   * Its name, when known.
   */
  groupName?: string, };

/**
 * One holder of a watched access and why they hold it.
 */
export type Holder = {
  /**
   * The policy target key (for an access the policy no longer lists, the key its grants had).
   */
  target: string,
  /**
   * The holder.
   */
  accountId: string,
  /**
   * Why they hold it.
   */
  reason: HolderReason, };

/**
 * Input of `explainHolders`: the sweep's picture of who holds what, without its history.
 */
export type HoldersInput = {
  /**
   * The current policy.
   */
  policy: Policy,
  /**
   * The grants that may matter: open ones and recently ended ones.
   */
  grants?: Array<Grant>,
  /**
   * Who holds each target, as read from the organization.
   */
  snapshot: HolderSnapshot,
  /**
   * The current time.
   */
  now: Timestamp,
  /**
   * Accounts an approved policy change dropped from the permanent admins (stored with the
   * policy).
   */
  formerPermanentAdmins?: Array<FormerPermanentAdmin>, };

/**
 * The answer of `explainHolders`.
 */
export type HoldersExplained = {
  /**
   * Every holder of every watched access that was read, with why.
   */
  holders: Array<Holder>, };

/**
 * Why a holder is unexpected.
 */
export type FindingKind = "endedStillHeld" | "drift" | "viaGroup";

/**
 * What the sweep does about a finding.
 */
export type Disposition = "revoke" | "report" | "keptForFloor" | "keptIncomplete" | "externallyManaged" | "keptNoPermanentAdmin" | "reportGroup" | "keptGrace";

/**
 * One holder the app did not expect.
 */
export type Finding = {
  /**
   * The policy target key.
   */
  target: string,
  /**
   * The holder.
   */
  accountId: string,
  /**
   * Why it is unexpected.
   */
  kind: FindingKind,
  /**
   * What the sweep does about it.
   */
  disposition: Disposition,
  /**
   * The ended grant that should have removed it, for `endedStillHeld`.
   */
  grantId?: string,
  /**
   * The group whose role gives the access, for `viaGroup`.
   */
  groupId?: string,
  /**
   * That group's name, when known.
   */
  groupName?: string,
  /**
   * When the sweeps first saw this holding without a break: one incident, one alert (repeated
   * daily), however many sweeps see it; a holding that goes and comes back is a new incident.
   */
  since: Timestamp,
  /**
   * For `keptGrace`: when the grace period of a dropped permanent admin ends.
   */
  graceUntil?: Timestamp, };

/**
 * The org admin count against the floor.
 */
export type FloorReport = {
  /**
   * Org admins now.
   */
  orgAdmins: number,
  /**
   * Org admins after the planned revocations.
   */
  after: number,
  /**
   * The policy's minimum.
   */
  min: number, };

/**
 * An account an approved change dropped from the permanent admins, and when.
 */
export type FormerPermanentAdmin = {
  /**
   * The account.
   */
  accountId: string,
  /**
   * When the change that dropped it took effect.
   */
  removedAt: Timestamp, };

/**
 * Everything the sweep needs.
 */
export type SweepInput = {
  /**
   * The current policy.
   */
  policy: Policy,
  /**
   * Every grant the app knows that may matter: open ones and recently ended ones.
   */
  grants?: Array<Grant>,
  /**
   * Who holds each target right now, as read from the organization.
   */
  snapshot: HolderSnapshot,
  /**
   * The current time.
   */
  now: Timestamp,
  /**
   * Where new audit records attach.
   */
  auditHead?: AuditHead | null,
  /**
   * The fingerprint of the previous sweep's findings; an unchanged picture is not re-audited.
   */
  previousFingerprint?: string | null,
  /**
   * The previous sweep's findings, so a lasting incident keeps its start (`since`).
   */
  previousFindings?: Array<Finding>,
  /**
   * The requesters of the open grants as the platform knows them now, with their groups, so
   * the sweep can tell which grants the current policy no longer allows. A requester left
   * out (the lookup failed) is judged on account ids alone; one eligible only through groups
   * then counts as unknown, and their grants are left alone.
   */
  requesters?: Array<Actor>,
  /**
   * Accounts an approved policy change dropped from the permanent admins (stored with the
   * policy): while their grace period runs they are reported, never revoked.
   */
  formerPermanentAdmins?: Array<FormerPermanentAdmin>, };

/**
 * What the sweep found and decided.
 */
export type SweepOutcome = {
  /**
   * What to execute.
   */
  actions: Array<Action>,
  /**
   * Grants that need a `tick` now (a deadline, window end or retry is due).
   */
  due: Array<string>,
  /**
   * Open grants the current policy no longer allows (requester no longer eligible, target
   * removed or changed, service account no longer owned): send each a `policyCheck`.
   */
  ineligible: Array<string>,
  /**
   * Every holder who is neither permanent, standing nor covered by a grant.
   */
  findings: Array<Finding>,
  /**
   * Every holder of every watched access that was read, and why they hold it (the same
   * explanations `explainHolders` gives).
   */
  holders: Array<Holder>,
  /**
   * The org admin count and floor, when it could be read.
   */
  floor?: FloorReport,
  /**
   * A hash of the findings, to pass back as `previousFingerprint` next time.
   */
  fingerprint: string,
  /**
   * Records to append.
   */
  audit: Array<AuditRecord>,
  /**
   * The chain's head after those records.
   */
  auditHead: AuditHead, };

/**
 * Input of `guard_revocation`: a revoke about to be executed and a fresh read of the org admins.
 */
export type GuardInput = {
  /**
   * The current policy.
   */
  policy: Policy,
  /**
   * The revoke action about to be executed.
   */
  action: Action,
  /**
   * Who holds the org admin role right now; needed only when the action revokes it. An
   * incomplete read still counts: the admins it confirms are a lower bound.
   */
  orgAdmins?: TargetHolders | null,
  /**
   * The grants of the account for the action's target, read just now: a sweep's revoke
   * decided minutes ago must not remove access that a grant has given since.
   */
  grants?: Array<Grant>, };

/**
 * Whether a revoke may go ahead.
 */
export type GuardOutcome = {
  /**
   * Whether to execute it.
   */
  allowed: boolean,
  /**
   * Why not: a stable code (`ADMIN_FLOOR`, `PERMANENT_ADMIN`, `HOLDERS_UNKNOWN`,
   * `COVERED_BY_GRANT`) and a message.
   */
  reason?: ErrorBody,
  /**
   * The revoke is no longer wanted (a grant covers the access now): drop it, do not retry.
   */
  obsolete?: boolean, };

/**
 * One problem in a policy.
 */
export type PolicyProblem = {
  /**
   * Dotted path with indexes, e.g. `targets[0].maxDurationMinutes`.
   */
  path: string,
  /**
   * Stable code.
   */
  code: string,
  /**
   * What is wrong.
   */
  message: string, };

/**
 * Input of `validatePolicy`.
 */
export type ValidateInput = {
  /**
   * The policy to check: anything (a draft as typed); what cannot be read as a policy is
   * answered as problems, like any other.
   */
  policy: unknown, };

/**
 * The answer to `validatePolicy`.
 */
export type Validity = {
  /**
   * Whether the policy is valid.
   */
  valid: boolean,
  /**
   * Every problem, each at its path.
   */
  problems: Array<PolicyProblem>, };

/**
 * Input of `verifyAudit`.
 */
export type VerifyInput = {
  /**
   * Records in chain order.
   */
  records: Array<AuditRecord>,
  /**
   * The head the first record continues from; the genesis when absent.
   */
  anchor?: AuditHead | null,
  /**
   * The head the store says the chain ends at: records cut from the end show as a mismatch.
   */
  expectedHead?: AuditHead | null, };

/**
 * Versions, as `version()` reports them.
 */
export type VersionInfo = {
  /**
   * The crate version.
   */
  core: string,
  /**
   * The contract version.
   */
  contract: number, };

/**
 * The admin page's resolver calls.
 */
export type AdminCall = "getPolicy" | "validatePolicy" | "listGrants" | "getAudit" | "exportAudit" | "getDrift" | "getAlerts" | "getHoldings" | "savePolicy" | "approvePolicyChange" | "withdrawPolicyChange" | "getHealth";

/**
 * The policy as stored, with the facts its changes need.
 */
export type PolicyState = {
  /**
   * The policy in force.
   */
  policy: Policy,
  /**
   * Bumped by every change.
   */
  version: number,
  /**
   * When it took effect.
   */
  updatedAt: Timestamp,
  /**
   * Who saved it (the proposer, for an approved change).
   */
  updatedBy: string,
  /**
   * Who approved it, for a guard-rail change.
   */
  approvedBy?: string,
  /**
   * Accounts recently dropped from the permanent admins (see [`GRACE_DAYS`]).
   */
  formerPermanentAdmins?: Array<FormerPermanentAdmin>, };

/**
 * One changed setting.
 */
export type PolicyDiff = {
  /**
   * `minOrgAdmins`, `targets.org-admin` (added or removed), `targets.org-admin.approvers`.
   */
  path: string,
  /**
   * Whether it is a guard rail.
   */
  guardRail: boolean,
  /**
   * The value before (`null`: absent).
   */
  before?: unknown,
  /**
   * The value after (`null`: absent).
   */
  after?: unknown, };

/**
 * A guard-rail change waiting for its second permanent admin.
 */
export type PendingPolicyChange = {
  /**
   * Names this proposal (approve and withdraw name it, so a click never acts on another one).
   */
  id: string,
  /**
   * The permanent admin who proposed it.
   */
  proposer: string,
  /**
   * When.
   */
  proposedAt: Timestamp,
  /**
   * After this it can no longer be approved.
   */
  expiresAt: Timestamp,
  /**
   * The policy version it changes; a policy saved since makes it stale.
   */
  baseVersion: number,
  /**
   * The proposed policy.
   */
  policy: Policy,
  /**
   * What it changes, against the base version.
   */
  diff: Array<PolicyDiff>, };

/**
 * The org admins as just read from the organizations API.
 */
export type OrgAdminsRead = {
  /**
   * False when the read failed or stopped early: `holders` is then a lower bound.
   */
  complete: boolean,
  /**
   * Accounts confirmed to hold the org admin role.
   */
  holders?: Array<string>, };

/**
 * Input of [`authorize_admin`].
 */
export type AdminAccessInput = {
  /**
   * The call.
   */
  call: AdminCall,
  /**
   * The caller (the platform's account id).
   */
  actor: string,
  /**
   * Whether the caller holds Jira's `ADMINISTER`, asked of Jira as the caller; `null` (or
   * absent) when the lookup failed.
   */
  jiraAdmin?: boolean | null,
  /**
   * The policy as stored, if any.
   */
  current?: PolicyState | null,
  /**
   * The pending guard-rail change, if any.
   */
  pending?: PendingPolicyChange | null,
  /**
   * The deployer's `BOOTSTRAP_ADMINS`.
   */
  bootstrapAdmins?: Array<string>,
  /**
   * The current time.
   */
  now: Timestamp, };

/**
 * One button: allowed, or the refusal it would get.
 */
export type Permission = {
  /**
   * Whether to offer it.
   */
  allowed: boolean,
  /**
   * Why not.
   */
  reason?: ErrorBody, };

/**
 * The caller's standing, and the policy buttons they get (the server checks again).
 */
export type AdminViewer = {
  /**
   * The caller.
   */
  accountId: string,
  /**
   * Whether Jira confirmed `ADMINISTER`.
   */
  jiraAdmin: boolean,
  /**
   * Whether the caller is a permanent admin of the policy in force.
   */
  permanentAdmin: boolean,
  /**
   * Saving (applying or proposing).
   */
  save: Permission,
  /**
   * Approving the pending change.
   */
  approve: Permission,
  /**
   * Withdrawing the pending change.
   */
  withdraw: Permission, };

/**
 * Whether a pending change can still be approved.
 */
export type PendingState = "open" | "stale" | "expired";

/**
 * Who may approve a pending change.
 */
export type Approvers = {
  /**
   * The other permanent admins, and the bootstrap admins (never the proposer).
   */
  accountIds: Array<string>,
  /**
   * With a single permanent admin: also any Jira admin who is an org admin today.
   */
  orgAdminsMayApprove: boolean, };

/**
 * Where a pending change stands.
 */
export type PendingStatus = {
  /**
   * `open`, `stale` (the policy changed since) or `expired`.
   */
  state: PendingState,
  /**
   * Who may approve it.
   */
  approvers: Approvers, };

/**
 * The answer of [`authorize_admin`].
 */
export type AdminAccess = {
  /**
   * Whether the call may go ahead (a change still goes through
   * [`policy_change`](crate::policy::change::policy_change)).
   */
  allowed: boolean,
  /**
   * Why not.
   */
  reason?: ErrorBody,
  /**
   * What the caller may do on the policy page.
   */
  viewer: AdminViewer,
  /**
   * The pending change's state and who may approve it, when there is one.
   */
  pending?: PendingStatus, };

/**
 * What a policy change asks for.
 */
export type PolicyCommand = { "type": "save",
  /**
   * The policy as the admin page sent it (read here, so a bad one is reported at its path).
   */
  policy: unknown,
  /**
   * The version the draft was made from; a newer one refuses the save.
   */
  expectedVersion?: number | null, } | { "type": "approve",
  /**
   * The change, as the approver saw it.
   */
  changeId: string, } | { "type": "withdraw",
  /**
   * The change, as the proposer saw it.
   */
  changeId: string, };

/**
 * Input of [`policy_change`].
 */
export type PolicyChangeInput = {
  /**
   * What to do.
   */
  command: PolicyCommand,
  /**
   * The caller (the platform's account id).
   */
  actor: string,
  /**
   * Whether the caller holds Jira's `ADMINISTER` (`null`: the lookup failed).
   */
  jiraAdmin?: boolean | null,
  /**
   * The org admins, read when an answer asked for them (`needsOrgAdmins`); absent before.
   */
  orgAdmins?: OrgAdminsRead | null,
  /**
   * The policy as stored, if any.
   */
  current?: PolicyState | null,
  /**
   * The pending guard-rail change, if any.
   */
  pending?: PendingPolicyChange | null,
  /**
   * The deployer's `BOOTSTRAP_ADMINS`.
   */
  bootstrapAdmins?: Array<string>,
  /**
   * The current time.
   */
  now: Timestamp,
  /**
   * Where the audit records attach.
   */
  auditHead?: AuditHead | null, };

/**
 * What became of a change.
 */
export type ChangeOutcome = "needsOrgAdmins" | "applied" | "proposed" | "approved" | "withdrawn";

/**
 * What to do with the stored pending change.
 */
export type PendingWrite = "keep" | "clear" | "set";

/**
 * An accepted change: what to write, in one conditional transaction.
 */
export type PolicyChangeDecision = {
  /**
   * What became of it.
   */
  outcome: ChangeOutcome,
  /**
   * For `needsOrgAdmins`: the accounts to confirm first (the read may stop once the answer
   * is no longer `ORG_ADMINS_UNKNOWN`).
   */
  confirmFirst?: Array<string>,
  /**
   * The policy to store, if written (on the condition that the stored version is unchanged).
   */
  policy?: PolicyState,
  /**
   * What to do with the pending change (on the condition that it is unchanged).
   */
  pending: PendingWrite,
  /**
   * The proposed change (`set`), or the one approved or withdrawn.
   */
  change?: PendingPolicyChange,
  /**
   * What the change changes.
   */
  diff?: Array<PolicyDiff>,
  /**
   * Records to append.
   */
  audit: Array<AuditRecord>,
  /**
   * The chain's head after them.
   */
  auditHead: AuditHead, };

/**
 * What a refused `policyChange` still carries: the draft's problems, what happens to the pending
 * change, and the refusal's audit record.
 */
export type ChangeRefusalExtras = { problems: Array<PolicyProblem>, pending: PendingWrite, audit: Array<AuditRecord>, auditHead: AuditHead, };

/**
 * How a probe ended.
 */
export type ProbeOutcome = "ok" | "failed" | "unfinished";

/**
 * The error a probe met, as the adapter reported it (stable adapter codes such as
 * `UNAUTHORIZED`, `API_KEY_SCOPED`, `NOT_FOUND`, `FORBIDDEN`, `ORG_API_CONTRACT_CHANGED`).
 */
export type ProbeError = {
  /**
   * The adapter's code.
   */
  code: string,
  /**
   * Its message (never holds the key).
   */
  message: string, };

/**
 * The key probe: the organizations the key can see (`GET /v1/orgs`, an operation without
 * scopes, so a key with scopes is refused).
 */
export type KeyProbe = {
  /**
   * How it ended.
   */
  outcome: ProbeOutcome,
  /**
   * What went wrong.
   */
  error?: ProbeError | null,
  /**
   * The organization ids the key answered with.
   */
  orgIds: Array<string>,
  /**
   * The configured `ORG_ID` (empty when unset).
   */
  configuredOrgId: string, };

/**
 * A probe that only answers or fails (the directories, the role endpoints).
 */
export type CountProbe = {
  /**
   * How it ended.
   */
  outcome: ProbeOutcome,
  /**
   * What went wrong.
   */
  error?: ProbeError | null,
  /**
   * How many were found (directories), when it answered.
   */
  count?: number | null, };

/**
 * What a target's access is made of, as far as the Health view checks it.
 */
export type TargetKind = "orgRole" | "resourceRole" | "groupMembership";

/**
 * One policy target, looked up.
 */
export type TargetProbe = {
  /**
   * The target's key.
   */
  target: string,
  /**
   * Its kind.
   */
  kind: TargetKind,
  /**
   * The group id or resource ARI looked up (empty for the org-admin role).
   */
  subject: string,
  /**
   * How the look-up ended.
   */
  outcome: ProbeOutcome,
  /**
   * What went wrong (`NOT_FOUND`: no such group).
   */
  error?: ProbeError | null,
  /**
   * Whether the group or resource exists, when the look-up answered.
   */
  exists?: boolean | null,
  /**
   * Whether the group is synced from an identity provider (SCIM).
   */
  externallySynced: boolean, };

/**
 * How a permanent admin holds org admin.
 */
export type OrgAdminHolding = "direct" | "indirect" | "none";

/**
 * One permanent admin's org-admin role, read.
 */
export type PermanentAdminProbe = {
  /**
   * The account.
   */
  accountId: string,
  /**
   * How the read ended.
   */
  outcome: ProbeOutcome,
  /**
   * What went wrong.
   */
  error?: ProbeError | null,
  /**
   * How they hold org admin, when the read answered.
   */
  holding?: OrgAdminHolding | null, };

/**
 * One storage entity kind, written and read back.
 */
export type StorageProbe = {
  /**
   * The entity (or `kvs` for plain keys).
   */
  entity: string,
  /**
   * How the write, read-back and clean-up ended.
   */
  outcome: ProbeOutcome,
  /**
   * What went wrong.
   */
  error?: ProbeError | null, };

/**
 * The queue probe: the previous health event's push and delivery, and this run's push.
 */
export type QueueProbe = {
  /**
   * This run's push of a health event.
   */
  push: ProbeOutcome,
  /**
   * Why the push failed.
   */
  error?: ProbeError | null,
  /**
   * The oldest health event pushed and not yet delivered (or the last one pushed), before this run.
   */
  pushedAt?: Timestamp | null,
  /**
   * When the consumer last recorded a health event's delivery.
   */
  deliveredAt?: Timestamp | null, };

/**
 * The sweep's last run, as it recorded it.
 */
export type SweepProbe = {
  /**
   * When the policy was last saved (absent: no policy, so the sweep has nothing to do).
   */
  policySavedAt?: Timestamp | null,
  /**
   * When the sweep last finished comparing the holders with the policy.
   */
  lastRunAt?: Timestamp | null,
  /**
   * Whether reading the sweep's record finished.
   */
  outcome: ProbeOutcome, };

/**
 * Input of [`judge_health`]: everything the probes found.
 */
export type HealthInput = {
  /**
   * When the probes ran.
   */
  now: Timestamp,
  /**
   * The key (and the organizations it sees).
   */
  key: KeyProbe,
  /**
   * The organization's directories.
   */
  directory: CountProbe,
  /**
   * A harmless call of a role endpoint (a revoke for an account that cannot exist).
   */
  roleEndpoints: CountProbe,
  /**
   * Each policy target.
   */
  targets: Array<TargetProbe>,
  /**
   * Each permanent admin of the policy.
   */
  permanentAdmins: Array<PermanentAdminProbe>,
  /**
   * Each storage entity kind.
   */
  storage: Array<StorageProbe>,
  /**
   * The queue.
   */
  queue: QueueProbe,
  /**
   * The sweep.
   */
  sweep: SweepProbe, };

/**
 * Where a check stands.
 */
export type HealthStatus = "ok" | "warning" | "unknown" | "failed";

/**
 * What a check is about.
 */
export type HealthCheckKind = "apiKey" | "organization" | "directory" | "roleEndpoints" | "target" | "permanentAdmin" | "storage" | "queue" | "sweep";

/**
 * One row of the Health view.
 */
export type HealthCheck = {
  /**
   * What it checks.
   */
  check: HealthCheckKind,
  /**
   * Its name, as the deploy guide's table names it (`API key`, `permanent admins`, …).
   */
  title: string,
  /**
   * Which one (a target key, an account id, an entity), for checks with several rows.
   */
  subject?: string,
  /**
   * Where it stands.
   */
  status: HealthStatus,
  /**
   * A stable code (`KEY_SCOPED`, `TARGET_GROUP_SCIM`, …).
   */
  code: string,
  /**
   * What was found, in words.
   */
  found: string,
  /**
   * What to do, when it is not ok.
   */
  fix?: string, };

/**
 * The answer of [`judge_health`].
 */
export type HealthReport = {
  /**
   * The worst status of all checks.
   */
  status: HealthStatus,
  /**
   * When the probes ran.
   */
  at: Timestamp,
  /**
   * One row per check, in the order the deploy guide lists them.
   */
  checks: Array<HealthCheck>, };

/**
 * One audit-log event as the org adapter read it (`data[].attributes` of
 * `GET /v1/orgs/{orgId}/events`, flattened).
 */
export type OrgEvent = {
  /**
   * The event id.
   */
  id: string,
  /**
   * `attributes.time` as the API wrote it.
   */
  time: string,
  /**
   * `attributes.action`.
   */
  action: string,
  /**
   * `attributes.actor.id`.
   */
  actorId: string,
  /**
   * `attributes.actor.name`, if given.
   */
  actorName?: string,
  /**
   * `attributes.context[]`, each as `type id (name)`.
   */
  context?: Array<string>,
  /**
   * `attributes.location.ip`, if given.
   */
  ip?: string, };

/**
 * How the read of the audit log went.
 */
export type AuditLogRead = { "status": "complete",
  /**
   * Pages read.
   */
  pages: number, } | { "status": "partial",
  /**
   * Pages read.
   */
  pages: number,
  /**
   * Why it stopped (the wrapper's words: the event cap, an error that kept coming back).
   */
  reason: string, } | { "status": "unavailable",
  /**
   * The HTTP status the events API answered.
   */
  httpStatus: number, };

/**
 * Input of `evidenceReport`: the collection the core asked for and what was read.
 */
export type EvidenceInput = {
  /**
   * The policy in force (its high-risk actions).
   */
  policy: Policy,
  /**
   * The grant.
   */
  grant: Grant,
  /**
   * The `collectEvidence` action being answered.
   */
  collection: Action,
  /**
   * The events read, in any order.
   */
  events?: Array<OrgEvent>,
  /**
   * How the read went.
   */
  read: AuditLogRead,
  /**
   * Now.
   */
  now: Timestamp,
  /**
   * The audit chain's head.
   */
  auditHead?: AuditHead | null, };

/**
 * How often one action occurs.
 */
export type ActionCount = {
  /**
   * The audit-log action.
   */
  action: string,
  /**
   * How many events.
   */
  count: number, };

/**
 * A file to attach to the request issue.
 */
export type Attachment = {
  /**
   * File name.
   */
  filename: string,
  /**
   * `text/csv` or `application/json`.
   */
  mediaType: string,
  /**
   * The whole file.
   */
  content: string, };

/**
 * The answer of `evidenceReport`.
 */
export type EvidenceReport = {
  /**
   * Events in the pack (by the subject, within the span), oldest first.
   */
  events: number,
  /**
   * Events the read returned that the pack left out (another actor, outside the span).
   */
  ignored: number,
  /**
   * Events per action, most frequent first.
   */
  byAction: Array<ActionCount>,
  /**
   * The high-risk ones among them.
   */
  highRisk: Array<ActionCount>,
  /**
   * Files to attach to the request issue, each once (none when nothing could be read).
   */
  attachments: Array<Attachment>,
  /**
   * The summary comment and the alerts, to execute like `decide`'s actions.
   */
  actions: Array<Action>,
  /**
   * The `evidenceCollected` record.
   */
  audit: Array<AuditRecord>,
  /**
   * The chain's new head.
   */
  auditHead: AuditHead, };

/** Every audit event the core writes, in the order the admin page lists them. */
export const AUDIT_EVENTS = [
  "submitRequest",
  "approve",
  "reject",
  "cancel",
  "activate",
  "complete",
  "revoke",
  "expire",
  "requestExtension",
  "approveExtension",
  "rejectExtension",
  "accessGranted",
  "accessRevoked",
  "grantFailed",
  "revokeFailed",
  "retryGrant",
  "retryRevoke",
  "revocationSkipped",
  "lateGrant",
  "cleanup",
  "endedByPolicy",
  "sweep",
  "policyChange",
  "proposePolicyChange",
  "approvePolicyChange",
  "withdrawPolicyChange",
  "tick",
  "policyCheck",
  "actionSucceeded",
  "actionFailed",
  "evidenceCollected",
  "approvalReminder",
  "windowEndWarning"
] as const;

/** The org-level role that makes someone an organization admin. */
export const ORG_ADMIN_ROLE = "atlassian/org-admin" as const;

/** The resource roles a `resourceRole` target may grant. */
export const RESOURCE_ROLES = [
  "atlassian/site-admin",
  "atlassian/admin",
  "atlassian/user-access-admin"
] as const;

/** One of `RESOURCE_ROLES`. */
export type ResourceRole = (typeof RESOURCE_ROLES)[number];

/** The issue panel's actions, in the order its buttons appear. */
export const ACTIONS = [
  "submitRequest",
  "approve",
  "reject",
  "activate",
  "complete",
  "requestExtension",
  "approveExtension",
  "rejectExtension",
  "revoke",
  "cancel"
] as const;

/** One of `ACTIONS`: a panel resolver call. */
export type ActionName = (typeof ACTIONS)[number];

/** What the core reads a field left out of the policy (`policy`) or of a target (`target`) as. */
export const POLICY_DEFAULTS = {
  "policy": {
    "driftMode": "report",
    "maxPermanentAdmins": 3,
    "minOrgAdmins": 1,
    "permanentAdmins": [],
    "serviceAccounts": []
  },
  "target": {
    "approvalDeadlineMinutes": 1440,
    "approvalReminderBeforeMinutes": 60,
    "approvers": {
      "accountIds": [],
      "groupIds": []
    },
    "autoActivate": false,
    "breakGlass": [],
    "defaultDurationMinutes": 60,
    "justification": {
      "minLength": 10,
      "required": true
    },
    "maxApproversNotified": 5,
    "maxDurationMinutes": 240,
    "maxExtensions": 2,
    "maxStartAheadMinutes": 10080,
    "requesters": {
      "accountIds": [],
      "groupIds": []
    },
    "requiredApprovals": 1,
    "standingHolders": [],
    "windowEndWarningMinutes": 10
  }
} as const;

/** Days a permanent admin dropped by an approved change is kept (and reported) before counting as drift. */
export const GRACE_DAYS = 7 as const;

/** Hours a proposed guard-rail change waits for its second permanent admin. */
export const CHANGE_TTL_HOURS = 72 as const;

/** What the core reads a policy without `evidence` as (the default high-risk audit-log actions among them). */
export const EVIDENCE_DEFAULTS = {
  "enabled": true,
  "afterRevokeMinutes": 5,
  "highRiskActions": [
    "api_key_created",
    "org_admin_role_granted",
    "site_admin_role_granted",
    "user_role_granted",
    "authentication_policy_*",
    "policy_*",
    "user_deleted",
    "user_deactivated"
  ]
} as const;

/** The audit-log actions that are high-risk when the policy names none (a trailing `*` matches a prefix). */
export const DEFAULT_HIGH_RISK_ACTIONS = [
  "api_key_created",
  "org_admin_role_granted",
  "site_admin_role_granted",
  "user_role_granted",
  "authentication_policy_*",
  "policy_*",
  "user_deleted",
  "user_deactivated"
] as const;

/** Most audit-log events one evidence pack holds: stop reading there and report the read as partial. */
export const MAX_EVIDENCE_EVENTS = 5000 as const;

/** Minutes a collection waits after its span for the audit log to show the last events. */
export const INGEST_LAG_MINUTES = 5 as const;

