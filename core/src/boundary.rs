//! The plain, tagged answers the Wasm boundary returns (`{ok:true,…}` or `{ok:false,error}`),
//! and JSON-in/JSON-out variants of every entry point for native callers, tests and fuzzing.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use crate::audit::{verify, AuditHead, AuditRecord, Verification};
use crate::decision::{decide, DecideInput, Decision};
use crate::error::{DecisionError, ErrorBody};
use crate::policy::Policy;
use crate::sweep::{guard_revocation, sweep, GuardInput, GuardOutcome, SweepInput, SweepOutcome};
use crate::validation::{review_change, validate, ChangeReview, PolicyChange, PolicyProblem};
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
}

/// Input of `validatePolicy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidateInput {
    /// The policy to check.
    pub policy: Policy,
    /// When the policy is about to be saved: who saves it and what it replaces.
    #[serde(default)]
    pub change: Option<PolicyChange>,
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

/// What a refused `decide` still carries: the audit record of the refusal and its comment.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefusalExtras {
    actions: Vec<crate::action::Action>,
    audit: Vec<AuditRecord>,
    audit_head: AuditHead,
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
    /// For a save: whether it is authorized, and its audit record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<ChangeReview>,
}

/// Reads a typed input from any serde deserializer, naming the path of the first bad field.
pub fn read<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, DecisionError> {
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let outer = e.path().to_string();
        let message = e.into_inner().to_string();
        // A hand-written deserializer (events) reports the path inside itself before the mark.
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
            .filter(|p| !p.is_empty() && *p != ".")
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

/// Answers a `validatePolicy` input.
pub fn validate_answer(input: &ValidateInput) -> Answer<Validity> {
    let problems = validate(&input.policy);
    let change = input
        .change
        .as_ref()
        .map(|c| review_change(&input.policy, c, &problems));
    Answer::ok(Validity {
        valid: problems.is_empty(),
        problems,
        change,
    })
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
        change: None,
    })
}

/// Answers a `verifyAudit` input.
pub fn verify_answer(input: &VerifyInput) -> Answer<Verification> {
    Answer::ok(verify(&input.records, input.anchor.as_ref()))
}

fn json<T: DeserializeOwned>(text: &str) -> Result<T, DecisionError> {
    read(&mut serde_json::Deserializer::from_str(text))
}

fn to_json<T: Serialize>(answer: &T) -> String {
    serde_json::to_string(answer).unwrap_or_else(|e| {
        format!(r#"{{"ok":false,"error":{{"code":"INTERNAL","message":"cannot serialise the answer: {e}"}}}}"#)
    })
}

/// `decide`, JSON in and out.
pub fn decide_json(input: &str) -> String {
    match json::<DecideInput>(input) {
        Ok(i) => to_json(&decide_answer(i)),
        Err(e) => to_json(&Answer::<Nothing>::invalid(&e)),
    }
}

/// `sweep`, JSON in and out.
pub fn sweep_json(input: &str) -> String {
    match json::<SweepInput>(input) {
        Ok(i) => to_json(&sweep_answer(&i)),
        Err(e) => to_json(&Answer::<Nothing>::invalid(&e)),
    }
}

/// `view`, JSON in and out.
pub fn view_json(input: &str) -> String {
    match json::<ViewInput>(input) {
        Ok(i) => to_json(&view_answer(&i)),
        Err(e) => to_json(&Answer::<Nothing>::invalid(&e)),
    }
}

/// `validatePolicy`, JSON in and out.
pub fn validate_policy_json(input: &str) -> String {
    match json::<ValidateInput>(input) {
        Ok(i) => to_json(&validate_answer(&i)),
        Err(e) => to_json(&unreadable_policy(&e)),
    }
}

/// `verifyAudit`, JSON in and out.
pub fn verify_audit_json(input: &str) -> String {
    match json::<VerifyInput>(input) {
        Ok(i) => to_json(&verify_answer(&i)),
        Err(e) => to_json(&Answer::<Nothing>::invalid(&e)),
    }
}

/// `guardRevocation`, JSON in and out.
pub fn guard_revocation_json(input: &str) -> String {
    match json::<GuardInput>(input) {
        Ok(i) => to_json(&guard_answer(&i)),
        Err(e) => to_json(&Answer::<Nothing>::invalid(&e)),
    }
}
