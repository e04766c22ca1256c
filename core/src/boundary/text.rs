//! The entry points on JSON text: UTF-8 bytes in (what the Wasm boundary hands over) or a `&str`
//! (native callers, tests and fuzzing), read straight into the typed input, and the answer out as
//! JSON text, written straight from the typed answer.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::boundary::answer::{
    authorize_admin_answer, decide_answer, eligibility_review_answer, evidence_report_answer,
    explain_holders_answer, gate_answer, guard_answer, judge_health_answer, policy_change_answer,
    sweep_answer, unreadable_policy, validate_answer, verify_answer, view_answer, Answer, Nothing,
    ValidateInput, VerifyInput,
};
use crate::eligibility_review::ReviewInput;
use crate::error::DecisionError;
use crate::evidence::EvidenceInput;
use crate::gate::GateInput;
use crate::health::HealthInput;
use crate::json::read::{read_text, Unread};
use crate::policy::authorization::AdminAccessInput;
use crate::policy::change::PolicyChangeInput;
use crate::sweep::guard::GuardInput;
use crate::sweep::holders::HoldersInput;
use crate::sweep::SweepInput;
use crate::view::ViewInput;

/// An answer as a JSON value (never fails for the core's own types).
fn to_value<T: Serialize>(answer: &T) -> Value {
    serde_json::to_value(answer).unwrap_or_else(|e| {
        serde_json::json!({"ok": false, "error": {"code": "INTERNAL", "message": format!("cannot serialise the answer: {e}")}})
    })
}

/// `version`, as a JSON value.
pub fn version_value() -> Value {
    to_value(&crate::version())
}

/// An answer as JSON text, written straight from the typed answer (no `Value` tree in between:
/// that cost as much as the decision). Keys come in the order the Rust types declare them, which
/// the contract says carries no meaning.
fn to_text<T: Serialize>(answer: &T) -> String {
    crate::json::write::to_string(answer, 4096).unwrap_or_else(|e| {
        serde_json::json!({"ok": false, "error": {"code": "INTERNAL", "message": format!("cannot serialise the answer: {e}")}}).to_string()
    })
}

/// Reads a typed input from JSON text and answers it as JSON text. Text that is not JSON is
/// refused as such by every entry point (`validatePolicy` included); JSON that is not the input
/// gets `unreadable`'s answer.
fn answer_text<I: DeserializeOwned, A: Serialize>(
    text: &[u8],
    answer: impl FnOnce(I) -> A,
    unreadable: fn(&DecisionError) -> String,
) -> String {
    match read_text::<I>(text) {
        Ok(input) => to_text(&answer(input)),
        Err(Unread::NotJson(e)) => invalid_text(&e),
        Err(Unread::Invalid(e)) => unreadable(&e),
    }
}

/// `decide` on JSON text (UTF-8), answered as JSON text. The Wasm boundary uses these `*_text`
/// entry points; numbers are read as JavaScript holds them (`as_javascript_numbers`).
pub fn decide_text(text: &[u8]) -> String {
    answer_text(text, decide_answer, invalid_text)
}

/// `sweep` on JSON text, answered as JSON text.
pub fn sweep_text(text: &[u8]) -> String {
    answer_text(text, |i: SweepInput| sweep_answer(&i), invalid_text)
}

/// `explainHolders` on JSON text, answered as JSON text.
pub fn explain_holders_text(text: &[u8]) -> String {
    answer_text(
        text,
        |i: HoldersInput| explain_holders_answer(&i),
        invalid_text,
    )
}

/// `eligibilityReview` on JSON text, answered as JSON text.
pub fn eligibility_review_text(text: &[u8]) -> String {
    answer_text(
        text,
        |i: ReviewInput| eligibility_review_answer(&i),
        invalid_text,
    )
}

/// `view` on JSON text, answered as JSON text.
pub fn view_text(text: &[u8]) -> String {
    answer_text(text, |i: ViewInput| view_answer(&i), invalid_text)
}

/// `gate` on JSON text, answered as JSON text.
pub fn gate_text(text: &[u8]) -> String {
    answer_text(text, |i: GateInput| gate_answer(&i), invalid_text)
}

