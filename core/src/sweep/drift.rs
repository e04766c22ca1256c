//! Drift findings: each holder the app did not expect (why a holder holds is `holders.rs`'s),
//! why it is unexpected and what the sweep does about it.

use serde::{Deserialize, Serialize};

use crate::policy::AccountId;
use crate::time::Timestamp;

/// One holder the app did not expect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The policy target key.
    pub target: String,
    /// The holder.
    pub account_id: AccountId,
    /// Why it is unexpected.
    pub kind: FindingKind,
    /// What the sweep does about it.
    pub disposition: Disposition,
    /// The ended grant that should have removed it, for `endedStillHeld`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub grant_id: Option<String>,
    /// The group whose role gives the access, for `viaGroup`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub group_id: Option<String>,
    /// That group's name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub group_name: Option<String>,
    /// When the sweeps first saw this holding without a break: one incident, one alert (repeated
    /// daily), however many sweeps see it; a holding that goes and comes back is a new incident.
    pub since: Timestamp,
    /// For `keptGrace`: when the grace period of a dropped permanent admin ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub grace_until: Option<Timestamp>,
}

/// Why a holder is unexpected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum FindingKind {
    /// The access is still held after the app's grant ended.
    EndedStillHeld,
    /// The access was given outside the app.
    Drift,
    /// The access comes from a group's role (`group_direct`): given outside the app, and not the
    /// app's to remove.
    ViaGroup,
}

/// What the sweep does about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Disposition {
    /// Revoke it.
    Revoke,
    /// Report it (drift mode `report`).
    Report,
    /// Kept: revoking would leave fewer org admins than the floor.
    KeptForFloor,
    /// Kept: the holder list is incomplete (or the policy invalid), so nobody is revoked.
    KeptIncomplete,
    /// Kept: the group is managed by the identity provider.
    ExternallyManaged,
    /// Kept: no permanent admin holds org admin, so the sweep cannot tell which org admins the
    /// organisation still needs, and revokes none.
    KeptNoPermanentAdmin,
    /// Reported, naming the group: the access comes from the group's role, and the app never
    /// changes a group's roles or members to take it away. An admin must.
    ReportGroup,
    /// Kept: a policy change dropped this account from the permanent admins less than
    /// [`crate::policy::state::GRACE_DAYS`] ago.
    KeptGrace,
}
