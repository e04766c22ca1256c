//! A grant: one request for elevated access and everything that happened to it since.

use serde::{Deserialize, Serialize};

use crate::action::ActionError;
use crate::policy::{Access, AccountId};
use crate::time::Timestamp;
use crate::window::Window;

/// Version of the stored grant shape.
pub const GRANT_SCHEMA: u32 = 1;

/// The whole record of one request, from submission until its access is confirmed removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Grant {
    /// Shape version, [`GRANT_SCHEMA`].
    pub schema: u32,
    /// Grant id, chosen by the wrapper (unique per installation).
    pub id: String,
    /// The Jira request issue.
    pub issue_key: String,
    /// Incremented on every change; storage uses it for conditional writes.
    pub version: u64,
    /// The policy target key.
    pub target: String,
    /// The target's label when requested.
    pub target_label: String,
    /// What is granted, copied from the policy at submission so a later policy edit can never
    /// stop a revocation.
    pub access: Access,
    /// Who asked.
    pub requester: AccountId,
    /// Who receives the access: the requester, or a service account they own.
    pub subject: AccountId,
    /// Why.
    pub justification: String,
    /// When the request was submitted.
    pub requested_at: Timestamp,
    /// The start the requester asked for.
    pub requested_start: Timestamp,
    /// Minutes asked for.
    pub duration_minutes: u32,
    /// After this, an unapproved request expires.
    pub approval_deadline: Timestamp,
    /// Distinct approvals needed, copied from the policy at submission.
    pub required_approvals: u32,
    /// Whether to activate at the window start without a click.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub auto_activate: bool,
    /// Where the grant is in its lifecycle.
    pub status: Status,
    /// How it ended, once ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub outcome: Option<Outcome>,
    /// Approvals of the request, in order.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub approvals: Vec<Approval>,
    /// The approved window, fixed at approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub window: Option<Window>,
    /// The activation, once activated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub activation: Option<Activation>,
    /// Extensions asked for, in order; at most the last one is pending.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub extensions: Vec<Extension>,
    /// Who ended it, when and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub ending: Option<Ending>,
    /// The state of the access in the organization, as confirmed by action results.
    pub provisioning: Provisioning,
    /// The next time this grant needs attention, as last scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub wake_at: Option<Timestamp>,
    /// The approval reminder and the end-of-window warning: when they are due and which went
    /// out. Fixed at submission from the policy, like the deadline; absent on grants stored
    /// before there were notices, which then get none.
    #[serde(default, skip_serializing_if = "Notices::is_none")]
    pub notices: Notices,
}

/// When a grant's reminder and warning are due, and what was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Notices {
    /// When the approvers who have not approved are reminded; none when the policy asks for
    /// no reminder or it would fall before the request arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub approval_reminder_at: Option<Timestamp>,
    /// When the reminder went out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub approval_reminded_at: Option<Timestamp>,
    /// Minutes before the window end at which the requester is warned (0: never).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub window_end_warning_minutes: u32,
    /// The window end the requester was last warned about; an approved extension moves the
    /// end, and the warning is due again for the new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub warned_window_end: Option<Timestamp>,
}

impl Notices {
    /// Whether there is nothing to remind, warn or remember (grants from before notices).
    pub fn is_none(&self) -> bool {
        *self == Self::default()
    }
}

/// The lifecycle: requested → approved → active → ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// Waiting for approval.
    Requested,
    /// Approved; waiting for the window and the requester's activation.
    Approved,
    /// Activated: access granted or being granted.
    Active,
    /// Over; see the outcome. Access may still be being revoked.
    Ended,
}

impl Status {
    /// The status in words, for messages.
    pub fn word(self) -> &'static str {
        match self {
            Self::Requested => "awaiting approval",
            Self::Approved => "approved",
            Self::Active => "active",
            Self::Ended => "ended",
        }
    }
}

/// How a grant ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// The requester said the work is done.
    Completed,
    /// The window (or the approval deadline) passed.
    Expired,
    /// An approver or a permanent admin ended it.
    Revoked,
    /// An approver rejected it.
    Rejected,
    /// The requester withdrew it before activation.
    Cancelled,
    /// The access could not be granted.
    Failed,
    /// The current policy no longer allows it: the requester lost eligibility, the target was
    /// removed, or the requester no longer owns the elevated service account.
    Ineligible,
    /// Nobody approved the request before its approval deadline: it expired unapproved.
    /// (Grants that ended so before this outcome existed say `expired`.)
    Unapproved,
}

/// One approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Approval {
    /// The approver.
    pub approver: AccountId,
    /// When.
    pub at: Timestamp,
}

/// The activation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Activation {
    /// When.
    pub at: Timestamp,
    /// Who (`system` for automatic activation).
    pub by: AccountId,
    /// Activated without approval by a break-glass account.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub break_glass: bool,
}

/// How a grant ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ending {
    /// When.
    pub at: Timestamp,
    /// Who (`system` for expiry).
    pub by: AccountId,
    /// A reason given by the person, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub reason: Option<String>,
}

