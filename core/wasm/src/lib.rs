//! The Wasm boundary of the JIT Admin core: converts JS values to core inputs and answers back.
//!
//! No logic lives here. Every export takes one plain object and returns one plain object (typed in
//! TypeScript by `forge-app/src/decision/answers.ts`, over the types the core generates),
//! `{ok: true, ...}` or `{ok: false, error: {code, message, path}}`; bad input becomes an
//! `INVALID_INPUT` answer naming the field, never an exception or a trap.
//!
//! The hot exports cross the boundary as JSON text (measured; see "Decide through Wasm" in
//! BENCHMARKS.md): `JSON.stringify` of the input object on the JS side, one string copy into the
//! module, `serde_json` parsing it, the core, the answer written as text, and one `JSON.parse` on
//! the way out. Converting the object with serde-wasm-bindgen instead costs one JS ↔ Wasm
//! crossing per property and per value: for a 2 KB `decide` input that was ≈ 185 µs of a 370 µs
//! call. The text carries exactly what JavaScript would store (an `undefined` field is absent,
//! as it would be in storage), and numbers are read the way serde-wasm-bindgen read them (see
//! [`from_js_text`]; the native `*_json` entry points read numbers the same way, through
//! `boundary::as_javascript_numbers`), so answers to well-formed input are unchanged. serde-wasm-bindgen still
//! writes `version()`'s small answer. It no longer reads inputs: it recursed once per nesting
//! level on the Wasm stack and trapped on deeply nested or cyclic objects.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jit_admin_core::{boundary, DecisionError};
use js_sys::{JsString, Uint8Array, JSON};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;

/// Applies one event to one grant.
#[wasm_bindgen(js_name = decide)]
pub fn decide(input: JsValue) -> JsValue {
    call(input, boundary::decide_text, boundary::invalid_text)
}

/// Compares who holds what with the grants and the policy.
#[wasm_bindgen(js_name = sweep)]
pub fn sweep(input: JsValue) -> JsValue {
    call(input, boundary::sweep_text, boundary::invalid_text)
}

/// Every holder of every watched access, and why they hold it (the sweep's explanations).
#[wasm_bindgen(js_name = explainHolders)]
pub fn explain_holders(input: JsValue) -> JsValue {
    call(
        input,
        boundary::explain_holders_text,
        boundary::invalid_text,
    )
}

/// What a viewer sees of a grant, and which buttons they get.
#[wasm_bindgen(js_name = view)]
pub fn view(input: JsValue) -> JsValue {
    call(input, boundary::view_text, boundary::invalid_text)
}

/// Who may take each workflow-transition event now, and whether the status diverged.
#[wasm_bindgen(js_name = gate)]
pub fn gate(input: JsValue) -> JsValue {
    call(input, boundary::gate_text, boundary::invalid_text)
}

/// Every problem in a policy, each at its path (and, for a save, whether it is authorized).
#[wasm_bindgen(js_name = validatePolicy)]
pub fn validate_policy(input: JsValue) -> JsValue {
    call(
        input,
        boundary::validate_policy_text,
        boundary::unreadable_policy_text,
    )
}

/// The first broken link of an audit chain.
#[wasm_bindgen(js_name = verifyAudit)]
pub fn verify_audit(input: JsValue) -> JsValue {
    call(input, boundary::verify_audit_text, boundary::invalid_text)
}

/// The last check before a revoke executes (permanent admins, the org-admin floor).
#[wasm_bindgen(js_name = guardRevocation)]
pub fn guard_revocation(input: JsValue) -> JsValue {
    call(
        input,
        boundary::guard_revocation_text,
        boundary::invalid_text,
    )
}

/// Whether an admin-page call may go ahead, and the caller's policy buttons.
#[wasm_bindgen(js_name = authorizeAdmin)]
pub fn authorize_admin(input: JsValue) -> JsValue {
    call(
        input,
        boundary::authorize_admin_text,
        boundary::invalid_text,
    )
}

/// A policy save, approval or withdrawal under the two-person rule.
#[wasm_bindgen(js_name = policyChange)]
pub fn policy_change(input: JsValue) -> JsValue {
    call(input, boundary::policy_change_text, boundary::invalid_text)
}

