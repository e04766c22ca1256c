//! The Wasm boundary of the JIT Admin core: converts JS values to core inputs and answers back.
//!
//! No logic lives here. Every export takes one plain object and returns one plain object,
//! `{ok: true, ...}` or `{ok: false, error: {code, message, path}}`; bad input becomes an
//! `INVALID_INPUT` answer naming the field, never an exception or a trap.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jit_admin_core::boundary::{self, Answer, Nothing};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

/// Applies one event to one grant.
#[wasm_bindgen(js_name = decide, unchecked_return_type = "DecideAnswer")]
pub fn decide(#[wasm_bindgen(unchecked_param_type = "DecideInput")] input: JsValue) -> JsValue {
    match boundary::read(deserializer(input)) {
        Ok(i) => answer(&boundary::decide_answer(i)),
        Err(e) => answer(&Answer::<Nothing>::invalid(&e)),
    }
}

/// Compares who holds what with the grants and the policy.
#[wasm_bindgen(js_name = sweep, unchecked_return_type = "SweepAnswer")]
pub fn sweep(#[wasm_bindgen(unchecked_param_type = "SweepInput")] input: JsValue) -> JsValue {
    match boundary::read(deserializer(input)) {
        Ok(i) => answer(&boundary::sweep_answer(&i)),
        Err(e) => answer(&Answer::<Nothing>::invalid(&e)),
    }
}

/// What a viewer sees of a grant, and which buttons they get.
#[wasm_bindgen(js_name = view, unchecked_return_type = "ViewAnswer")]
pub fn view(#[wasm_bindgen(unchecked_param_type = "ViewInput")] input: JsValue) -> JsValue {
    match boundary::read(deserializer(input)) {
        Ok(i) => answer(&boundary::view_answer(&i)),
        Err(e) => answer(&Answer::<Nothing>::invalid(&e)),
    }
}

/// Every problem in a policy, each at its path.
#[wasm_bindgen(js_name = validatePolicy, unchecked_return_type = "ValidateAnswer")]
pub fn validate_policy(
    #[wasm_bindgen(unchecked_param_type = "ValidateInput")] input: JsValue,
) -> JsValue {
    match boundary::read(deserializer(input)) {
        Ok(i) => answer(&boundary::validate_answer(&i)),
        Err(e) => answer(&boundary::unreadable_policy(&e)),
    }
}

/// The first broken link of an audit chain.
#[wasm_bindgen(js_name = verifyAudit, unchecked_return_type = "VerifyAnswer")]
pub fn verify_audit(
    #[wasm_bindgen(unchecked_param_type = "VerifyInput")] input: JsValue,
) -> JsValue {
    match boundary::read(deserializer(input)) {
        Ok(i) => answer(&boundary::verify_answer(&i)),
        Err(e) => answer(&Answer::<Nothing>::invalid(&e)),
    }
}

/// The last check before a revoke executes (permanent admins, the org-admin floor).
#[wasm_bindgen(js_name = guardRevocation, unchecked_return_type = "GuardAnswer")]
pub fn guard_revocation(
    #[wasm_bindgen(unchecked_param_type = "GuardInput")] input: JsValue,
) -> JsValue {
    match boundary::read(deserializer(input)) {
        Ok(i) => answer(&boundary::guard_answer(&i)),
        Err(e) => answer(&Answer::<Nothing>::invalid(&e)),
    }
}

/// The core's version and the contract's version.
#[wasm_bindgen(js_name = version, unchecked_return_type = "VersionInfo")]
pub fn version() -> JsValue {
    answer(&jit_admin_core::version())
}

fn deserializer(input: JsValue) -> serde_wasm_bindgen::Deserializer {
    serde_wasm_bindgen::Deserializer::from(input)
}

/// Plain objects (not `Map`s), so answers are JSON-compatible and can be stored as they are.
fn answer<T: Serialize>(value: &T) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value.serialize(&serializer).unwrap_or_else(|e| {
        // Unreachable for the core's own types; still an answer rather than a trap.
        let body = jit_admin_core::ErrorBody {
            code: "INTERNAL".into(),
            message: e.to_string(),
            path: None,
        };
        serde_wasm_bindgen::to_value(&serde_json_free_error(body)).unwrap_or(JsValue::NULL)
    })
}

#[derive(Serialize)]
struct InternalError {
    ok: bool,
    error: jit_admin_core::ErrorBody,
}

fn serde_json_free_error(error: jit_admin_core::ErrorBody) -> InternalError {
    InternalError { ok: false, error }
}
