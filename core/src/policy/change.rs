//! Guarding the guard: who may use the admin page, who may change the policy, and the two-person
//! rule for the policy's guard rails.
//!
//! The policy decides who may become org admin, so it is the first thing an attacker goes for.
//! Two entry points decide everything about it; the wrapper only looks the facts up:
//!
//! - [`authorize_admin`]: the gate in front of every admin-page call. Every call needs Jira's
//!   global permission `ADMINISTER` (asked of Jira as the caller); changing the policy needs a
//!   permanent admin of the policy in force, approving a change a second person, withdrawing it
//!   its proposer. It also says which policy buttons the caller may see.
//! - [`policy_change`]: a save, an approval or a withdrawal. A save that changes a guard rail
//!   ([`GUARD_RAILS`]) does not take effect: it becomes a pending change that another permanent
//!   admin approves. Saves that would leave nobody in charge (no listed account is an org admin
//!   today; the saver removes themself) are refused outright. The first policy may be saved only
//!   by a Jira admin who is an org admin today, or by a deployer-named bootstrap admin.
//!
//! Accounts that an approved change drops from the permanent admins keep a grace period
//! ([`GRACE_DAYS`]) in which the sweep reports but never revokes them.

#![allow(
    clippy::result_large_err,
    reason = "called once per admin call; a refusal carries its audit record by value, as decide's does"
)]

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::audit::{chain, AuditEntry, AuditHead, AuditOutcome, AuditRecord};
use crate::error::ErrorBody;
use crate::policy::validation::{validate, PolicyProblem};
use crate::policy::{AccountId, Policy};
use crate::time::Timestamp;

/// How long a proposed guard-rail change waits for its second permanent admin.
pub const CHANGE_TTL_HOURS: i64 = 72;
/// How long an account dropped from the permanent admins is kept from enforce-mode revocation.
pub const GRACE_DAYS: i64 = 7;

/// The guard rails: a change to any of these needs a second permanent admin's approval.
///
/// They are the settings that decide who keeps admin rights for good, how many org admins must
/// remain, whether drift is revoked, who may skip approval, who may approve, and which holders
/// are exempt from drift — each of them enough, on its own, to take over or lock out the org.
pub const GUARD_RAILS: [&str; 10] = [
    "permanentAdmins",
    "maxPermanentAdmins",
    "minOrgAdmins",
    "driftMode",
    "targets (adding or removing one)",
    "targets.*.access",
    "targets.*.approvers",
    "targets.*.requiredApprovals",
    "targets.*.breakGlass",
    "targets.*.standingHolders",
];

/// Top-level policy fields that are guard rails.
const GUARD_FIELDS: [&str; 4] = [
    "permanentAdmins",
    "maxPermanentAdmins",
    "minOrgAdmins",
    "driftMode",
];
/// Target fields that are guard rails.
const GUARD_TARGET_FIELDS: [&str; 5] = [
    "access",
    "approvers",
    "requiredApprovals",
    "breakGlass",
    "standingHolders",
];

/// The admin page's resolver calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AdminCall {
    /// The policy, its pending change and what the caller may do with them.
    GetPolicy,
    /// Problems in a draft policy.
    ValidatePolicy,
    /// Grants (with their justifications).
    ListGrants,
    /// The audit trail, verified from the genesis.
    GetAudit,
    /// The audit trail as a file.
    ExportAudit,
    /// The last sweep's findings.
    GetDrift,
    /// Alerts.
    GetAlerts,
    /// Who held what, when.
    GetHoldings,
    /// Saves a policy (applied, or proposed for a second approval).
    SavePolicy,
    /// Approves a pending guard-rail change.
    ApprovePolicyChange,
    /// Withdraws a pending guard-rail change.
    WithdrawPolicyChange,
}

/// The policy as stored, with the facts its changes need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    pub approved_by: Option<AccountId>,
    /// Accounts recently dropped from the permanent admins (see [`GRACE_DAYS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub former_permanent_admins: Vec<FormerPermanentAdmin>,
}

/// An account an approved change dropped from the permanent admins, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// One changed setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyDiff {
    /// `minOrgAdmins`, `targets.org-admin` (added or removed), `targets.org-admin.approvers`.
    pub path: String,
    /// Whether it is a guard rail.
    pub guard_rail: bool,
    /// The value before (`null`: absent).
    #[serde(default)]
    pub before: Value,
    /// The value after (`null`: absent).
    #[serde(default)]
    pub after: Value,
}

/// The org admins as just read from the organizations API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrgAdminsRead {
    /// False when the read failed or stopped early: `holders` is then a lower bound.
    pub complete: bool,
    /// Accounts confirmed to hold the org admin role.
    #[serde(default)]
    pub holders: Vec<AccountId>,
}

