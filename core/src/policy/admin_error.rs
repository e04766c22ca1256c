//! Why an admin-page call or a policy change is refused: typed errors with stable codes, and
//! which of them are worth an audit record.

use thiserror::Error;

use crate::error::ErrorBody;

/// Why an admin-page call or a policy change is refused. Codes are stable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AdminError {
    /// The caller does not hold Jira's global permission `ADMINISTER`.
    #[error("`{account}` is not a Jira administrator (Jira global permission ADMINISTER)")]
    NotJiraAdmin {
        /// The caller.
        account: String,
    },
    /// Jira could not be asked whether the caller is a Jira admin: refused, never assumed.
    #[error("could not confirm with Jira that `{account}` is a Jira administrator; try again")]
    PermissionUnknown {
        /// The caller.
        account: String,
    },
    /// Only a permanent admin of the policy in force may change it.
    #[error("only a permanent admin of the policy in force can change it")]
    NotAuthorized,
    /// `BOOTSTRAP_ADMINS` is set and does not name the caller.
    #[error("only the bootstrap admins named by the deployer (BOOTSTRAP_ADMINS) can save the first policy")]
    NotBootstrapAdmin,
    /// The first policy's saver is not an org admin today.
    #[error("`{account}` is not an org admin today, as the organizations API shows; the first policy can only be saved by a Jira admin who is an org admin (or by an account named in BOOTSTRAP_ADMINS)")]
    NotOrgAdmin {
        /// The caller.
        account: String,
    },
    /// The org admins could not be read, so a rule that needs them cannot be checked.
    #[error("the org admins could not be read from the organizations API, so {what} cannot be checked; nothing was changed, try again")]
    OrgAdminsUnknown {
        /// What could not be checked.
        what: String,
    },
    /// No permanent admin in the saved policy holds org admin today.
    #[error("none of the permanent admins listed ({listed}) holds org admin today, as the organizations API shows; list at least one account that does")]
    NoOrgAdminListed {
        /// The listed accounts.
        listed: String,
    },
    /// The saver removes themself from the permanent admins.
    #[error("`{account}` cannot remove themself from the permanent admins; another permanent admin has to propose that")]
    SelfRemoval {
        /// The caller.
        account: String,
    },
    /// A guard-rail change is already waiting.
    #[error("a guard-rail change proposed by `{proposer}` (`{id}`) is waiting for approval; approve or withdraw it first")]
    ChangePending {
        /// The pending change.
        id: String,
        /// Its proposer.
        proposer: String,
    },
    /// The named change is not the one pending.
    #[error("there is no pending policy change `{id}`")]
    NoPendingChange {
        /// The change named.
        id: String,
    },
    /// The proposer tried to approve their own change.
    #[error("`{account}` proposed this change; another permanent admin must approve it")]
    SelfApproval {
        /// The caller.
        account: String,
    },
    /// The caller may not approve this change.
    #[error("`{account}` may not approve this change: {why}")]
    NotApprover {
        /// The caller.
        account: String,
        /// Who may.
        why: String,
    },
    /// Only the proposer may withdraw a change.
    #[error("only `{proposer}`, who proposed it, can withdraw this change")]
    NotProposer {
        /// The proposer.
        proposer: String,
    },
    /// The policy was changed after the proposal.
    #[error("the policy changed since this change was proposed (version {base}, now {current}); propose it again against the current policy")]
    ChangeStale {
        /// The version it was proposed against.
        base: u64,
        /// The version in force.
        current: u64,
    },
    /// The proposal waited too long.
    #[error("this change expired at {at} without a second approval; propose it again")]
    ChangeExpired {
        /// When it expired.
        at: String,
    },
    /// The policy has problems.
    #[error("the policy has {count} problem(s)")]
    InvalidPolicy {
        /// How many.
        count: usize,
        /// The first problem's path.
        path: Option<String>,
    },
    /// The draft was made from an older version.
    #[error("the policy was saved by someone else since you loaded it (version {current}); reload and reapply your change")]
    StalePolicy {
        /// The version in force.
        current: u64,
    },
}

impl AdminError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotJiraAdmin { .. } => "NOT_JIRA_ADMIN",
            Self::PermissionUnknown { .. } => "PERMISSION_UNKNOWN",
            Self::NotAuthorized => "NOT_AUTHORIZED",
            Self::NotBootstrapAdmin => "NOT_BOOTSTRAP_ADMIN",
            Self::NotOrgAdmin { .. } => "NOT_ORG_ADMIN",
            Self::OrgAdminsUnknown { .. } => "ORG_ADMINS_UNKNOWN",
            Self::NoOrgAdminListed { .. } => "NO_ORG_ADMIN_LISTED",
            Self::SelfRemoval { .. } => "SELF_REMOVAL",
            Self::ChangePending { .. } => "CHANGE_PENDING",
            Self::NoPendingChange { .. } => "NO_PENDING_CHANGE",
            Self::SelfApproval { .. } => "SELF_APPROVAL",
            Self::NotApprover { .. } => "NOT_APPROVER",
            Self::NotProposer { .. } => "NOT_PROPOSER",
            Self::ChangeStale { .. } => "CHANGE_STALE",
            Self::ChangeExpired { .. } => "CHANGE_EXPIRED",
            Self::InvalidPolicy { .. } => "INVALID_POLICY",
            Self::StalePolicy { .. } => "STALE_POLICY",
        }
    }

    /// As a plain `{code, message, path}`.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code().to_owned(),
            message: self.to_string(),
            path: match self {
                Self::InvalidPolicy { path, .. } => path.clone(),
                _ => None,
            },
        }
    }

    /// Whether the refusal is worth an audit record: refusals about who, about a dangerous
    /// change, or that end a pending change are; a draft with problems, an outdated draft or an
    /// unreadable org are not.
    pub(super) fn audited(&self) -> bool {
        !matches!(
            self,
            Self::PermissionUnknown { .. }
                | Self::OrgAdminsUnknown { .. }
                | Self::ChangePending { .. }
                | Self::NoPendingChange { .. }
                | Self::InvalidPolicy { .. }
                | Self::StalePolicy { .. }
        )
    }
}
