//! The entry points on JSON: a JSON value in (what the Wasm boundary hands over) or JSON text in
//! (native callers, tests and fuzzing), the answer out as JSON text, written straight from the
//! typed answer.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::boundary::answer::{
    authorize_admin_answer, decide_answer, evidence_report_answer, explain_holders_answer,
    gate_answer, guard_answer, judge_health_answer, policy_change_answer, sweep_answer,
    unreadable_policy, validate_answer, verify_answer, view_answer, Answer, Nothing, ValidateInput,
    VerifyInput,
};
use crate::error::DecisionError;
use crate::evidence::EvidenceInput;
use crate::gate::GateInput;
use crate::health::HealthInput;
use crate::json::read::{as_javascript_numbers, read};
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

/// Reads a typed input from `value` and answers it as JSON text; the error when it cannot be read.
fn answer_text<I: DeserializeOwned, A: Serialize>(
    value: Value,
    answer: impl FnOnce(I) -> A,
) -> Result<String, DecisionError> {
    read::<I>(value).map(|input| to_text(&answer(input)))
}

/// `decide` on a JSON value, answered as JSON text; `Err` (nothing answered) when the input
/// cannot be read. The Wasm boundary uses these `*_text` entry points.
pub fn decide_text(value: Value) -> Result<String, DecisionError> {
    answer_text(value, decide_answer)
}

/// `sweep` on a JSON value, answered as JSON text; `Err` when the input cannot be read.
pub fn sweep_text(value: Value) -> Result<String, DecisionError> {
    answer_text(value, |i: SweepInput| sweep_answer(&i))
}

/// `explainHolders` on a JSON value, answered as JSON text; `Err` when the input cannot be read.
pub fn explain_holders_text(value: Value) -> Result<String, DecisionError> {
    answer_text(value, |i: HoldersInput| explain_holders_answer(&i))
}

/// `view` on a JSON value, answered as JSON text; `Err` when the input cannot be read.
pub fn view_text(value: Value) -> Result<String, DecisionError> {
    answer_text(value, |i: ViewInput| view_answer(&i))
}

/// `gate` on a JSON value, answered as JSON text; `Err` when the input cannot be read.
pub fn gate_text(value: Value) -> Result<String, DecisionError> {
    answer_text(value, |i: GateInput| gate_answer(&i))
}

/// `validatePolicy` on a JSON value, answered as JSON text; `Err` when the input cannot be read
/// (answer that with [`unreadable_policy`]).
pub fn validate_policy_text(value: Value) -> Result<String, DecisionError> {
    answer_text(value, |i: ValidateInput| validate_answer(&i))
}

/// `verifyAudit` on a JSON value, answered as JSON text; `Err` when the input cannot be read.
pub fn verify_audit_text(value: Value) -> Result<String, DecisionError> {
    answer_text(value, |i: VerifyInput| verify_answer(&i))
}

/// `guardRevocation` on a JSON value, answered as JSON text; `Err` when the input cannot be read.
pub fn guard_revocation_text(value: Value) -> Result<String, DecisionError> {
    answer_text(value, |i: GuardInput| guard_answer(&i))
}

/// `authorizeAdmin` on a JSON value, answered as JSON text; `Err` when the input cannot be read.
pub fn authorize_admin_text(value: Value) -> Result<String, DecisionError> {
    answer_text(value, |i: AdminAccessInput| authorize_admin_answer(&i))
}

/// `policyChange` on a JSON value, answered as JSON text; `Err` when the input cannot be read.
pub fn policy_change_text(value: Value) -> Result<String, DecisionError> {
    answer_text(value, |i: PolicyChangeInput| policy_change_answer(&i))
}

/// `evidenceReport` on a JSON value, answered as JSON text; `Err` when the input cannot be read.
pub fn evidence_report_text(value: Value) -> Result<String, DecisionError> {
    answer_text(value, |i: EvidenceInput| evidence_report_answer(&i))
}

/// The answer to input that could not be read, as JSON text.
pub fn invalid_text(error: &DecisionError) -> String {
    to_text(&Answer::<Nothing>::invalid(error))
}

/// The answer to a `validatePolicy` input that could not be read, as JSON text.
pub fn unreadable_policy_text(error: &DecisionError) -> String {
    to_text(&unreadable_policy(error))
}

/// Runs a text-level entry point on JSON text.
fn on_text(
    text: &str,
    entry: fn(Value) -> Result<String, DecisionError>,
    unreadable: fn(&DecisionError) -> String,
) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(mut value) => {
            // Numbers as the Wasm module reads them (it is handed a JavaScript object).
            as_javascript_numbers(&mut value);
            entry(value).unwrap_or_else(|e| unreadable(&e))
        }
        // Not JSON at all: refused as such by every entry point, `validatePolicy` included.
        Err(e) => invalid_text(&DecisionError::InvalidInput {
            path: "input".into(),
            message: e.to_string(),
        }),
    }
}

/// `decide`, JSON text in and out.
pub fn decide_json(input: &str) -> String {
    on_text(input, decide_text, invalid_text)
}

/// `sweep`, JSON text in and out.
pub fn sweep_json(input: &str) -> String {
    on_text(input, sweep_text, invalid_text)
}

/// `explainHolders`, JSON text in and out.
pub fn explain_holders_json(input: &str) -> String {
    on_text(input, explain_holders_text, invalid_text)
}

/// `view`, JSON text in and out.
pub fn view_json(input: &str) -> String {
    on_text(input, view_text, invalid_text)
}

/// `gate`, JSON text in and out.
pub fn gate_json(input: &str) -> String {
    on_text(input, gate_text, invalid_text)
}

/// `validatePolicy`, JSON text in and out.
pub fn validate_policy_json(input: &str) -> String {
    on_text(input, validate_policy_text, unreadable_policy_text)
}

/// `verifyAudit`, JSON text in and out.
pub fn verify_audit_json(input: &str) -> String {
    on_text(input, verify_audit_text, invalid_text)
}

/// `guardRevocation`, JSON text in and out.
pub fn guard_revocation_json(input: &str) -> String {
    on_text(input, guard_revocation_text, invalid_text)
}

/// `authorizeAdmin`, JSON text in and out.
pub fn authorize_admin_json(input: &str) -> String {
    on_text(input, authorize_admin_text, invalid_text)
}

/// `policyChange`, JSON text in and out.
pub fn policy_change_json(input: &str) -> String {
    on_text(input, policy_change_text, invalid_text)
}

/// `judgeHealth` on a JSON value, answered as JSON text; `Err` when the input cannot be read.
pub fn judge_health_text(value: Value) -> Result<String, DecisionError> {
    answer_text(value, |i: HealthInput| judge_health_answer(&i))
}

/// `judgeHealth`, JSON text in and out.
pub fn judge_health_json(input: &str) -> String {
    on_text(input, judge_health_text, invalid_text)
}

/// `evidenceReport`, JSON text in and out.
pub fn evidence_report_json(input: &str) -> String {
    on_text(input, evidence_report_text, invalid_text)
}
