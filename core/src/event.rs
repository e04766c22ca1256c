//! Events: everything that can happen to a grant, from people, timers and action results.

use serde::{Deserialize, Serialize};

use crate::action::{Action, ActionError};
use crate::policy::AccountId;

/// An event for `decide`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum Event {
    /// The actor asks for access. Creates the grant.
    #[serde(rename_all = "camelCase")]
    Submit {
        /// The new grant's id, chosen by the wrapper.
        grant_id: String,
        /// The request issue.
        issue_key: String,
        /// The policy target key.
        target: String,
        /// A service account to elevate instead of the actor.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<AccountId>,
        /// RFC 3339 start with offset; absent or `"now"` means now.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start: Option<String>,
        /// Minutes; absent means the target's default.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_minutes: Option<i64>,
        /// Why.
        #[serde(default)]
        justification: String,
    },
    /// An approver approves the request.
    Approve {},
    /// An approver rejects the request.
    #[serde(rename_all = "camelCase")]
    Reject {
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The requester withdraws the request before activation.
    Cancel {},
    /// The requester elevates now (or a break-glass account activates without approval).
    Activate {},
    /// The requester says the work is done.
    Complete {},
    /// An approver or permanent admin ends the grant.
    #[serde(rename_all = "camelCase")]
    Revoke {
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The requester asks for more time.
    #[serde(rename_all = "camelCase")]
    RequestExtension {
        /// Minutes to add.
        minutes: i64,
        /// Why.
        #[serde(default)]
        justification: String,
    },
    /// An approver approves the pending extension.
    ApproveExtension {},
    /// An approver rejects the pending extension.
    #[serde(rename_all = "camelCase")]
    RejectExtension {
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Time passed: apply whatever is due (deadlines, window start and end, retries).
    Tick {},
    /// An action succeeded (for a revoke: and was read back).
    #[serde(rename_all = "camelCase")]
    ActionSucceeded {
        /// The action as it was issued.
        action: Action,
    },
    /// An action failed.
    #[serde(rename_all = "camelCase")]
    ActionFailed {
        /// The action as it was issued.
        action: Action,
        /// Why.
        error: ActionError,
    },
}

impl Event {
    /// The event's name as it appears in audit records and views.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Submit { .. } => "submitRequest",
            Self::Approve {} => "approve",
            Self::Reject { .. } => "reject",
            Self::Cancel {} => "cancel",
            Self::Activate {} => "activate",
            Self::Complete {} => "complete",
            Self::Revoke { .. } => "revoke",
            Self::RequestExtension { .. } => "requestExtension",
            Self::ApproveExtension {} => "approveExtension",
            Self::RejectExtension { .. } => "rejectExtension",
            Self::Tick {} => "tick",
            Self::ActionSucceeded { .. } => "actionSucceeded",
            Self::ActionFailed { .. } => "actionFailed",
        }
    }

    /// Whether a person (rather than the system) must be behind this event.
    pub fn needs_actor(&self) -> bool {
        !matches!(
            self,
            Self::Tick {} | Self::ActionSucceeded { .. } | Self::ActionFailed { .. }
        )
    }
}