// ---- errors ---------------------------------------------------------------------------------

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
    fn audited(&self) -> bool {
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

// ---- the gate -------------------------------------------------------------------------------

/// Input of [`authorize_admin`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdminAccessInput {
    /// The call.
    pub call: AdminCall,
    /// The caller (the platform's account id).
    pub actor: AccountId,
    /// Whether the caller holds Jira's `ADMINISTER`, asked of Jira as the caller; `null` (or
    /// absent) when the lookup failed.
    #[serde(default)]
    pub jira_admin: Option<bool>,
    /// The policy as stored, if any.
    #[serde(default)]
    pub current: Option<PolicyState>,
    /// The pending guard-rail change, if any.
    #[serde(default)]
    pub pending: Option<PendingPolicyChange>,
    /// The deployer's `BOOTSTRAP_ADMINS`.
    #[serde(default)]
    pub bootstrap_admins: Vec<AccountId>,
    /// The current time.
    pub now: Timestamp,
}

/// The answer of [`authorize_admin`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminAccess {
    /// Whether the call may go ahead (a change still goes through [`policy_change`]).
    pub allowed: bool,
    /// Why not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ErrorBody>,
    /// What the caller may do on the policy page.
    pub viewer: AdminViewer,
    /// The pending change's state and who may approve it, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingStatus>,
}

/// The caller's standing, and the policy buttons they get (the server checks again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminViewer {
    /// The caller.
    pub account_id: AccountId,
    /// Whether Jira confirmed `ADMINISTER`.
    pub jira_admin: bool,
    /// Whether the caller is a permanent admin of the policy in force.
    pub permanent_admin: bool,
    /// Saving (applying or proposing).
    pub save: Permission,
    /// Approving the pending change.
    pub approve: Permission,
    /// Withdrawing the pending change.
    pub withdraw: Permission,
}

/// One button: allowed, or the refusal it would get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    /// Whether to offer it.
    pub allowed: bool,
    /// Why not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ErrorBody>,
}

/// Where a pending change stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingStatus {
    /// `open`, `stale` (the policy changed since) or `expired`.
    pub state: PendingState,
    /// Who may approve it.
    pub approvers: Approvers,
}

/// Whether a pending change can still be approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PendingState {
    /// Waiting for approval.
    Open,
    /// The policy changed since it was proposed; it can only be withdrawn.
    Stale,
    /// It waited longer than [`CHANGE_TTL_HOURS`].
    Expired,
}

/// Who may approve a pending change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Approvers {
    /// The other permanent admins, and the bootstrap admins (never the proposer).
    pub account_ids: Vec<AccountId>,
    /// With a single permanent admin: also any Jira admin who is an org admin today.
    pub org_admins_may_approve: bool,
}

/// What the caller may do, and whether this call may go ahead. Every call needs Jira's
/// `ADMINISTER` (a failed lookup refuses); saving needs a permanent admin of the policy in force
/// (or, for the first policy, a bootstrap admin when the deployer named any); approving needs
/// someone other than the proposer who may approve; withdrawing needs the proposer. Rules that
/// need a fresh org read (the first saver or a lone admin's approver being an org admin today)
/// are [`policy_change`]'s.
pub fn authorize_admin(input: &AdminAccessInput) -> AdminAccess {
    let ctx = Ctx {
        actor: &input.actor,
        jira_admin: input.jira_admin,
        current: input.current.as_ref().map(|s| &s.policy),
        pending: input.pending.as_ref(),
        bootstrap: &input.bootstrap_admins,
    };
    let permission = |call: AdminCall| match gate(call, &ctx, None) {
        Ok(_) => Permission {
            allowed: true,
            reason: None,
        },
        Err(e) => Permission {
            allowed: false,
            reason: Some(e.to_body()),
        },
    };
    let decided = permission(input.call);
    let pending = input.pending.as_ref().map(|p| PendingStatus {
        state: pending_state(p, input.current.as_ref(), input.now),
        approvers: approvers(p, ctx.current, ctx.bootstrap),
    });
    AdminAccess {
        allowed: decided.allowed,
        reason: decided.reason,
        viewer: AdminViewer {
            account_id: input.actor.clone(),
            jira_admin: input.jira_admin == Some(true),
            permanent_admin: ctx.current.is_some_and(|p| p.is_permanent(&input.actor)),
            save: permission(AdminCall::SavePolicy),
            approve: permission(AdminCall::ApprovePolicyChange),
            withdraw: permission(AdminCall::WithdrawPolicyChange),
        },
        pending,
    }
}

struct Ctx<'a> {
    actor: &'a str,
    jira_admin: Option<bool>,
    current: Option<&'a Policy>,
    pending: Option<&'a PendingPolicyChange>,
    bootstrap: &'a [AccountId],
}

