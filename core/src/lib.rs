//! The decision core of JIT Admin for Atlassian.
//!
//! Pure Rust with no I/O, no clock and no randomness: every entry point receives the state, the
//! event, the policy and `now`, and returns the next state, the actions to execute and the audit
//! records — or a typed error with a stable code. Nothing here panics on any input, because a
//! panic in Wasm traps and kills the Forge invocation.
//!
//! Entry points:
//! - [`decide`]: one event applied to one grant (request, approval, activation, extension,
//!   revocation, timers, action results);
//! - [`sweep`]: reality (who holds what) compared with policy: expiries, retries, drift, the
//!   admin floor;
//! - [`view`]: what a viewer sees and which buttons they get;
//! - [`gate`]: who may take each workflow-transition event now (for Jira workflow validators),
//!   and whether an issue's status has got ahead of its grant;
//! - [`validate_policy`]: every problem in a policy, at its path;
//! - [`verify_audit`]: the first broken link in an audit chain;
//! - [`authorize_admin`]: whether an admin-page call may go ahead, and the caller's policy buttons;
//! - [`policy_change`]: a policy save, approval or withdrawal under the two-person rule;
//! - [`judge_health`]: the Health view's checks, judged from what the probes found.
//! - [`evidence_report`]: what an ended grant's evidence pack says (comment, files, alerts).
//!
//! [`boundary`] wraps them as tagged `{ok,…}` answers, with JSON-in/JSON-out variants.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::unreachable,
        clippy::result_large_err,
        reason = "tests may fail loudly"
    )
)]

mod action;
mod audit;
mod audit_event;
pub mod boundary;
mod comment;
mod decision;
mod eligibility;
mod error;
mod event;
mod evidence;
mod gate;
mod grant;
mod health;
mod input;
mod json;
mod lifecycle;
mod limits;
mod policy;
mod provisioning;
mod step;
mod sweep;
mod time;
#[cfg(feature = "ts")]
pub mod typescript;
mod view;
mod window;

#[cfg(test)]
mod tests;

pub use action::{Action, ActionError, RevokeReason, Severity};
pub use audit::{
    chain, AuditEntry, AuditHead, AuditOutcome, AuditRecord, BrokenLink, Verification, GENESIS_HASH,
};
pub use audit_event::AuditEvent;
pub use comment::{plain_text, CommentBlock, Inline};
pub use decision::{decide, Coalesce, Decision, Refusal};
pub use eligibility::Actor;
pub use error::{DecisionError, ErrorBody};
pub use event::Event;
pub use evidence::{
    evidence_report, ActionCount, Attachment, AuditLogRead, EvidenceInput, EvidenceReport,
    OrgEvent, INGEST_LAG_MINUTES, MAX_EVIDENCE_EVENTS,
};
pub use gate::{gate, Divergence, Gate, GateAnswer, GateEntry, GateInput, StatusCategory};
pub use grant::{
    AccessState, Activation, Approval, Ending, Extension, ExtensionStatus, Grant, Notices, Outcome,
    PendingAction, PendingKind, Provisioning, Status,
};
pub use health::{
    judge_health, CountProbe, HealthCheck, HealthCheckKind, HealthInput, HealthReport,
    HealthStatus, KeyProbe, OrgAdminHolding, PermanentAdminProbe, ProbeError, ProbeOutcome,
    QueueProbe, StorageProbe, SweepProbe, TargetKind, TargetProbe, QUEUE_LATE_MINUTES,
    SWEEP_LATE_MINUTES,
};
pub use input::{Context, DecideInput, OpenGrant, RefusalTally, Source};
pub use lifecycle::notice::{reminder_due, warning_due};
pub use lifecycle::schedule::{is_due, next_attention};
pub use policy::admin_error::AdminError;
pub use policy::authorization::{
    authorize_admin, AdminAccess, AdminAccessInput, AdminCall, AdminViewer, Approvers,
    PendingState, PendingStatus, Permission,
};
pub use policy::change::{
    policy_change, ChangeOutcome, PendingWrite, PolicyChangeDecision, PolicyChangeInput,
    PolicyChangeRefusal, PolicyCommand,
};
pub use policy::diff::{diff as policy_diff, PolicyDiff, GUARD_RAILS};
pub use policy::evidence::DEFAULT_HIGH_RISK_ACTIONS;
pub use policy::state::{
    FormerPermanentAdmin, OrgAdminsRead, PendingPolicyChange, PolicyState, CHANGE_TTL_HOURS,
    GRACE_DAYS,
};
pub use policy::validation::{validate as validate_policy, PolicyProblem};
pub use policy::{
    Access, AccountId, DriftMode, EvidenceSettings, JustificationRule, Policy, Principals,
    ServiceAccount, Target, ORG_ADMIN_ROLE, RESOURCE_ROLES,
};
pub use provisioning::backoff::backoff_seconds;
pub use step::SYSTEM;
pub use sweep::drift::{Disposition, Finding, FindingKind};
pub use sweep::floor::FloorReport;
pub use sweep::guard::{guard_revocation, GuardInput, GuardOutcome};
pub use sweep::holders::{explain_holders, Holder, HolderReason, HoldersExplained, HoldersInput};
pub use sweep::snapshot::{GroupHolders, HolderSnapshot, TargetHolders};
pub use sweep::{sweep, SweepInput, SweepOutcome};
pub use time::Timestamp;
pub use view::{
    view, ActionOption, GrantView, TargetOption, View, ViewInput, ViewerRoles, ACTIONS,
};
pub use window::Window;

/// Verifies an audit chain; see [`audit::verify`].
pub fn verify_audit(records: &[AuditRecord], anchor: Option<&AuditHead>) -> Verification {
    audit::verify(records, anchor)
}

/// The version of this core and of its JSON contract.
pub fn version() -> VersionInfo {
    VersionInfo {
        core: env!("CARGO_PKG_VERSION"),
        contract: CONTRACT_VERSION,
    }
}

/// The version of the JSON contract in `CONTRACT.md`; bumped on any breaking change.
pub const CONTRACT_VERSION: u32 = 2;

/// Versions, as `version()` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    /// The crate version.
    pub core: &'static str,
    /// The contract version.
    pub contract: u32,
}