/// An extension of an active grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Extension {
    /// 1-based number within the grant.
    pub number: u32,
    /// When asked.
    pub requested_at: Timestamp,
    /// Minutes added to the window end on approval.
    pub minutes: u32,
    /// Why.
    pub justification: String,
    /// Where it stands.
    pub status: ExtensionStatus,
    /// Its approvals.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub approvals: Vec<Approval>,
    /// When it was decided (approved, rejected or lapsed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub decided_at: Option<Timestamp>,
    /// Who rejected it, if rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub rejected_by: Option<AccountId>,
}

/// Where an extension stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum ExtensionStatus {
    /// Waiting for approval.
    Pending,
    /// Approved; the window was extended.
    Approved,
    /// Rejected.
    Rejected,
    /// The grant ended before it was decided.
    Lapsed,
}

/// The state of the access in the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Provisioning {
    /// Where the access stands.
    pub state: AccessState,
    /// The grant or revoke action waiting for its result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub pending: Option<PendingAction>,
    /// When the grant was confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub granted_at: Option<Timestamp>,
    /// When the revoke was confirmed (read back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub revoked_at: Option<Timestamp>,
    /// Revoke attempts so far.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub revoke_attempts: u32,
    /// Grant attempts so far.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub grant_attempts: u32,
    /// The last failure reported by an action result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub last_error: Option<ActionError>,
    /// Keys of grant actions whose success has been recorded. Any attempt's success means the
    /// access landed, even when a later attempt or a revoke superseded it; the list makes a
    /// duplicated report count once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub landed_grants: Vec<String>,
}

impl Provisioning {
    /// Nothing granted, nothing pending.
    pub fn none() -> Self {
        Self {
            state: AccessState::NotGranted,
            pending: None,
            granted_at: None,
            revoked_at: None,
            revoke_attempts: 0,
            grant_attempts: 0,
            last_error: None,
            landed_grants: Vec::new(),
        }
    }
}

/// Where the access stands in the organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum AccessState {
    /// Never granted (or a grant definitively failed).
    NotGranted,
    /// A grant action was issued; no result yet.
    Granting,
    /// Confirmed granted.
    Granted,
    /// A revoke was issued or is being retried; not yet confirmed.
    Revoking,
    /// Confirmed revoked by reading it back.
    Revoked,
    /// Not revoked because the subject is a permanent admin.
    Retained,
}

/// A grant or revoke action waiting for its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PendingAction {
    /// The action's idempotency key; only a result with this key counts.
    pub key: String,
    /// Grant or revoke.
    pub kind: PendingKind,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// When to issue it again if no success has arrived by then.
    pub retry_at: Timestamp,
}

/// What a pending action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum PendingKind {
    /// Grant the access.
    Grant,
    /// Revoke the access.
    Revoke,
}

impl Grant {
    /// Whether the grant is over and its access is confirmed gone (or was never granted).
    pub fn is_finished(&self) -> bool {
        self.status == Status::Ended
            && matches!(
                self.provisioning.state,
                AccessState::NotGranted | AccessState::Revoked | AccessState::Retained
            )
    }

    /// Whether the grant is still open: not ended, or ended with a revoke outstanding.
    pub fn is_open(&self) -> bool {
        !self.is_finished()
    }

    /// Whether the subject may currently hold the access because of this grant.
    pub fn covers_holding(&self) -> bool {
        matches!(
            self.provisioning.state,
            AccessState::Granting | AccessState::Granted | AccessState::Revoking
        )
    }

    /// Every account that approved the request or any extension.
    pub fn all_approvers(&self) -> impl Iterator<Item = &str> {
        self.approvals
            .iter()
            .chain(self.extensions.iter().flat_map(|e| e.approvals.iter()))
            .map(|a| a.approver.as_str())
    }

    /// The pending extension, if any.
    pub fn pending_extension(&self) -> Option<&Extension> {
        self.extensions
            .last()
            .filter(|e| e.status == ExtensionStatus::Pending)
    }

    /// How many extensions were approved.
    pub fn approved_extensions(&self) -> u32 {
        let n = self
            .extensions
            .iter()
            .filter(|e| e.status == ExtensionStatus::Approved)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// The state in words, for messages.
    pub fn state_word(&self) -> &'static str {
        match (self.status, self.outcome) {
            (Status::Ended, Some(Outcome::Completed)) => "completed",
            (Status::Ended, Some(Outcome::Expired)) => "expired",
            (Status::Ended, Some(Outcome::Revoked)) => "revoked",
            (Status::Ended, Some(Outcome::Rejected)) => "rejected",
            (Status::Ended, Some(Outcome::Cancelled)) => "cancelled",
            (Status::Ended, Some(Outcome::Failed)) => "failed",
            (Status::Ended, Some(Outcome::Ineligible)) => "ended by policy",
            (Status::Ended, Some(Outcome::Unapproved)) => "expired unapproved",
            (status, _) => status.word(),
        }
    }
}