/// How an approver qualifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// Another permanent admin, or a bootstrap admin.
    Named,
    /// The policy has a single permanent admin: the approver must be an org admin today.
    IfOrgAdmin,
}

/// The rules that need no org read. `change_id` is the pending change a call names.
fn gate(call: AdminCall, ctx: &Ctx, change_id: Option<&str>) -> Result<Standing, AdminError> {
    let account = ctx.actor.to_owned();
    match ctx.jira_admin {
        Some(true) => {}
        Some(false) => return Err(AdminError::NotJiraAdmin { account }),
        None => return Err(AdminError::PermissionUnknown { account }),
    }
    let pending = || match (ctx.pending, change_id) {
        (Some(p), Some(id)) if p.id != id => Err(AdminError::NoPendingChange { id: shown(id) }),
        (Some(p), _) => Ok(p),
        (None, id) => Err(AdminError::NoPendingChange {
            id: id.unwrap_or("(none)").to_owned(),
        }),
    };
    match call {
        AdminCall::GetPolicy
        | AdminCall::ValidatePolicy
        | AdminCall::ListGrants
        | AdminCall::GetAudit
        | AdminCall::ExportAudit
        | AdminCall::GetDrift
        | AdminCall::GetAlerts
        | AdminCall::GetHoldings => Ok(Standing::Named),
        AdminCall::SavePolicy => match ctx.current {
            Some(p) if !p.is_permanent(ctx.actor) => Err(AdminError::NotAuthorized),
            None if !ctx.bootstrap.is_empty() && !ctx.bootstrap.iter().any(|a| a == ctx.actor) => {
                Err(AdminError::NotBootstrapAdmin)
            }
            _ => Ok(Standing::Named),
        },
        AdminCall::ApprovePolicyChange => {
            let p = pending()?;
            if p.proposer == ctx.actor {
                return Err(AdminError::SelfApproval { account });
            }
            let others = others(p, ctx.current);
            if others.contains(&ctx.actor) || ctx.bootstrap.iter().any(|a| a == ctx.actor) {
                Ok(Standing::Named)
            } else if others.is_empty() {
                Ok(Standing::IfOrgAdmin)
            } else {
                Err(AdminError::NotApprover {
                    account,
                    why: format!(
                        "only another permanent admin ({}) can approve it",
                        list(&others)
                    ),
                })
            }
        }
        AdminCall::WithdrawPolicyChange => {
            let p = pending()?;
            if p.proposer == ctx.actor {
                Ok(Standing::Named)
            } else {
                Err(AdminError::NotProposer {
                    proposer: p.proposer.clone(),
                })
            }
        }
    }
}

/// The permanent admins of the policy in force other than the proposer.
fn others<'a>(p: &PendingPolicyChange, current: Option<&'a Policy>) -> Vec<&'a str> {
    current
        .map(|c| {
            c.permanent_admins
                .iter()
                .map(String::as_str)
                .filter(|a| *a != p.proposer)
                .collect()
        })
        .unwrap_or_default()
}

fn approvers(
    p: &PendingPolicyChange,
    current: Option<&Policy>,
    bootstrap: &[AccountId],
) -> Approvers {
    let named = others(p, current);
    let org_admins_may_approve = named.is_empty();
    let mut account_ids: Vec<AccountId> = named.into_iter().map(str::to_owned).collect();
    for b in bootstrap {
        if *b != p.proposer && !account_ids.contains(b) {
            account_ids.push(b.clone());
        }
    }
    Approvers {
        account_ids,
        org_admins_may_approve,
    }
}

fn pending_state(
    p: &PendingPolicyChange,
    current: Option<&PolicyState>,
    now: Timestamp,
) -> PendingState {
    if now >= p.expires_at {
        PendingState::Expired
    } else if current.map_or(0, |c| c.version) != p.base_version {
        PendingState::Stale
    } else {
        PendingState::Open
    }
}

/// A change id as the caller sent it, fit to quote in a message (whatever its length or content).
fn shown(id: &str) -> String {
    match crate::limits::id_problem(id) {
        None => id.to_owned(),
        Some(_) => {
            let mut short: String = id.chars().filter(|c| !c.is_control()).take(40).collect();
            short.push('…');
            short
        }
    }
}

fn list(accounts: &[&str]) -> String {
    accounts
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---- changes ----------------------------------------------------------------------------------

/// What a policy change asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum PolicyCommand {
    /// Save a policy: applied when it changes no guard rail (or is the first), proposed otherwise.
    #[serde(rename_all = "camelCase")]
    Save {
        /// The policy as the admin page sent it (read here, so a bad one is reported at its path).
        policy: Value,
        /// The version the draft was made from; a newer one refuses the save.
        #[serde(default)]
        expected_version: Option<u64>,
    },
    /// Approve the pending change.
    #[serde(rename_all = "camelCase")]
    Approve {
        /// The change, as the approver saw it.
        change_id: String,
    },
    /// Withdraw the pending change.
    #[serde(rename_all = "camelCase")]
    Withdraw {
        /// The change, as the proposer saw it.
        change_id: String,
    },
}

