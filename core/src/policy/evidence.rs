//! The evidence-pack settings of the policy: whether to collect what an elevated person did in the
//! organization's audit log, how far past the revoke to look, and which audit-log actions are
//! high-risk (an alert when done while elevated).

use serde::{Deserialize, Serialize};

use crate::limits::id_problem;

/// The audit-log actions treated as high-risk when the policy names none: an API key created,
/// another admin added, a policy or authentication change, a user deleted or deactivated.
///
/// Atlassian documents the audit log's activities by their display names only ("Created admin
/// API key", support.atlassian.com "Audit log activities database"); the `action` ids below are
/// the ones the emulator writes. An admin checks them against the organization's own list
/// (`GET /v1/orgs/{orgId}/event-actions`). A trailing `*` matches any action starting with the rest.
pub const DEFAULT_HIGH_RISK_ACTIONS: [&str; 8] = [
    "api_key_created",
    "org_admin_role_granted",
    "site_admin_role_granted",
    "user_role_granted",
    "authentication_policy_*",
    "policy_*",
    "user_deleted",
    "user_deactivated",
];

/// Most entries in `highRiskActions`.
pub const MAX_HIGH_RISK_ACTIONS: usize = 100;
/// Longest look past the revoke, in minutes (a day).
pub const MAX_AFTER_REVOKE_MINUTES: u32 = 24 * 60;

/// What the app collects from the organization's audit log when a grant ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EvidenceSettings {
    /// Whether an ended grant that was activated gets an evidence pack.
    #[serde(default = "yes")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub enabled: bool,
    /// Minutes after the confirmed revoke that the pack still covers (audit-log events of actions
    /// started just before the revoke can carry a later time).
    #[serde(default = "after_revoke")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub after_revoke_minutes: u32,
    /// Audit-log action ids that raise an alert when the elevated person did one; a trailing `*`
    /// matches a prefix.
    #[serde(default = "default_high_risk")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub high_risk_actions: Vec<String>,
}

impl Default for EvidenceSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            after_revoke_minutes: after_revoke(),
            high_risk_actions: default_high_risk(),
        }
    }
}

impl EvidenceSettings {
    /// Whether these are the defaults (left out when the policy is written).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Whether an audit-log action is high-risk under these settings.
    pub fn is_high_risk(&self, action: &str) -> bool {
        self.high_risk_actions
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => action.starts_with(prefix),
                None => action == pattern,
            })
    }

    /// Every problem in these settings, as `(field, code, message)`.
    pub fn problems(&self) -> Vec<(String, &'static str, String)> {
        let mut out = Vec::new();
        if self.after_revoke_minutes > MAX_AFTER_REVOKE_MINUTES {
            out.push((
                "afterRevokeMinutes".to_owned(),
                "OUT_OF_RANGE",
                format!("must be at most {MAX_AFTER_REVOKE_MINUTES}"),
            ));
        }
        if self.high_risk_actions.len() > MAX_HIGH_RISK_ACTIONS {
            out.push((
                "highRiskActions".to_owned(),
                "TOO_MANY",
                format!("at most {MAX_HIGH_RISK_ACTIONS} actions"),
            ));
        }
        for (i, action) in self
            .high_risk_actions
            .iter()
            .enumerate()
            .take(MAX_HIGH_RISK_ACTIONS)
        {
            let at = format!("highRiskActions[{i}]");
            if let Some(problem) = id_problem(action) {
                out.push((at, "BAD_ID", problem));
            } else if action == "*" {
                out.push((
                    at,
                    "BAD_ID",
                    "`*` alone would call every action high-risk; name a prefix".to_owned(),
                ));
            } else if self.high_risk_actions.iter().take(i).any(|a| a == action) {
                out.push((at, "DUPLICATE", format!("`{action}` is listed twice")));
            }
        }
        out
    }
}

fn yes() -> bool {
    true
}

fn after_revoke() -> u32 {
    5
}

fn default_high_risk() -> Vec<String> {
    DEFAULT_HIGH_RISK_ACTIONS
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}
