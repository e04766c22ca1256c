//! Changing the policy under the two-person rule ([`policy_change`]): a save, an approval or a
//! withdrawal.
//!
//! The policy decides who may become org admin, so it is the first thing an attacker goes for.
//! A save that changes a guard rail ([`GUARD_RAILS`](crate::policy::diff::GUARD_RAILS)) does not
//! take effect: it becomes a pending change that another permanent admin approves. Saves that
//! would leave nobody in charge (no listed account is an org admin today; the saver removes
//! themself) are refused outright. The first policy may be saved only by a Jira admin who is an
//! org admin today, or by a deployer-named bootstrap admin. Who may make each call at all is
//! [`authorize_admin`](crate::policy::authorization::authorize_admin)'s.
//!
//! Accounts that an approved change drops from the permanent admins keep a grace period
//! ([`GRACE_DAYS`](crate::policy::state::GRACE_DAYS)) in which the sweep reports but never
//! revokes them.

#![allow(
    clippy::result_large_err,
    reason = "called once per admin call; a refusal carries its audit record by value, as decide's does"
)]

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::audit::{chain, AuditEntry, AuditHead, AuditOutcome, AuditRecord};
use crate::audit_event::AuditEvent;
use crate::policy::admin_error::AdminError;
use crate::policy::authorization::{
    gate, list, pending_state, AdminCall, Ctx, PendingState, Standing,
};
use crate::policy::diff::{diff, PolicyDiff};
use crate::policy::state::{
    FormerPermanentAdmin, OrgAdminsRead, PendingPolicyChange, PolicyState, CHANGE_TTL_HOURS,
};
use crate::policy::validation::{validate, PolicyProblem};
use crate::policy::{AccountId, Policy};
use crate::time::Timestamp;

/// What a policy change asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum PolicyCommand {
    /// Save a policy: applied when it changes no guard rail (or is the first), proposed otherwise.
    #[serde(rename_all = "camelCase")]
    Save {
        /// The policy as the admin page sent it (read here, so a bad one is reported at its path).
        #[cfg_attr(feature = "ts", ts(type = "unknown"))]
        policy: Value,
        /// The version the draft was made from; a newer one refuses the save.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
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

    fn event(&self) -> AuditEvent {
        match self {
            Self::Save { .. } => AuditEvent::PolicyChange,
            Self::Approve { .. } => AuditEvent::ApprovePolicyChange,
            Self::Withdraw { .. } => AuditEvent::WithdrawPolicyChange,
        }
    }
}

/// Input of [`policy_change`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyChangeInput {
    /// What to do.
    pub command: PolicyCommand,
    /// The caller (the platform's account id).
    pub actor: AccountId,
    /// Whether the caller holds Jira's `ADMINISTER` (`null`: the lookup failed).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub jira_admin: Option<bool>,
    /// The org admins, read when an answer asked for them (`needsOrgAdmins`); absent before.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub org_admins: Option<OrgAdminsRead>,
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
    /// Where the audit records attach.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub audit_head: Option<AuditHead>,
}

/// What became of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
    #[cfg_attr(feature = "ts", ts(optional))]
    pub policy: Option<PolicyState>,
    /// What to do with the pending change (on the condition that it is unchanged).
    pub pending: PendingWrite,
    /// The proposed change (`set`), or the one approved or withdrawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub change: Option<PendingPolicyChange>,
    /// What the change changes.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
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
                event: AuditEvent::WithdrawPolicyChange,
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
            event: AuditEvent::PolicyChange,
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
        event: AuditEvent::ProposePolicyChange,
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
        event: AuditEvent::ApprovePolicyChange,
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
        event: input.command.event(),
        outcome,
        grant_id: None,
        issue_key: None,
        target: None,
        details,
    }
}

/// The parts of an accepted change.
struct Accepted {
    event: AuditEvent,
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
    record.event = event;
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