impl PolicyCommand {
    fn call(&self) -> AdminCall {
        match self {
            Self::Save { .. } => AdminCall::SavePolicy,
            Self::Approve { .. } => AdminCall::ApprovePolicyChange,
            Self::Withdraw { .. } => AdminCall::WithdrawPolicyChange,
        }
    }

    fn event(&self) -> &'static str {
        match self {
            Self::Save { .. } => "policyChange",
            Self::Approve { .. } => "approvePolicyChange",
            Self::Withdraw { .. } => "withdrawPolicyChange",
        }
    }
}

/// Input of [`policy_change`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyChangeInput {
    /// What to do.
    pub command: PolicyCommand,
    /// The caller (the platform's account id).
    pub actor: AccountId,
    /// Whether the caller holds Jira's `ADMINISTER` (`null`: the lookup failed).
    #[serde(default)]
    pub jira_admin: Option<bool>,
    /// The org admins, read when an answer asked for them (`needsOrgAdmins`); absent before.
    #[serde(default)]
    pub org_admins: Option<OrgAdminsRead>,
    /// The policy as stored, if any.
    #[serde(default)]
    pub current: Option<PolicyState>,
    /// The pending guard-rail change, if any.
    #[serde(default)]
    pub pending: Option<PendingPolicyChange>,
    /// The deployer's `BOOTSTRAP_ADMINS`.
    #[serde(default)]
    pub bootstrap_admins: Vec<AccountId>,
    /// The current time.
    pub now: Timestamp,
    /// Where the audit records attach.
    #[serde(default)]
    pub audit_head: Option<AuditHead>,
}

/// What became of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ChangeOutcome {
    /// Nothing decided yet: read the org admins (`confirmFirst` first) and ask again.
    NeedsOrgAdmins,
    /// Saved and in force.
    Applied,
    /// Stored as the pending change, waiting for a second permanent admin.
    Proposed,
    /// The pending change was approved and is in force.
    Approved,
    /// The pending change was withdrawn.
    Withdrawn,
}

/// What to do with the stored pending change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PendingWrite {
    /// Leave it.
    Keep,
    /// Remove it.
    Clear,
    /// Store `change` as the pending change.
    Set,
}

/// An accepted change: what to write, in one conditional transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyChangeDecision {
    /// What became of it.
    pub outcome: ChangeOutcome,
    /// For `needsOrgAdmins`: the accounts to confirm first (the read may stop once the answer
    /// is no longer `ORG_ADMINS_UNKNOWN`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confirm_first: Vec<AccountId>,
    /// The policy to store, if written (on the condition that the stored version is unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyState>,
    /// What to do with the pending change (on the condition that it is unchanged).
    pub pending: PendingWrite,
    /// The proposed change (`set`), or the one approved or withdrawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<PendingPolicyChange>,
    /// What the change changes.
    #[serde(default)]
    pub diff: Vec<PolicyDiff>,
    /// Records to append.
    pub audit: Vec<AuditRecord>,
    /// The chain's head after them.
    pub audit_head: AuditHead,
}

/// A refused change: the refusal's audit record and what happens to the pending change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyChangeRefusal {
    /// Why.
    pub error: AdminError,
    /// The draft's problems, for `INVALID_POLICY`.
    pub problems: Vec<PolicyProblem>,
    /// `clear` when the refusal ends the pending change (stale, expired).
    pub pending: PendingWrite,
    /// The refusal as an audit record (none for a draft with problems and the like).
    pub audit: Vec<AuditRecord>,
    /// The chain's head after them.
    pub audit_head: AuditHead,
}

/// Decides a save, an approval or a withdrawal. See the module documentation for the rules; the
/// order of the checks is: the gate, the draft (readable, valid, not outdated), self-removal,
/// the org facts, then the guard-rail classification.
pub fn policy_change(
    input: &PolicyChangeInput,
) -> Result<PolicyChangeDecision, PolicyChangeRefusal> {
    let ctx = Ctx {
        actor: &input.actor,
        jira_admin: input.jira_admin,
        current: input.current.as_ref().map(|s| &s.policy),
        pending: input.pending.as_ref(),
        bootstrap: &input.bootstrap_admins,
    };
    let change_id = match &input.command {
        PolicyCommand::Save { .. } => None,
        PolicyCommand::Approve { change_id } | PolicyCommand::Withdraw { change_id } => {
            Some(change_id.as_str())
        }
    };
    let refuse = |error: AdminError, details: Map<String, Value>| {
        refusal(input, error, details, Vec::new(), PendingWrite::Keep)
    };
    let standing = match gate(input.command.call(), &ctx, change_id) {
        Ok(s) => s,
        Err(e) => return Err(refuse(e, Map::new())),
    };
    match &input.command {
        PolicyCommand::Save {
            policy,
            expected_version,
        } => save(input, &ctx, policy, *expected_version),
        PolicyCommand::Approve { .. } => approve(input, &ctx, standing),
        PolicyCommand::Withdraw { .. } => {
            let Some(p) = input.pending.as_ref() else {
                return Err(refuse(
                    AdminError::NoPendingChange {
                        id: change_id.unwrap_or_default().to_owned(),
                    },
                    Map::new(),
                ));
            };
            let accepted = Accepted {
                event: "withdrawPolicyChange",
                outcome: ChangeOutcome::Withdrawn,
                policy: None,
                pending: PendingWrite::Clear,
                change: Some(p.clone()),
                diff: p.diff.clone(),
            };
            Ok(decision(input, accepted, change_details(p)))
        }
    }
}

