//! The plain, tagged answers of every entry point (`{ok:true,…}` or `{ok:false,error,…}`), and
//! the inputs that exist only at the boundary (`verifyAudit`, `validatePolicy`).

use serde::{Deserialize, Serialize};

use crate::audit::{AuditHead, AuditRecord, Verification};
use crate::decision::{decide, Decision};
use crate::error::{DecisionError, ErrorBody};
use crate::evidence::{evidence_report, EvidenceInput, EvidenceReport};
use crate::gate::{gate, GateAnswer, GateInput};
use crate::health::{judge_health, HealthInput, HealthReport};
use crate::input::DecideInput;
use crate::policy::authorization::{authorize_admin, AdminAccess, AdminAccessInput};
use crate::policy::change::{policy_change, PendingWrite, PolicyChangeDecision, PolicyChangeInput};
use crate::policy::validation::{validate, PolicyProblem};
use crate::policy::Policy;
use crate::sweep::guard::{guard_revocation, GuardInput, GuardOutcome};
use crate::sweep::holders::{explain_holders, HoldersExplained, HoldersInput};
use crate::sweep::{sweep, SweepInput, SweepOutcome};
use crate::view::{view, View, ViewInput};

/// Input of `verifyAudit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifyInput {
    /// Records in chain order.
    pub records: Vec<AuditRecord>,
    /// The head the first record continues from; the genesis when absent.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub anchor: Option<AuditHead>,
    /// The head the store says the chain ends at: records cut from the end show as a mismatch.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub expected_head: Option<AuditHead>,
}

/// Input of `validatePolicy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidateInput {
    /// The policy to check: anything (a draft as typed); what cannot be read as a policy is
    /// answered as problems, like any other.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub policy: Policy,
}

/// A successful answer: `{ok: true, ...value}`.
#[derive(Debug, Clone, Serialize)]
pub struct Accepted<T: Serialize> {
    ok: bool,
    #[serde(flatten)]
    value: T,
}

/// A refused answer: `{ok: false, error, ...extra}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refused<T: Serialize> {
    ok: bool,
    error: ErrorBody,
    #[serde(flatten)]
    extra: T,
}

/// Nothing more to say.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Nothing {}

/// What a refused `policyChange` still carries: the draft's problems, what happens to the pending
/// change, and the refusal's audit record.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ChangeRefusalExtras {
    problems: Vec<PolicyProblem>,
    pending: PendingWrite,
    audit: Vec<AuditRecord>,
    audit_head: AuditHead,
}

/// What a refused `decide` still carries: the audit record of the refusal and its comment.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RefusalExtras {
    actions: Vec<crate::action::Action>,
    audit: Vec<AuditRecord>,
    audit_head: AuditHead,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    coalesce: Option<crate::decision::Coalesce>,
}

/// Either answer.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Answer<T: Serialize, E: Serialize = Nothing> {
    /// `{ok:true, …}`
    Ok(Accepted<T>),
    /// `{ok:false, error, …}`
    Err(Refused<E>),
}

impl<T: Serialize, E: Serialize> Answer<T, E> {
    fn ok(value: T) -> Self {
        Self::Ok(Accepted { ok: true, value })
    }
    fn err(error: &DecisionError, extra: E) -> Self {
        Self::Err(Refused {
            ok: false,
            error: error.to_body(),
            extra,
        })
    }
}

impl<T: Serialize> Answer<T, Nothing> {
    /// A refusal for input that could not be read.
    pub fn invalid(error: &DecisionError) -> Self {
        Self::err(error, Nothing {})
    }
}

/// The answer to `validatePolicy`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Validity {
    /// Whether the policy is valid.
    pub valid: bool,
    /// Every problem, each at its path.
    pub problems: Vec<PolicyProblem>,
}

/// Answers a `decide` input.
pub fn decide_answer(input: DecideInput) -> Answer<Decision, RefusalExtras> {
    match decide(input) {
        Ok(d) => Answer::ok(d),
        Err(r) => {
            let extra = RefusalExtras {
                actions: r.actions,
                audit: r.audit,
                audit_head: r.audit_head,
                coalesce: r.coalesce,
            };
            Answer::err(&r.error, extra)
        }
    }
}

/// Answers a `sweep` input.
pub fn sweep_answer(input: &SweepInput) -> Answer<SweepOutcome> {
    Answer::ok(sweep(input))
}

/// Answers a `guardRevocation` input.
pub fn guard_answer(input: &GuardInput) -> Answer<GuardOutcome> {
    Answer::ok(guard_revocation(input))
}

/// Answers an `explainHolders` input.
pub fn explain_holders_answer(input: &HoldersInput) -> Answer<HoldersExplained> {
    Answer::ok(explain_holders(input))
}

/// Answers a `view` input.
pub fn view_answer(input: &ViewInput) -> Answer<View> {
    Answer::ok(view(input))
}

/// Answers a `gate` input.
pub fn gate_answer(input: &GateInput) -> Answer<GateAnswer> {
    Answer::ok(gate(input))
}

/// Answers a `validatePolicy` input.
pub fn validate_answer(input: &ValidateInput) -> Answer<Validity> {
    let problems = validate(&input.policy);
    Answer::ok(Validity {
        valid: problems.is_empty(),
        problems,
    })
}

/// Answers an `authorizeAdmin` input.
pub fn authorize_admin_answer(input: &AdminAccessInput) -> Answer<AdminAccess> {
    Answer::ok(authorize_admin(input))
}

/// Answers a `judgeHealth` input.
pub fn judge_health_answer(input: &HealthInput) -> Answer<HealthReport> {
    Answer::ok(judge_health(input))
}

/// Answers a `policyChange` input.
pub fn policy_change_answer(
    input: &PolicyChangeInput,
) -> Answer<PolicyChangeDecision, ChangeRefusalExtras> {
    match policy_change(input) {
        Ok(d) => Answer::ok(d),
        Err(r) => Answer::Err(Refused {
            ok: false,
            error: r.error.to_body(),
            extra: ChangeRefusalExtras {
                problems: r.problems,
                pending: r.pending,
                audit: r.audit,
                audit_head: r.audit_head,
            },
        }),
    }
}

/// A policy that could not even be read, as a validation answer: the problem at its path.
pub fn unreadable_policy(error: &DecisionError) -> Answer<Validity> {
    let body = error.to_body();
    let path = body.path.unwrap_or_default();
    let path = path
        .strip_prefix("policy.")
        .map(str::to_owned)
        .unwrap_or(path);
    Answer::ok(Validity {
        valid: false,
        problems: vec![PolicyProblem {
            path,
            code: body.code,
            message: body.message,
        }],
    })
}

/// Answers a `verifyAudit` input.
pub fn verify_answer(input: &VerifyInput) -> Answer<Verification> {
    Answer::ok(crate::audit::verify_to(
        &input.records,
        input.anchor.as_ref(),
        input.expected_head.as_ref(),
    ))
}

/// Answers an `evidenceReport` input: refused (`INVALID_INPUT`) only for a collection that is not
/// the grant's or more events than a pack holds.
pub fn evidence_report_answer(input: &EvidenceInput) -> Answer<EvidenceReport> {
    match evidence_report(input) {
        Ok(report) => Answer::ok(report),
        Err(e) => Answer::invalid(&e),
    }
}
