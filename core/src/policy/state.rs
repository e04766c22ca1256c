//! The policy as stored, with what its changes need: its version, the guard-rail change waiting
//! for a second permanent admin, the accounts a change dropped from the permanent admins (kept
//! from revocation for a grace period), and the org admins as read for a change.

use serde::{Deserialize, Serialize};

use crate::policy::diff::PolicyDiff;
use crate::policy::{AccountId, Policy};
use crate::time::Timestamp;

/// How long a proposed guard-rail change waits for its second permanent admin.
pub const CHANGE_TTL_HOURS: i64 = 72;
/// How long an account dropped from the permanent admins is kept from enforce-mode revocation.
pub const GRACE_DAYS: i64 = 7;

/// The policy as stored, with the facts its changes need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyState {
    /// The policy in force.
    pub policy: Policy,
    /// Bumped by every change.
    pub version: u64,
    /// When it took effect.
    pub updated_at: Timestamp,
    /// Who saved it (the proposer, for an approved change).
    pub updated_by: AccountId,
    /// Who approved it, for a guard-rail change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub approved_by: Option<AccountId>,
    /// Accounts recently dropped from the permanent admins (see [`GRACE_DAYS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub former_permanent_admins: Vec<FormerPermanentAdmin>,
}

/// An account an approved change dropped from the permanent admins, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormerPermanentAdmin {
    /// The account.
    pub account_id: AccountId,
    /// When the change that dropped it took effect.
    pub removed_at: Timestamp,
}

impl FormerPermanentAdmin {
    /// The end of its grace period (`None` past the representable range: never ends).
    pub fn grace_until(&self) -> Option<Timestamp> {
        self.removed_at
            .plus_seconds(GRACE_DAYS.saturating_mul(86_400))
    }

    /// Whether the grace period still runs at `now`.
    pub fn in_grace(&self, now: Timestamp) -> bool {
        self.grace_until().is_none_or(|until| now < until)
    }
}

/// A guard-rail change waiting for its second permanent admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PendingPolicyChange {
    /// Names this proposal (approve and withdraw name it, so a click never acts on another one).
    pub id: String,
    /// The permanent admin who proposed it.
    pub proposer: AccountId,
    /// When.
    pub proposed_at: Timestamp,
    /// After this it can no longer be approved.
    pub expires_at: Timestamp,
    /// The policy version it changes; a policy saved since makes it stale.
    pub base_version: u64,
    /// The proposed policy.
    pub policy: Policy,
    /// What it changes, against the base version.
    pub diff: Vec<PolicyDiff>,
}

/// The org admins as just read from the organizations API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrgAdminsRead {
    /// False when the read failed or stopped early: `holders` is then a lower bound.
    pub complete: bool,
    /// Accounts confirmed to hold the org admin role.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub holders: Vec<AccountId>,
}
