//! The policy: what can be elevated, by whom, for how long, and the org-wide guard rails.

pub(crate) mod admin_error;
pub(crate) mod authorization;
pub(crate) mod change;
pub(crate) mod diff;
pub(crate) mod evidence;
pub(crate) mod state;
pub(crate) mod validation;

use serde::{Deserialize, Serialize};

pub use evidence::EvidenceSettings;

/// An Atlassian account id (`5b10ac8d82e05b22cc7d4ef5`, `557058:f58131cb-…`).
pub type AccountId = String;

/// The org-level role that makes someone an organization admin.
pub const ORG_ADMIN_ROLE: &str = "atlassian/org-admin";

/// Resource-level platform roles the app can assign with the roles API.
pub const RESOURCE_ROLES: [&str; 3] = [
    "atlassian/site-admin",
    "atlassian/admin",
    "atlassian/user-access-admin",
];

/// The whole policy, as saved from the admin page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// Accounts that keep their admin rights permanently. The app never revokes them.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub permanent_admins: Vec<AccountId>,
    /// The most permanent admins the policy may list.
    #[serde(default = "defaults::max_permanent_admins")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub max_permanent_admins: u32,
    /// Org admins that must remain after any revocation the sweep plans (at least 1).
    #[serde(default = "defaults::min_org_admins")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub min_org_admins: u32,
    /// What the sweep does about admins who hold rights outside the app.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub drift_mode: DriftMode,
    /// A Jira issue that receives a comment for every drift finding and break-glass alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub alert_issue_key: Option<String>,
    /// Non-human accounts that may be elevated on an owner's request.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub service_accounts: Vec<ServiceAccount>,
    /// Everything that can be elevated.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub targets: Vec<Target>,
    /// The evidence pack: what each ended grant's holder did in the organization's audit log.
    #[serde(default, skip_serializing_if = "EvidenceSettings::is_default")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub evidence: EvidenceSettings,
}

/// What the sweep does with drift (admins who hold a target outside the app).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum DriftMode {
    /// Comment and alert only.
    #[default]
    Report,
    /// Also revoke, within the admin floor.
    Enforce,
}

/// A non-human account that its owners may elevate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceAccount {
    /// The service account's id.
    pub account_id: AccountId,
    /// A label for people.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub label: String,
    /// Accounts that may request elevation of this service account.
    pub owners: Vec<AccountId>,
}

/// Something that can be elevated, and the rules for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Target {
    /// Stable key, `[a-z0-9-_]`, used in requests and storage.
    pub key: String,
    /// Label for people.
    pub label: String,
    /// What is granted.
    pub access: Access,
    /// Who may request it.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub requesters: Principals,
    /// Who may approve it.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub approvers: Principals,
    /// Duration used when a request gives none.
    #[serde(default = "defaults::default_duration")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub default_duration_minutes: u32,
    /// Longest duration one request may ask for.
    #[serde(default = "defaults::max_duration")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub max_duration_minutes: u32,
    /// Distinct approvals needed for a request, and again for each extension.
    #[serde(default = "defaults::required_approvals")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub required_approvals: u32,
    /// Most approved extensions per grant.
    #[serde(default = "defaults::max_extensions")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub max_extensions: u32,
    /// Longest total window, extensions included. Defaults to the longest duration times
    /// one plus the number of extensions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub max_total_minutes: Option<u32>,
    /// How far ahead a start may be scheduled.
    #[serde(default = "defaults::max_start_ahead")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub max_start_ahead_minutes: u32,
    /// A request not approved this long after its requested start expires.
    #[serde(default = "defaults::approval_deadline")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub approval_deadline_minutes: u32,
    /// Whether a justification is needed, and how long.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub justification: JustificationRule,
    /// Accounts that may activate without approval; every such activation raises an alert.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub break_glass: Vec<AccountId>,
    /// Activate automatically at the window start instead of waiting for the requester.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub auto_activate: bool,
    /// Accounts allowed to hold this target permanently without being drift (integrations).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub standing_holders: Vec<AccountId>,
    /// Most approvers mentioned by name (and so notified by Jira) when a request arrives and
    /// when it is reminded about; the rest see it in their queue.
    #[serde(default = "defaults::max_approvers_notified")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub max_approvers_notified: u32,
    /// Minutes before the approval deadline at which the approvers who have not approved yet
    /// are reminded; 0 sends no reminder, and neither does a reminder that would fall before the
    /// request arrived.
    #[serde(default = "defaults::approval_reminder_before")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub approval_reminder_before_minutes: u32,
    /// Minutes before the window ends at which the requester is warned, with the way to ask
    /// for more time; 0 sends no warning, and neither does a warning that would fall before the
    /// activation (a window shorter than the warning).
    #[serde(default = "defaults::window_end_warning")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub window_end_warning_minutes: u32,
}