/// `validatePolicy` on JSON text, answered as JSON text (a policy that cannot be read is
/// answered with [`unreadable_policy`]).
pub fn validate_policy_text(text: &[u8]) -> String {
    answer_text(
        text,
        |i: ValidateInput| validate_answer(&i),
        unreadable_policy_text,
    )
}

/// `verifyAudit` on JSON text, answered as JSON text.
pub fn verify_audit_text(text: &[u8]) -> String {
    answer_text(text, |i: VerifyInput| verify_answer(&i), invalid_text)
}

/// `guardRevocation` on JSON text, answered as JSON text.
pub fn guard_revocation_text(text: &[u8]) -> String {
    answer_text(text, |i: GuardInput| guard_answer(&i), invalid_text)
}

/// `authorizeAdmin` on JSON text, answered as JSON text.
pub fn authorize_admin_text(text: &[u8]) -> String {
    answer_text(
        text,
        |i: AdminAccessInput| authorize_admin_answer(&i),
        invalid_text,
    )
}

/// `policyChange` on JSON text, answered as JSON text.
pub fn policy_change_text(text: &[u8]) -> String {
    answer_text(
        text,
        |i: PolicyChangeInput| policy_change_answer(&i),
        invalid_text,
    )
}

/// `evidenceReport` on JSON text, answered as JSON text.
pub fn evidence_report_text(text: &[u8]) -> String {
    answer_text(
        text,
        |i: EvidenceInput| evidence_report_answer(&i),
        invalid_text,
    )
}

/// `judgeHealth` on JSON text, answered as JSON text.
pub fn judge_health_text(text: &[u8]) -> String {
    answer_text(text, |i: HealthInput| judge_health_answer(&i), invalid_text)
}

/// The answer to input that could not be read, as JSON text.
pub fn invalid_text(error: &DecisionError) -> String {
    to_text(&Answer::<Nothing>::invalid(error))
}

/// The answer to a `validatePolicy` input that could not be read, as JSON text.
pub fn unreadable_policy_text(error: &DecisionError) -> String {
    to_text(&unreadable_policy(error))
}

/// `decide`, JSON text in and out.
pub fn decide_json(input: &str) -> String {
    decide_text(input.as_bytes())
}

/// `sweep`, JSON text in and out.
pub fn sweep_json(input: &str) -> String {
    sweep_text(input.as_bytes())
}

/// `eligibilityReview`, JSON text in and out.
pub fn eligibility_review_json(input: &str) -> String {
    eligibility_review_text(input.as_bytes())
}

/// `explainHolders`, JSON text in and out.
pub fn explain_holders_json(input: &str) -> String {
    explain_holders_text(input.as_bytes())
}

/// `view`, JSON text in and out.
pub fn view_json(input: &str) -> String {
    view_text(input.as_bytes())
}

/// `gate`, JSON text in and out.
pub fn gate_json(input: &str) -> String {
    gate_text(input.as_bytes())
}

/// `validatePolicy`, JSON text in and out.
pub fn validate_policy_json(input: &str) -> String {
    validate_policy_text(input.as_bytes())
}

/// `verifyAudit`, JSON text in and out.
pub fn verify_audit_json(input: &str) -> String {
    verify_audit_text(input.as_bytes())
}

/// `guardRevocation`, JSON text in and out.
pub fn guard_revocation_json(input: &str) -> String {
    guard_revocation_text(input.as_bytes())
}

/// `authorizeAdmin`, JSON text in and out.
pub fn authorize_admin_json(input: &str) -> String {
    authorize_admin_text(input.as_bytes())
}

/// `policyChange`, JSON text in and out.
pub fn policy_change_json(input: &str) -> String {
    policy_change_text(input.as_bytes())
}

/// `judgeHealth`, JSON text in and out.
pub fn judge_health_json(input: &str) -> String {
    judge_health_text(input.as_bytes())
}

/// `evidenceReport`, JSON text in and out.
pub fn evidence_report_json(input: &str) -> String {
    evidence_report_text(input.as_bytes())
}
