//! The plain, tagged answers the Wasm boundary returns (`{ok:true,…}` or `{ok:false,error}`),
//! and JSON-in/JSON-out variants of every entry point for native callers, tests and fuzzing.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::audit::{AuditHead, AuditRecord, Verification};
use crate::decision::{decide, Decision};
use crate::error::{DecisionError, ErrorBody};
use crate::gate::{gate, GateAnswer, GateInput};
use crate::input::DecideInput;
use crate::policy::change::{
    authorize_admin, policy_change, AdminAccess, AdminAccessInput, PendingWrite,
    PolicyChangeDecision, PolicyChangeInput,
};
use crate::policy::validation::{validate, PolicyProblem};
use crate::policy::Policy;
use crate::sweep::{guard_revocation, sweep, GuardInput, GuardOutcome, SweepInput, SweepOutcome};
use crate::view::{view, View, ViewInput};

/// Input of `verifyAudit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifyInput {
    /// Records in chain order.
    pub records: Vec<AuditRecord>,
    /// The head the first record continues from; the genesis when absent.
    #[serde(default)]
    pub anchor: Option<AuditHead>,
    /// The head the store says the chain ends at: records cut from the end show as a mismatch.
    #[serde(default)]
    pub expected_head: Option<AuditHead>,
}

/// Input of `validatePolicy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidateInput {
    /// The policy to check.
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
#[serde(rename_all = "camelCase")]
pub struct ChangeRefusalExtras {
    problems: Vec<PolicyProblem>,
    pending: PendingWrite,
    audit: Vec<AuditRecord>,
    audit_head: AuditHead,
}

/// What a refused `decide` still carries: the audit record of the refusal and its comment.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefusalExtras {
    actions: Vec<crate::action::Action>,
    audit: Vec<AuditRecord>,
    audit_head: AuditHead,
    #[serde(skip_serializing_if = "Option::is_none")]
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
#[serde(rename_all = "camelCase")]
pub struct Validity {
    /// Whether the policy is valid.
    pub valid: bool,
    /// Every problem, each at its path.
    pub problems: Vec<PolicyProblem>,
}

/// Reads a typed input from a JSON value, naming the path of the first bad field.
///
/// Every entry point reads through `serde_json::Value`, whatever the caller handed over (JSON text
/// natively or from Wasm): one deserializer for every input type keeps the Wasm module small, and
/// errors name the same paths everywhere.
pub fn read<T: DeserializeOwned>(value: Value) -> Result<T, DecisionError> {
    crate::json::read::from_value(value).map_err(|(outer, message)| {
        // A hand-written deserializer (events) reports the path inside itself between marks.
        let marked = message
            .split_once(crate::event::PATH_START)
            .and_then(|(_, marked)| marked.split_once(crate::event::INNER_PATH));
        let (inner, message) = match marked {
            Some((inner, rest)) => (inner.to_owned(), rest.to_owned()),
            None => (String::new(), message),
        };
        let inner = match inner.as_str() {
            "" | "." => missing_field(&message).unwrap_or_default(),
            _ => inner,
        };
        let path = [outer.as_str(), inner.as_str()]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(".");
        let path = if path.is_empty() {
            "input".to_owned()
        } else {
            path
        };
        DecisionError::InvalidInput { path, message }
    })
}

/// The field named by serde's "missing field `x`" message: the error is raised by the struct,
/// so the tracked path stops one level short.
fn missing_field(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("missing field `")?;
    rest.split_once('`').map(|(field, _)| field.to_owned())
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
        Ok(value) => entry(value).unwrap_or_else(|e| unreadable(&e)),
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