fn save(
    input: &PolicyChangeInput,
    ctx: &Ctx,
    raw: &Value,
    expected_version: Option<u64>,
) -> Result<PolicyChangeDecision, PolicyChangeRefusal> {
    let proposed: Policy = match crate::json::read::read(raw.clone()) {
        Ok(p) => p,
        Err(e) => {
            let body = e.to_body();
            let problem = PolicyProblem {
                path: body.path.clone().unwrap_or_default(),
                code: body.code,
                message: body.message,
            };
            return Err(invalid(input, vec![problem]));
        }
    };
    let problems = validate(&proposed);
    if !problems.is_empty() {
        return Err(invalid(input, problems));
    }
    let current = input.current.as_ref();
    let current_version = current.map_or(0, |c| c.version);
    if expected_version.is_some_and(|v| v != current_version) {
        return Err(refusal(
            input,
            AdminError::StalePolicy {
                current: current_version,
            },
            Map::new(),
            Vec::new(),
            PendingWrite::Keep,
        ));
    }
    let diff = diff(ctx.current, &proposed);
    let details = save_details(ctx.current, &proposed, &diff);
    if ctx.current.is_some_and(|c| c.is_permanent(ctx.actor)) && !proposed.is_permanent(ctx.actor) {
        return Err(refusal(
            input,
            AdminError::SelfRemoval {
                account: ctx.actor.to_owned(),
            },
            details,
            Vec::new(),
            PendingWrite::Keep,
        ));
    }
    // The first policy without deployer-named bootstrap admins: the saver must be an org admin.
    let saver_must_be_org_admin = current.is_none() && ctx.bootstrap.is_empty();
    let must_confirm: Vec<&str> = saver_must_be_org_admin
        .then_some(ctx.actor)
        .into_iter()
        .collect();
    match org_check(
        input,
        &must_confirm,
        &proposed.permanent_admins,
        "the first policy's saver",
    ) {
        OrgCheck::Passed => {}
        OrgCheck::Needs(confirm_first) => return Ok(needs_org_admins(input, confirm_first)),
        OrgCheck::Refused(e) => {
            return Err(refusal(input, e, details, Vec::new(), PendingWrite::Keep));
        }
    }
    let guard_rail = current.is_some() && diff.iter().any(|d| d.guard_rail);
    if !guard_rail {
        let state = PolicyState {
            policy: proposed,
            version: current_version.saturating_add(1),
            updated_at: input.now,
            updated_by: ctx.actor.to_owned(),
            approved_by: None,
            former_permanent_admins: carried_former(current, None, input.now),
        };
        let mut details = details;
        details.insert("version".into(), Value::from(state.version));
        let accepted = Accepted {
            event: "policyChange",
            outcome: ChangeOutcome::Applied,
            policy: Some(state),
            pending: PendingWrite::Keep,
            change: None,
            diff,
        };
        return Ok(decision(input, accepted, details));
    }
    let replaced = match input.pending.as_ref() {
        Some(p) if pending_state(p, current, input.now) == PendingState::Open => {
            return Err(refusal(
                input,
                AdminError::ChangePending {
                    id: p.id.clone(),
                    proposer: p.proposer.clone(),
                },
                Map::new(),
                Vec::new(),
                PendingWrite::Keep,
            ));
        }
        Some(p) => Some(p.id.clone()),
        None => None,
    };
    let change = PendingPolicyChange {
        id: format!("pc-{current_version}-{}", input.now.millis()),
        proposer: ctx.actor.to_owned(),
        proposed_at: input.now,
        expires_at: input
            .now
            .plus_seconds(CHANGE_TTL_HOURS.saturating_mul(3600))
            .unwrap_or(input.now),
        base_version: current_version,
        policy: proposed,
        diff,
    };
    let mut details = details;
    details.insert("changeId".into(), Value::from(change.id.clone()));
    details.insert(
        "expiresAt".into(),
        Value::from(change.expires_at.to_string()),
    );
    details.insert("guardRails".into(), guard_paths(&change.diff));
    if let Some(id) = replaced {
        details.insert("replaced".into(), Value::from(id));
    }
    // A proposal is its own event in the trail: nothing took effect yet.
    let accepted = Accepted {
        event: "proposePolicyChange",
        outcome: ChangeOutcome::Proposed,
        policy: None,
        pending: PendingWrite::Set,
        diff: change.diff.clone(),
        change: Some(change),
    };
    Ok(decision(input, accepted, details))
}