impl Target {
    /// The longest total window, extensions included.
    pub fn max_total(&self) -> u64 {
        self.max_total_minutes.map(u64::from).unwrap_or_else(|| {
            u64::from(self.max_duration_minutes)
                .saturating_mul(u64::from(self.max_extensions).saturating_add(1))
        })
    }
}

/// What a target grants, in the organizations API's own terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum Access {
    /// The org-level role `atlassian/org-admin` (user role-assignments API).
    #[serde(rename_all = "camelCase")]
    OrgRole {
        /// Always `atlassian/org-admin`.
        role: String,
    },
    /// A platform role on a resource (roles API): site admin on a site, product admin or
    /// user-access admin on a product.
    #[serde(rename_all = "camelCase")]
    ResourceRole {
        /// One of [`RESOURCE_ROLES`].
        role: String,
        /// The resource ARI, e.g. `ari:cloud:jira::site/1`.
        resource: String,
    },
    /// Membership of a product admin group (orgs still on groups).
    #[serde(rename_all = "camelCase")]
    GroupMembership {
        /// The group id.
        group_id: String,
        /// The group's name, for people.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        group_name: Option<String>,
    },
}

impl Access {
    /// Whether this access makes its holder an organization admin.
    pub fn is_org_admin(&self) -> bool {
        matches!(self, Self::OrgRole { .. })
    }

    /// Whether two accesses give the same right: the same kind, role, resource or group. A
    /// group's display name is only a label and does not count.
    pub fn same_as(&self, other: &Access) -> bool {
        match (self, other) {
            (Self::OrgRole { role: a }, Self::OrgRole { role: b }) => a == b,
            (
                Self::ResourceRole {
                    role: a,
                    resource: ra,
                },
                Self::ResourceRole {
                    role: b,
                    resource: rb,
                },
            ) => a == b && ra == rb,
            (
                Self::GroupMembership { group_id: a, .. },
                Self::GroupMembership { group_id: b, .. },
            ) => a == b,
            _ => false,
        }
    }

    /// A short description for comments and audit.
    pub fn describe(&self) -> String {
        match self {
            Self::OrgRole { role } => format!("role {role}"),
            Self::ResourceRole { role, resource } => format!("role {role} on {resource}"),
            Self::GroupMembership {
                group_id,
                group_name,
            } => match group_name {
                Some(name) => format!("membership of group {name}"),
                None => format!("membership of group {group_id}"),
            },
        }
    }
}

/// A set of people, by account id and by group id.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Principals {
    /// Individual accounts.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub account_ids: Vec<AccountId>,
    /// Groups; the wrapper passes the actor's group ids with each event.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub group_ids: Vec<String>,
}

impl Principals {
    /// Whether nobody is listed.
    pub fn is_empty(&self) -> bool {
        self.account_ids.is_empty() && self.group_ids.is_empty()
    }
}

/// Whether a justification is required and how long it must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JustificationRule {
    /// Whether one is required.
    #[serde(default = "defaults::yes")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub required: bool,
    /// Minimum length in characters, after trimming.
    #[serde(default = "defaults::min_justification")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub min_length: u32,
}

impl Default for JustificationRule {
    fn default() -> Self {
        Self {
            required: true,
            min_length: defaults::min_justification(),
        }
    }
}

impl Policy {
    /// The target with this key.
    pub fn target(&self, key: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.key == key)
    }

    /// Whether this account is a permanent admin.
    pub fn is_permanent(&self, account: &str) -> bool {
        self.permanent_admins.iter().any(|a| a == account)
    }

    /// The service account with this id.
    pub fn service_account(&self, account: &str) -> Option<&ServiceAccount> {
        self.service_accounts
            .iter()
            .find(|s| s.account_id == account)
    }
}

mod defaults {
    pub fn max_permanent_admins() -> u32 {
        3
    }
    pub fn min_org_admins() -> u32 {
        1
    }
    pub fn default_duration() -> u32 {
        60
    }
    pub fn max_duration() -> u32 {
        240
    }
    pub fn required_approvals() -> u32 {
        1
    }
    pub fn max_extensions() -> u32 {
        2
    }
    pub fn max_start_ahead() -> u32 {
        7 * 24 * 60
    }
    pub fn approval_deadline() -> u32 {
        24 * 60
    }
    pub fn yes() -> bool {
        true
    }
    pub fn min_justification() -> u32 {
        10
    }
    pub fn max_approvers_notified() -> u32 {
        5
    }
    pub fn approval_reminder_before() -> u32 {
        60
    }
    pub fn window_end_warning() -> u32 {
        10
    }
}