/// The Health view's checks, judged from what the probes of the installation found.
#[wasm_bindgen(js_name = judgeHealth)]
pub fn judge_health(input: JsValue) -> JsValue {
    call(input, boundary::judge_health_text, boundary::invalid_text)
}

/// What an ended grant's evidence pack says: the summary comment, the files, the alerts, the record.
#[wasm_bindgen(js_name = evidenceReport)]
pub fn evidence_report(input: JsValue) -> JsValue {
    call(
        input,
        boundary::evidence_report_text,
        boundary::invalid_text,
    )
}

/// The core's version and the contract's version.
#[wasm_bindgen(js_name = version)]
pub fn version() -> JsValue {
    to_js(&boundary::version_value())
}

fn call(
    input: JsValue,
    entry: fn(Value) -> Result<String, DecisionError>,
    unreadable: fn(&DecisionError) -> String,
) -> JsValue {
    let answer = match from_js_text(&input) {
        Ok(value) => entry(value).unwrap_or_else(|e| unreadable(&e)),
        // No JSON text at all: refused by every export, `validatePolicy` included, as in `*_json`.
        Err(e) => boundary::invalid_text(&e),
    };
    JSON::parse(&answer).unwrap_or(JsValue::NULL)
}

#[wasm_bindgen]
extern "C" {
    /// The platform's `TextEncoder` (Node's and Forge's runtimes have it; the glue uses it too).
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    #[wasm_bindgen(method)]
    fn encode(this: &TextEncoder, text: &JsString) -> Uint8Array;
}

thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
}

/// The input as JSON text (`JSON.stringify`), parsed, with numbers as serde-wasm-bindgen read
/// them. A value with no JSON text (`undefined`, a function, a symbol) reads as `null`, which the
/// core refuses at `input`; a value `JSON.stringify` throws on (a cycle, a `BigInt`, nesting too
/// deep for the JS stack) and text nested deeper than `serde_json` reads (128) are refused here.
/// Nothing recurses on the Wasm stack without a limit, so no input traps the module.
///
/// The text comes in as UTF-8 from `TextEncoder.encode` and one copy: wasm-bindgen's own string
/// passing (a `charCodeAt` loop in JS) took ≈ 19 µs for a 2 KB input, `encode` ≈ 2.5 µs.
fn from_js_text(input: &JsValue) -> Result<Value, DecisionError> {
    let refused = |message: String| DecisionError::InvalidInput {
        path: "input".into(),
        message,
    };
    let text = JSON::stringify(input).map_err(|e| {
        let reason = e
            .dyn_ref::<js_sys::Error>()
            .map_or_else(|| "unknown error".to_owned(), |e| String::from(e.message()));
        refused(format!("cannot be written as JSON: {reason}"))
    })?;
    if !text.is_string() {
        return Ok(Value::Null);
    }
    let mut bytes = ENCODER.with(|e| e.encode(&text)).to_vec();
    replace_lone_surrogates(&mut bytes);
    let mut value = serde_json::from_slice::<Value>(&bytes).map_err(|e| refused(e.to_string()))?;
    boundary::as_javascript_numbers(&mut value);
    Ok(value)
}

/// `JSON.stringify` writes a lone surrogate as a `\udXXX` escape, which `serde_json` refuses;
/// a string handed to Rust has it replaced by U+FFFD. Same length, so replaced in place.
fn replace_lone_surrogates(text: &mut [u8]) {
    let mut i = 0;
    while let Some(at) = text
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| b == b'\\'))
    {
        let start = i + at;
        let (unicode, surrogate) = match text.get(start + 1..start + 6) {
            Some([b'u', b'd', b'8'..=b'9' | b'a'..=b'f', _, _]) => (true, true),
            Some([b'u', ..]) => (true, false),
            _ => (false, false),
        };
        if surrogate {
            if let Some(hex) = text.get_mut(start + 2..start + 6) {
                hex.copy_from_slice(b"fffd");
            }
        }
        // `\uXXXX` is six bytes, every other escape two (so `\\` starts no new one).
        i = start + if unicode { 6 } else { 2 };
    }
}

/// Plain objects (not `Map`s), so answers are JSON-compatible and can be stored as they are.
fn to_js(value: &Value) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}