fn approve(
    input: &PolicyChangeInput,
    ctx: &Ctx,
    standing: Standing,
) -> Result<PolicyChangeDecision, PolicyChangeRefusal> {
    let Some(p) = input.pending.as_ref() else {
        return Err(refusal(
            input,
            AdminError::NoPendingChange { id: String::new() },
            Map::new(),
            Vec::new(),
            PendingWrite::Keep,
        ));
    };
    let details = change_details(p);
    let current = input.current.as_ref();
    let current_version = current.map_or(0, |c| c.version);
    let end = |error: AdminError| {
        refusal(
            input,
            error,
            details.clone(),
            Vec::new(),
            PendingWrite::Clear,
        )
    };
    match pending_state(p, current, input.now) {
        PendingState::Expired => {
            return Err(end(AdminError::ChangeExpired {
                at: p.expires_at.to_string(),
            }))
        }
        PendingState::Stale => {
            return Err(end(AdminError::ChangeStale {
                base: p.base_version,
                current: current_version,
            }))
        }
        PendingState::Open => {}
    }
    // Re-validated: the rules may have changed since it was proposed.
    let problems = validate(&p.policy);
    if !problems.is_empty() {
        let error = AdminError::InvalidPolicy {
            count: problems.len(),
            path: problems.first().map(|x| x.path.clone()),
        };
        return Err(refusal(
            input,
            error,
            details,
            problems,
            PendingWrite::Clear,
        ));
    }
    let must_confirm: Vec<&str> = (standing == Standing::IfOrgAdmin)
        .then_some(ctx.actor)
        .into_iter()
        .collect();
    match org_check(
        input,
        &must_confirm,
        &p.policy.permanent_admins,
        "the approver",
    ) {
        OrgCheck::Passed => {}
        OrgCheck::Needs(confirm_first) => return Ok(needs_org_admins(input, confirm_first)),
        OrgCheck::Refused(AdminError::NotOrgAdmin { account }) => {
            let error = AdminError::NotApprover {
                account,
                why: "the policy has a single permanent admin, so the second approver must be a Jira admin who is an org admin today (or an account named in BOOTSTRAP_ADMINS)".into(),
            };
            return Err(refusal(
                input,
                error,
                details,
                Vec::new(),
                PendingWrite::Keep,
            ));
        }
        OrgCheck::Refused(e) => {
            return Err(refusal(input, e, details, Vec::new(), PendingWrite::Keep));
        }
    }
    let state = PolicyState {
        policy: p.policy.clone(),
        version: current_version.saturating_add(1),
        updated_at: input.now,
        updated_by: p.proposer.clone(),
        approved_by: Some(ctx.actor.to_owned()),
        former_permanent_admins: carried_former(current, Some(&p.policy), input.now),
    };
    let mut details = details;
    details.insert("version".into(), Value::from(state.version));
    let dropped: Vec<Value> = state
        .former_permanent_admins
        .iter()
        .filter(|f| f.removed_at == input.now)
        .map(|f| {
            serde_json::json!({
                "accountId": f.account_id,
                "graceUntil": f.grace_until().map(|t| t.to_string()),
            })
        })
        .collect();
    if !dropped.is_empty() {
        details.insert("droppedPermanentAdmins".into(), Value::Array(dropped));
    }
    let accepted = Accepted {
        event: "approvePolicyChange",
        outcome: ChangeOutcome::Approved,
        policy: Some(state),
        pending: PendingWrite::Clear,
        change: Some(p.clone()),
        diff: p.diff.clone(),
    };
    Ok(decision(input, accepted, details))
}

/// The former permanent admins after a change: those still in grace and not listed again, plus
/// (for an approved change) the accounts it drops, from now.
fn carried_former(
    current: Option<&PolicyState>,
    next: Option<&Policy>,
    now: Timestamp,
) -> Vec<FormerPermanentAdmin> {
    let Some(current) = current else {
        return Vec::new();
    };
    let listed = |a: &str| next.unwrap_or(&current.policy).is_permanent(a);
    let mut out: Vec<FormerPermanentAdmin> = current
        .former_permanent_admins
        .iter()
        .filter(|f| f.in_grace(now) && !listed(&f.account_id))
        .cloned()
        .collect();
    if let Some(next) = next {
        for a in &current.policy.permanent_admins {
            if !next.is_permanent(a) {
                out.retain(|f| f.account_id != *a);
                out.push(FormerPermanentAdmin {
                    account_id: a.clone(),
                    removed_at: now,
                });
            }
        }
    }
    out
}

