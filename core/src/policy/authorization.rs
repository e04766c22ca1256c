//! The gate in front of every admin-page call ([`authorize_admin`]): every call needs Jira's
//! global permission `ADMINISTER` (asked of Jira as the caller); changing the policy needs a
//! permanent admin of the policy in force, approving a change a second person, withdrawing it
//! its proposer. It also says which policy buttons the caller may see.

use serde::{Deserialize, Serialize};

use crate::error::ErrorBody;
use crate::policy::admin_error::AdminError;
use crate::policy::state::{PendingPolicyChange, PolicyState};
use crate::policy::{AccountId, Policy};
use crate::time::Timestamp;

/// The admin page's resolver calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
    /// Runs the Health checks (probes that write only their own health keys).
    GetHealth,
}

/// Input of [`authorize_admin`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdminAccessInput {
    /// The call.
    pub call: AdminCall,
    /// The caller (the platform's account id).
    pub actor: AccountId,
    /// Whether the caller holds Jira's `ADMINISTER`, asked of Jira as the caller; `null` (or
    /// absent) when the lookup failed.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub jira_admin: Option<bool>,
    /// The policy as stored, if any.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub current: Option<PolicyState>,
    /// The pending guard-rail change, if any.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub pending: Option<PendingPolicyChange>,
    /// The deployer's `BOOTSTRAP_ADMINS`.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub bootstrap_admins: Vec<AccountId>,
    /// The current time.
    pub now: Timestamp,
}

/// The answer of [`authorize_admin`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AdminAccess {
    /// Whether the call may go ahead (a change still goes through
    /// [`policy_change`](crate::policy::change::policy_change)).
    pub allowed: bool,
    /// Why not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub reason: Option<ErrorBody>,
    /// What the caller may do on the policy page.
    pub viewer: AdminViewer,
    /// The pending change's state and who may approve it, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub pending: Option<PendingStatus>,
}

/// The caller's standing, and the policy buttons they get (the server checks again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    /// Whether to offer it.
    pub allowed: bool,
    /// Why not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub reason: Option<ErrorBody>,
}

/// Where a pending change stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PendingStatus {
    /// `open`, `stale` (the policy changed since) or `expired`.
    pub state: PendingState,
    /// Who may approve it.
    pub approvers: Approvers,
}

/// Whether a pending change can still be approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum PendingState {
    /// Waiting for approval.
    Open,
    /// The policy changed since it was proposed; it can only be withdrawn.
    Stale,
    /// It waited longer than [`CHANGE_TTL_HOURS`](crate::policy::state::CHANGE_TTL_HOURS).
    Expired,
}

/// Who may approve a pending change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
/// are [`policy_change`](crate::policy::change::policy_change)'s.
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

pub(super) struct Ctx<'a> {
    pub(super) actor: &'a str,
    pub(super) jira_admin: Option<bool>,
    pub(super) current: Option<&'a Policy>,
    pub(super) pending: Option<&'a PendingPolicyChange>,
    pub(super) bootstrap: &'a [AccountId],
}

/// How an approver qualifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Standing {
    /// Another permanent admin, or a bootstrap admin.
    Named,
    /// The policy has a single permanent admin: the approver must be an org admin today.
    IfOrgAdmin,
}

/// The rules that need no org read. `change_id` is the pending change a call names.
pub(super) fn gate(
    call: AdminCall,
    ctx: &Ctx,
    change_id: Option<&str>,
) -> Result<Standing, AdminError> {
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
        | AdminCall::GetHoldings
        | AdminCall::GetHealth => Ok(Standing::Named),
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

pub(super) fn pending_state(
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

pub(super) fn list(accounts: &[&str]) -> String {
    accounts
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
