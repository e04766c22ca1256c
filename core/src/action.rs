//! Actions: what the wrapper must do in the world, each with a deterministic idempotency key.

use serde::{Deserialize, Serialize};

use crate::comment::CommentBlock;
use crate::policy::{Access, AccountId};
use crate::time::Timestamp;

/// Something the wrapper executes. The same decision always yields the same keys, so a
/// duplicated delivery can be recognised and executed once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum Action {
    /// Grant the access to the account; report the result as an event.
    #[serde(rename_all = "camelCase")]
    Grant {
        /// Idempotency key.
        key: String,
        /// The grant.
        grant_id: String,
        /// The request issue.
        issue_key: String,
        /// What to grant.
        access: Access,
        /// To whom.
        account_id: AccountId,
        /// 1-based attempt number.
        attempt: u32,
    },
    /// Revoke the access from the account and read it back; report the result as an event.
    #[serde(rename_all = "camelCase")]
    Revoke {
        /// Idempotency key.
        key: String,
        /// The grant, when the revoke ends one (none for drift).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        grant_id: Option<String>,
        /// The request issue, when there is one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        issue_key: Option<String>,
        /// The policy target key.
        target: String,
        /// What to revoke.
        access: Access,
        /// From whom.
        account_id: AccountId,
        /// Why.
        reason: RevokeReason,
        /// 1-based attempt number.
        attempt: u32,
    },
    /// Comment on a Jira issue. The body is structured (see [`CommentBlock`]): no text in it is
    /// ever parsed for markup, so user text can neither mention anyone nor pass for the app's
    /// own words.
    #[serde(rename_all = "camelCase")]
    Comment {
        /// Idempotency key.
        key: String,
        /// The issue.
        issue_key: String,
        /// The blocks, in order.
        body: Vec<CommentBlock>,
    },
    /// Deliver a `tick` event for this grant at `at`.
    #[serde(rename_all = "camelCase")]
    Wake {
        /// Idempotency key.
        key: String,
        /// The grant.
        grant_id: String,
        /// When.
        at: Timestamp,
    },
    /// Tell the people responsible (stored, logged and shown on the admin page).
    #[serde(rename_all = "camelCase")]
    Alert {
        /// Idempotency key (alerts about a lasting condition repeat at most daily).
        key: String,
        /// How bad.
        severity: Severity,
        /// Stable code, e.g. `DRIFT`, `BREAK_GLASS`, `ADMIN_FLOOR`.
        code: String,
        /// What happened.
        message: String,
        /// The grant, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        grant_id: Option<String>,
        /// The issue, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        issue_key: Option<String>,
    },
    /// From `at` on, read the organization's audit-log events whose actor is `accountId` between
    /// `from` and `to` (paced at the events API's rate limit, resuming by cursor) and hand them
    /// to `evidenceReport`, which says what to comment, attach, alert and record.
    #[serde(rename_all = "camelCase")]
    CollectEvidence {
        /// Idempotency key, `{grantId}:evidence` (one pack per grant).
        key: String,
        /// The grant.
        grant_id: String,
        /// The request issue, which receives the pack.
        issue_key: String,
        /// Whose events: the grant's subject.
        account_id: AccountId,
        /// The activation.
        from: Timestamp,
        /// The confirmed revoke plus the policy's `evidence.afterRevokeMinutes`.
        to: Timestamp,
        /// When to start reading: `to` plus the time the audit log takes to show an event.
        at: Timestamp,
    },
}

impl Action {
    /// The idempotency key.
    pub fn key(&self) -> &str {
        match self {
            Self::Grant { key, .. }
            | Self::Revoke { key, .. }
            | Self::Comment { key, .. }
            | Self::Wake { key, .. }
            | Self::Alert { key, .. }
            | Self::CollectEvidence { key, .. } => key,
        }
    }
}

/// Why access is being revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum RevokeReason {
    /// The requester said done.
    Completed,
    /// The window ended.
    Expired,
    /// An approver or permanent admin ended the grant.
    Revoked,
    /// The grant failed and may have been partly applied.
    Cleanup,
    /// The sweep found the access held after its grant ended.
    EndedStillHeld,
    /// The sweep found the access held outside the app, in enforce mode.
    Drift,
    /// The current policy no longer allows the grant (its requester lost eligibility, its
    /// target was removed, or the requester no longer owns the service account).
    Ineligible,
}

/// How bad an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// For the record.
    Info,
    /// Someone should look.
    Warning,
    /// Someone must look now.
    Critical,
}

/// Why an action failed, as reported by the wrapper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionError {
    /// Stable code from the adapter (`RATE_LIMITED`, `SCIM_SYNCED`, `UNVERIFIED`, …).
    pub code: String,
    /// What happened.
    pub message: String,
    /// Whether trying again may succeed. A retryable failure of a grant may have been applied.
    pub retryable: bool,
}
