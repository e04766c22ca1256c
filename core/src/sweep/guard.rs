//! The revocation guard: the last check before any revoke is executed, on a fresh read — never a
//! permanent admin, never access a grant covers now, never below the admin floor.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::grant::Grant;
use crate::policy::Policy;
use crate::sweep::snapshot::TargetHolders;

/// Input of `guard_revocation`: a revoke about to be executed and a fresh read of the org admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuardInput {
    /// The current policy.
    pub policy: Policy,
    /// The revoke action about to be executed.
    pub action: Action,
    /// Who holds the org admin role right now; needed only when the action revokes it. An
    /// incomplete read still counts: the admins it confirms are a lower bound.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub org_admins: Option<TargetHolders>,
    /// The grants of the account for the action's target, read just now: a sweep's revoke
    /// decided minutes ago must not remove access that a grant has given since.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub grants: Vec<Grant>,
}

/// Whether a revoke may go ahead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct GuardOutcome {
    /// Whether to execute it.
    pub allowed: bool,
    /// Why not: a stable code (`ADMIN_FLOOR`, `PERMANENT_ADMIN`, `HOLDERS_UNKNOWN`,
    /// `COVERED_BY_GRANT`) and a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub reason: Option<crate::error::ErrorBody>,
    /// The revoke is no longer wanted (a grant covers the access now): drop it, do not retry.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub obsolete: bool,
}

/// The last check before a revoke is executed: it never removes a permanent admin, never access
/// that a grant covers now (for the sweep's revokes), and never an org admin whose removal would
/// leave fewer org admins than the floor, judged on a fresh read. The wrapper reports a refusal
/// back to `decide` as a retryable failure, so the revoke is retried with back-off and alerted,
/// rather than dropped; an obsolete revoke is dropped.
pub fn guard_revocation(input: &GuardInput) -> GuardOutcome {
    let refuse = |code: &str, message: String| GuardOutcome {
        allowed: false,
        reason: Some(crate::error::ErrorBody {
            code: code.to_owned(),
            message,
            path: None,
        }),
        obsolete: false,
    };
    let allow = GuardOutcome {
        allowed: true,
        reason: None,
        obsolete: false,
    };
    let Action::Revoke {
        access,
        account_id,
        grant_id,
        target,
        ..
    } = &input.action
    else {
        return allow;
    };
    if input.policy.is_permanent(account_id) {
        return refuse(
            "PERMANENT_ADMIN",
            format!("`{account_id}` is a permanent admin and is never revoked"),
        );
    }
    if grant_id.is_none() {
        if let Some(g) = input
            .grants
            .iter()
            .find(|g| g.subject == *account_id && g.target == *target && g.covers_holding())
        {
            return GuardOutcome {
                obsolete: true,
                ..refuse(
                    "COVERED_BY_GRANT",
                    format!("grant `{}` gives `{account_id}` this access now", g.id),
                )
            };
        }
    }
    if !access.is_org_admin() {
        return allow;
    }
    let Some(admins) = input.org_admins.as_ref() else {
        return refuse(
            "HOLDERS_UNKNOWN",
            "the org admins could not be read; not revoking org admin blind".into(),
        );
    };
    let others: BTreeSet<&str> = admins
        .holders
        .iter()
        .map(String::as_str)
        .filter(|h| *h != account_id.as_str())
        .collect();
    let min = usize::try_from(input.policy.min_org_admins.max(1)).unwrap_or(usize::MAX);
    if others.len() >= min {
        return allow;
    }
    if !admins.complete {
        return refuse(
            "HOLDERS_UNKNOWN",
            format!(
                "only {} other org admin(s) could be confirmed and {min} must remain; not revoking until the org admins can be read",
                others.len()
            ),
        );
    }
    refuse(
        "ADMIN_FLOOR",
        format!(
            "revoking `{account_id}` would leave {} org admin(s); at least {min} must remain",
            others.len()
        ),
    )
}