enum OrgCheck {
    Passed,
    Needs(Vec<AccountId>),
    Refused(AdminError),
}

/// The rules that need the org admins: every account in `must_confirm` holds org admin today,
/// and at least one of `listed` does.
fn org_check(
    input: &PolicyChangeInput,
    must_confirm: &[&str],
    listed: &[AccountId],
    who: &str,
) -> OrgCheck {
    let Some(read) = input.org_admins.as_ref() else {
        let mut first: Vec<AccountId> = must_confirm.iter().map(|a| (*a).to_owned()).collect();
        for a in listed {
            if !first.contains(a) {
                first.push(a.clone());
            }
        }
        return OrgCheck::Needs(first);
    };
    let holds = |a: &str| read.holders.iter().any(|h| h == a);
    for a in must_confirm {
        if !holds(a) {
            return OrgCheck::Refused(if read.complete {
                AdminError::NotOrgAdmin {
                    account: (*a).to_owned(),
                }
            } else {
                AdminError::OrgAdminsUnknown {
                    what: format!("whether {who} `{a}` is an org admin"),
                }
            });
        }
    }
    if listed.iter().any(|a| holds(a)) {
        OrgCheck::Passed
    } else if read.complete {
        OrgCheck::Refused(AdminError::NoOrgAdminListed {
            listed: list(&listed.iter().map(String::as_str).collect::<Vec<_>>()),
        })
    } else {
        OrgCheck::Refused(AdminError::OrgAdminsUnknown {
            what: "whether a listed permanent admin is an org admin".into(),
        })
    }
}

fn needs_org_admins(
    input: &PolicyChangeInput,
    confirm_first: Vec<AccountId>,
) -> PolicyChangeDecision {
    PolicyChangeDecision {
        outcome: ChangeOutcome::NeedsOrgAdmins,
        confirm_first,
        policy: None,
        pending: PendingWrite::Keep,
        change: None,
        diff: Vec::new(),
        audit: Vec::new(),
        audit_head: input.audit_head.clone().unwrap_or_default(),
    }
}

fn entry(
    input: &PolicyChangeInput,
    outcome: AuditOutcome,
    details: Map<String, Value>,
) -> AuditEntry {
    AuditEntry {
        at: input.now,
        actor: input.actor.clone(),
        event: input.command.event().to_owned(),
        outcome,
        grant_id: None,
        issue_key: None,
        target: None,
        details,
    }
}

/// The parts of an accepted change.
struct Accepted {
    event: &'static str,
    outcome: ChangeOutcome,
    policy: Option<PolicyState>,
    pending: PendingWrite,
    change: Option<PendingPolicyChange>,
    diff: Vec<PolicyDiff>,
}

fn decision(
    input: &PolicyChangeInput,
    a: Accepted,
    details: Map<String, Value>,
) -> PolicyChangeDecision {
    let Accepted {
        event,
        outcome,
        policy,
        pending,
        change,
        diff,
    } = a;
    let mut record = entry(input, AuditOutcome::Accepted, details);
    event.clone_into(&mut record.event);
    let (audit, audit_head) = chain(&input.audit_head.clone().unwrap_or_default(), vec![record]);
    PolicyChangeDecision {
        outcome,
        confirm_first: Vec::new(),
        policy,
        pending,
        change,
        diff,
        audit,
        audit_head,
    }
}

fn refusal(
    input: &PolicyChangeInput,
    error: AdminError,
    mut details: Map<String, Value>,
    problems: Vec<PolicyProblem>,
    pending: PendingWrite,
) -> PolicyChangeRefusal {
    let entries = if error.audited() || pending == PendingWrite::Clear {
        details.insert("code".into(), Value::from(error.code()));
        details.insert("reason".into(), Value::from(error.to_string()));
        vec![entry(input, AuditOutcome::Refused, details)]
    } else {
        Vec::new()
    };
    let (audit, audit_head) = chain(&input.audit_head.clone().unwrap_or_default(), entries);
    PolicyChangeRefusal {
        error,
        problems,
        pending,
        audit,
        audit_head,
    }
}

fn invalid(input: &PolicyChangeInput, problems: Vec<PolicyProblem>) -> PolicyChangeRefusal {
    let error = AdminError::InvalidPolicy {
        count: problems.len(),
        path: problems.first().map(|p| p.path.clone()),
    };
    refusal(input, error, Map::new(), problems, PendingWrite::Keep)
}

