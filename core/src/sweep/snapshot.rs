//! Who holds each target, as the wrapper read it from the organization: direct holders, groups
//! whose role gives it, and whether each read was complete.

use serde::{Deserialize, Serialize};

use crate::policy::{Access, AccountId};

/// Who holds each target, as read from the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HolderSnapshot {
    /// False when the read failed anywhere; the sweep then revokes nobody.
    pub complete: bool,
    /// Holders per target.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub targets: Vec<TargetHolders>,
}

/// The holders of one target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetHolders {
    /// The policy target key.
    pub target: String,
    /// False when this target's read failed or was cut short.
    pub complete: bool,
    /// A group synced from an identity provider: reported, never modified.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub externally_synced: bool,
    /// The access that was read, for an access the policy no longer lists under `target` (the
    /// target was removed, or now grants something else): the sweep watches those, from the
    /// grants' own copies, until no holder the app gave it to is left. Absent: the access the
    /// policy's target grants (and, for a removed target, the one its grants copied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub access: Option<Access>,
    /// Accounts that hold it directly.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub holders: Vec<AccountId>,
    /// Role targets: groups whose role gives their members this target (`group_direct` in the
    /// organizations API). Their members are reported, never revoked: the app never changes a
    /// group's roles or members for this. They do not count as holders, and so (for the org-admin
    /// target) not toward the admin floor either: a group can lose its members or its role at any
    /// time without the app knowing, so the floor counts only direct org admins, a lower bound.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub via_groups: Vec<GroupHolders>,
}

/// Members of a group that holds a target's role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupHolders {
    /// The group's id.
    pub group_id: String,
    /// The group's name, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub group_name: Option<String>,
    /// Its members.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub account_ids: Vec<AccountId>,
}
