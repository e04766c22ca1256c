//! The Wasm boundary of the JIT Admin core: converts JS values to core inputs and answers back.
//!
//! No logic lives here. Every export takes one plain object and returns one plain object,
//! `{ok: true, ...}` or `{ok: false, error: {code, message, path}}`; bad input becomes an
//! `INVALID_INPUT` answer naming the field, never an exception or a trap.
//!
//! serde-wasm-bindgen converts between JS values and `serde_json::Value` only; the core reads
//! its typed inputs from that value. Instantiating the typed (de)serializers once, for one
//! value type, rather than once per deserializer family keeps the module small.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jit_admin_core::boundary;
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

/// Applies one event to one grant.
#[wasm_bindgen(js_name = decide, unchecked_return_type = "DecideAnswer")]
pub fn decide(#[wasm_bindgen(unchecked_param_type = "DecideInput")] input: JsValue) -> JsValue {
    call(input, boundary::decide_value)
}

/// Compares who holds what with the grants and the policy.
#[wasm_bindgen(js_name = sweep, unchecked_return_type = "SweepAnswer")]
pub fn sweep(#[wasm_bindgen(unchecked_param_type = "SweepInput")] input: JsValue) -> JsValue {
    call(input, boundary::sweep_value)
}

/// What a viewer sees of a grant, and which buttons they get.
#[wasm_bindgen(js_name = view, unchecked_return_type = "ViewAnswer")]
pub fn view(#[wasm_bindgen(unchecked_param_type = "ViewInput")] input: JsValue) -> JsValue {
    call(input, boundary::view_value)
}

/// Every problem in a policy, each at its path (and, for a save, whether it is authorized).
#[wasm_bindgen(js_name = validatePolicy, unchecked_return_type = "ValidateAnswer")]
pub fn validate_policy(
    #[wasm_bindgen(unchecked_param_type = "ValidateInput")] input: JsValue,
) -> JsValue {
    call(input, boundary::validate_policy_value)
}

/// The first broken link of an audit chain.
#[wasm_bindgen(js_name = verifyAudit, unchecked_return_type = "VerifyAnswer")]
pub fn verify_audit(
    #[wasm_bindgen(unchecked_param_type = "VerifyInput")] input: JsValue,
) -> JsValue {
    call(input, boundary::verify_audit_value)
}

/// The last check before a revoke executes (permanent admins, the org-admin floor).
#[wasm_bindgen(js_name = guardRevocation, unchecked_return_type = "GuardAnswer")]
pub fn guard_revocation(
    #[wasm_bindgen(unchecked_param_type = "GuardInput")] input: JsValue,
) -> JsValue {
    call(input, boundary::guard_revocation_value)
}

/// The core's version and the contract's version.
#[wasm_bindgen(js_name = version, unchecked_return_type = "VersionInfo")]
pub fn version() -> JsValue {
    to_js(&boundary::version_value())
}

fn call(input: JsValue, entry: fn(Value) -> Value) -> JsValue {
    // A JS value that has no JSON form (a function, a symbol, a BigInt) reads as `null`, which
    // the core then refuses as `INVALID_INPUT` at `input`.
    let value = serde_wasm_bindgen::from_value::<Value>(input).unwrap_or(Value::Null);
    to_js(&entry(value))
}

/// Plain objects (not `Map`s), so answers are JSON-compatible and can be stored as they are.
fn to_js(value: &Value) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}