/// The audit details of a save: the permanent admins and drift mode before and after, and the
/// paths that change.
fn save_details(
    before: Option<&Policy>,
    after: &Policy,
    diff: &[PolicyDiff],
) -> Map<String, Value> {
    let drift_mode = |p: Option<&Policy>| {
        p.and_then(|p| serde_json::to_value(p.drift_mode).ok())
            .unwrap_or(Value::Null)
    };
    crate::audit::details([
        (
            "permanentAdminsBefore",
            before.map_or(Value::Null, |p| Value::from(p.permanent_admins.clone())),
        ),
        (
            "permanentAdminsAfter",
            Value::from(after.permanent_admins.clone()),
        ),
        ("driftModeBefore", drift_mode(before)),
        ("driftModeAfter", drift_mode(Some(after))),
        (
            "changed",
            Value::from(diff.iter().map(|d| d.path.clone()).collect::<Vec<_>>()),
        ),
    ])
}

fn change_details(p: &PendingPolicyChange) -> Map<String, Value> {
    crate::audit::details([
        ("changeId", Value::from(p.id.clone())),
        ("proposer", Value::from(p.proposer.clone())),
        ("baseVersion", Value::from(p.base_version)),
        (
            "changed",
            Value::from(p.diff.iter().map(|d| d.path.clone()).collect::<Vec<_>>()),
        ),
        ("guardRails", guard_paths(&p.diff)),
    ])
}

fn guard_paths(diff: &[PolicyDiff]) -> Value {
    Value::from(
        diff.iter()
            .filter(|d| d.guard_rail)
            .map(|d| d.path.clone())
            .collect::<Vec<_>>(),
    )
}

// ---- the diff ---------------------------------------------------------------------------------

/// Every setting `after` changes against `before` (nothing before: everything is new), with
/// lists of ids compared as sets. Targets are matched by key; one added or removed is a single
/// entry. Defaults count as set, so writing out a default changes nothing.
pub fn diff(before: Option<&Policy>, after: &Policy) -> Vec<PolicyDiff> {
    let as_map = |p: Option<&Policy>| -> Map<String, Value> {
        match p.map(json_of) {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        }
    };
    let (old, new) = (as_map(before), as_map(Some(after)));
    let mut out = Vec::new();
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for key in keys {
        if key == "targets" {
            continue;
        }
        let (b, a) = (normal(old.get(key)), normal(new.get(key)));
        if b != a {
            out.push(PolicyDiff {
                path: key.clone(),
                guard_rail: GUARD_FIELDS.contains(&key.as_str()),
                before: b,
                after: a,
            });
        }
    }
    let targets = |m: &Map<String, Value>| -> Vec<(String, Map<String, Value>)> {
        m.get("targets")
            .and_then(Value::as_array)
            .map(|ts| {
                ts.iter()
                    .filter_map(|t| {
                        let o = t.as_object()?;
                        Some((o.get("key")?.as_str()?.to_owned(), o.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (old_t, new_t) = (targets(&old), targets(&new));
    for (key, o) in &old_t {
        if !new_t.iter().any(|(k, _)| k == key) {
            out.push(PolicyDiff {
                path: format!("targets.{key}"),
                guard_rail: true,
                before: normal(Some(&Value::Object(o.clone()))),
                after: Value::Null,
            });
        }
    }
    for (key, n) in &new_t {
        let Some((_, o)) = old_t.iter().find(|(k, _)| k == key) else {
            out.push(PolicyDiff {
                path: format!("targets.{key}"),
                guard_rail: true,
                before: Value::Null,
                after: normal(Some(&Value::Object(n.clone()))),
            });
            continue;
        };
        let fields: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
        for field in fields {
            let (b, a) = (normal(o.get(field)), normal(n.get(field)));
            if b != a {
                out.push(PolicyDiff {
                    path: format!("targets.{key}.{field}"),
                    guard_rail: GUARD_TARGET_FIELDS.contains(&field.as_str()),
                    before: b,
                    after: a,
                });
            }
        }
    }
    out
}

/// `value` as a JSON tree, written with the same serializer as the answers and read back: a
/// `serde_json::to_value` of the policy adds a second copy of its serialization code to the Wasm
/// module (measured: 5.3 KB).
fn json_of<T: Serialize>(value: &T) -> Value {
    crate::json::write::to_bytes(value, 4096)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
}

/// A value with its lists of ids sorted (their order means nothing), and absent as `null`.
fn normal(v: Option<&Value>) -> Value {
    match v {
        None => Value::Null,
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            let mut sorted: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            sorted.sort_unstable();
            sorted.dedup();
            Value::from(sorted)
        }
        Some(Value::Array(items)) => Value::Array(items.iter().map(|x| normal(Some(x))).collect()),
        Some(Value::Object(m)) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), normal(Some(x))))
                .collect(),
        ),
        Some(other) => other.clone(),
    }
}
