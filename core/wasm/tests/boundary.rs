//! The boundary as JavaScript sees it: plain objects in, tagged answers out, no exceptions.

use js_sys::{Reflect, JSON};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

fn js(text: &str) -> JsValue {
    JSON::parse(text).expect("test JSON parses")
}

fn get(value: &JsValue, path: &str) -> JsValue {
    path.split('.')
        .fold(value.clone(), |v, key| match key.parse::<u32>() {
            Ok(i) => Reflect::get_u32(&v, i).unwrap_or(JsValue::UNDEFINED),
            Err(_) => Reflect::get(&v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED),
        })
}

fn text(value: &JsValue, path: &str) -> String {
    get(value, path).as_string().unwrap_or_default()
}

const POLICY: &str = r#"{
  "permanentAdmins": ["perm-1", "perm-2", "perm-3"],
  "targets": [{
    "key": "org-admin", "label": "Organization admin",
    "access": {"type": "orgRole", "role": "atlassian/org-admin"},
    "requesters": {"accountIds": ["alice"]},
    "approvers": {"accountIds": ["bob", "carol"]}
  }]
}"#;

fn submit_input(duration: &str) -> String {
    format!(
        r#"{{"policy": {POLICY}, "now": "2026-06-01T09:00:00Z", "actor": {{"accountId": "alice"}},
            "event": {{"type": "submit", "grantId": "REQ-1", "issueKey": "REQ-1", "target": "org-admin",
                      "durationMinutes": {duration}, "justification": "rotate the SAML certificate"}}}}"#
    )
}

#[wasm_bindgen_test]
fn version_reports_the_core_and_contract_versions() {
    let v = jit_admin_wasm::version();
    assert!(!text(&v, "core").is_empty());
    assert_eq!(get(&v, "contract").as_f64(), Some(2.0));
}

#[wasm_bindgen_test]
fn a_valid_submit_returns_ok_with_a_camel_case_grant_and_plain_objects() {
    let answer = jit_admin_wasm::decide(js(&submit_input("60")));
    assert_eq!(get(&answer, "ok").as_bool(), Some(true));
    assert_eq!(text(&answer, "grant.status"), "requested");
    assert_eq!(text(&answer, "grant.issueKey"), "REQ-1");
    assert_eq!(
        text(&answer, "grant.requestedStart"),
        "2026-06-01T09:00:00.000Z"
    );
    assert_eq!(get(&answer, "grant.durationMinutes").as_f64(), Some(60.0));
    // json_compatible: objects, not Maps, so the answer can be stored as it is.
    let stored = JSON::stringify(&answer)
        .expect("stringifies")
        .as_string()
        .unwrap_or_default();
    assert!(stored.contains("\"details\":{"));
}

#[wasm_bindgen_test]
fn a_wrongly_typed_field_is_invalid_input_naming_its_path() {
    for bad in ["\"sixty\"", "1.5", "true", "{}"] {
        let answer = jit_admin_wasm::decide(js(&submit_input(bad)));
        assert_eq!(get(&answer, "ok").as_bool(), Some(false), "{bad}");
        assert_eq!(text(&answer, "error.code"), "INVALID_INPUT");
        assert_eq!(
            text(&answer, "error.path"),
            "event.durationMinutes",
            "{bad}"
        );
    }
}

#[wasm_bindgen_test]
fn negative_zero_and_overflowing_durations_are_refused_with_clear_errors() {
    for (bad, code) in [
        ("-5", "INVALID_INPUT"),
        ("0", "INVALID_INPUT"),
        ("1e300", "INVALID_INPUT"),
        ("100000", "DURATION_TOO_LONG"),
    ] {
        let answer = jit_admin_wasm::decide(js(&submit_input(bad)));
        assert_eq!(text(&answer, "error.code"), code, "{bad}");
    }
}

#[wasm_bindgen_test]
fn non_objects_and_missing_fields_are_invalid_input_not_exceptions() {
    for value in [
        JsValue::UNDEFINED,
        JsValue::NULL,
        JsValue::from_f64(3.0),
        JsValue::from_str("decide"),
    ] {
        let answer = jit_admin_wasm::decide(value);
        assert_eq!(text(&answer, "error.code"), "INVALID_INPUT");
    }
    let answer = jit_admin_wasm::decide(js(&format!(
        r#"{{"policy": {POLICY}, "event": {{"type": "tick"}}}}"#
    )));
    assert_eq!(text(&answer, "error.code"), "INVALID_INPUT");
    assert_eq!(text(&answer, "error.path"), "now");
}

#[wasm_bindgen_test]
fn an_unknown_event_type_or_extra_field_is_invalid_input() {
    let answer = jit_admin_wasm::decide(js(&format!(
        r#"{{"policy": {POLICY}, "now": "2026-06-01T09:00:00Z", "event": {{"type": "makeMeAdmin"}}}}"#
    )));
    assert_eq!(text(&answer, "error.code"), "INVALID_INPUT");
    let answer = jit_admin_wasm::decide(js(&format!(
        r#"{{"policy": {POLICY}, "now": "2026-06-01T09:00:00Z", "event": {{"type": "tick"}}, "accountId": "perm-1"}}"#
    )));
    assert_eq!(text(&answer, "error.code"), "INVALID_INPUT");
}

#[wasm_bindgen_test]
fn a_refusal_is_a_value_with_its_code_and_audit_record() {
    let input =
        submit_input("60").replace("\"accountId\": \"alice\"", "\"accountId\": \"mallory\"");
    let answer = jit_admin_wasm::decide(js(&input));
    assert_eq!(get(&answer, "ok").as_bool(), Some(false));
    assert_eq!(text(&answer, "error.code"), "NOT_ELIGIBLE");
    assert_eq!(text(&answer, "audit.0.outcome"), "refused");
}

#[wasm_bindgen_test]
fn audit_records_that_went_through_javascript_still_verify() {
    let answer = jit_admin_wasm::decide(js(&submit_input("60")));
    let records = get(&answer, "audit");
    // Round-trip through JSON text, as storage does.
    let stored = JSON::parse(
        &JSON::stringify(&records)
            .expect("stringify")
            .as_string()
            .unwrap_or_default(),
    )
    .expect("parse");
    let input = js("{}");
    Reflect::set(&input, &JsValue::from_str("records"), &stored).expect("set");
    let verified = jit_admin_wasm::verify_audit(input);
    assert_eq!(get(&verified, "ok").as_bool(), Some(true));
    assert_eq!(
        get(&verified, "valid").as_bool(),
        Some(true),
        "{:?}",
        JSON::stringify(&verified)
    );
    assert_eq!(get(&verified, "checked").as_f64(), Some(1.0));
}

#[wasm_bindgen_test]
fn a_tampered_record_is_reported_by_verify_audit() {
    let answer = jit_admin_wasm::decide(js(&submit_input("60")));
    let records = get(&answer, "audit");
    let first = Reflect::get_u32(&records, 0).expect("record");
    Reflect::set(
        &first,
        &JsValue::from_str("actor"),
        &JsValue::from_str("mallory"),
    )
    .expect("set");
    let input = js("{}");
    Reflect::set(&input, &JsValue::from_str("records"), &records).expect("set");
    let verified = jit_admin_wasm::verify_audit(input);
    assert_eq!(get(&verified, "valid").as_bool(), Some(false));
    assert_eq!(get(&verified, "firstBroken.seq").as_f64(), Some(1.0));
}

#[wasm_bindgen_test]
fn validate_policy_reports_problems_at_their_paths_even_when_the_policy_cannot_be_read() {
    let answer = jit_admin_wasm::validate_policy(js(
        r#"{"policy": {"permanentAdmins": [], "targets": []}}"#,
    ));
    assert_eq!(get(&answer, "valid").as_bool(), Some(false));
    assert_eq!(text(&answer, "problems.0.path"), "permanentAdmins");
    let answer = jit_admin_wasm::validate_policy(js(r#"{"policy": {"minOrgAdmins": "two"}}"#));
    assert_eq!(get(&answer, "valid").as_bool(), Some(false));
    assert_eq!(text(&answer, "problems.0.path"), "minOrgAdmins");
}

#[wasm_bindgen_test]
fn sweep_and_view_answer_plain_objects() {
    let sweep = jit_admin_wasm::sweep(js(&format!(
        r#"{{"policy": {POLICY}, "grants": [], "now": "2026-06-01T09:00:00Z",
            "snapshot": {{"complete": true, "targets": [{{"target": "org-admin", "complete": true, "holders": ["perm-1", "mallory"]}}]}}}}"#
    )));
    assert_eq!(get(&sweep, "ok").as_bool(), Some(true));
    assert_eq!(text(&sweep, "findings.0.accountId"), "mallory");
    let view = jit_admin_wasm::view(js(&format!(
        r#"{{"policy": {POLICY}, "viewer": {{"accountId": "alice"}}, "now": "2026-06-01T09:00:00Z"}}"#
    )));
    assert_eq!(text(&view, "actions.0.action"), "submitRequest");
    assert_eq!(get(&view, "actions.0.allowed").as_bool(), Some(true));
}

/// The Wasm export on the parsed text, and the native `*_json` entry point on the text itself.
fn both(text: &str) -> (serde_json::Value, serde_json::Value) {
    let wasm = JSON::stringify(&jit_admin_wasm::decide(js(text)))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    let native = jit_admin_core::boundary::decide_json(text);
    (
        serde_json::from_str(&wasm).expect("the Wasm answer is JSON"),
        serde_json::from_str(&native).expect("the native answer is JSON"),
    )
}

#[wasm_bindgen_test]
fn the_native_json_path_and_the_wasm_path_read_the_same_numbers_the_same_way() {
    for duration in [
        "60",
        "60.0",
        "6e1",
        "60.5",
        "-0",
        "9007199254740991",
        "9007199254740993",
        "1e300",
    ] {
        let (wasm, native) = both(&submit_input(duration));
        assert_eq!(wasm, native, "durationMinutes {duration}");
    }
    // A u64 field (the audit head's seq) beyond 2^53: JavaScript cannot hold it; both refuse it.
    let tick = format!(
        r#"{{"policy": {POLICY}, "now": "2026-06-01T09:00:00Z", "event": {{"type": "tick"}},
            "auditHead": {{"seq": 9007199254740993, "hash": "00"}}}}"#
    );
    let (wasm, native) = both(&tick);
    assert_eq!(wasm, native);
    assert_eq!(native["error"]["path"], "auditHead.seq", "{native}");
}

/// An export's answer through Wasm (on the parsed text) and natively (on the text itself).
fn through_both(
    wasm: fn(JsValue) -> JsValue,
    native: fn(&str) -> String,
    text: &str,
) -> (serde_json::Value, serde_json::Value) {
    let answer = JSON::stringify(&wasm(js(text)))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    (
        serde_json::from_str(&answer).expect("the Wasm answer is JSON"),
        serde_json::from_str(&native(text)).expect("the native answer is JSON"),
    )
}

#[wasm_bindgen_test]
fn evidence_report_and_judge_health_answer_as_natively_and_name_a_bad_field_at_its_path() {
    let evidence = include_str!("../../contract/examples/29-evidence-report.input.json");
    let (wasm, native) = through_both(
        jit_admin_wasm::evidence_report,
        jit_admin_core::boundary::evidence_report_json,
        evidence,
    );
    assert_eq!(wasm, native);
    assert_eq!(native["ok"], true, "{native}");
    let bad = evidence.replacen("\"actorId\": \"", "\"actorId\": 5, \"x\": \"", 1);
    let (wasm, native) = through_both(
        jit_admin_wasm::evidence_report,
        jit_admin_core::boundary::evidence_report_json,
        &bad,
    );
    assert_eq!(wasm, native);
    assert_eq!(native["error"]["path"], "events[0].actorId", "{native}");

    let health = r#"{"now":"2026-06-01T09:00:00Z","key":{"outcome":"ok","orgIds":["o"],"configuredOrgId":"o"},
        "directory":{"outcome":"ok","count":1},"roleEndpoints":{"outcome":"ok","count":0},
        "queue":{"push":"ok"},"sweep":{"outcome":"ok"}}"#;
    let (wasm, native) = through_both(
        jit_admin_wasm::judge_health,
        jit_admin_core::boundary::judge_health_json,
        health,
    );
    assert_eq!(wasm, native);
    assert_eq!(native["ok"], true, "{native}");
    let (wasm, native) = through_both(
        jit_admin_wasm::judge_health,
        jit_admin_core::boundary::judge_health_json,
        &health.replace("\"count\":1", "\"count\":\"one\""),
    );
    assert_eq!(wasm, native);
    assert_eq!(native["error"]["path"], "directory.count", "{native}");
}

#[wasm_bindgen_test]
fn eligibility_review_answers_as_natively_and_names_a_bad_field_at_its_path() {
    let review = include_str!("../../contract/examples/32-eligibility-review.input.json");
    let (wasm, native) = through_both(
        jit_admin_wasm::eligibility_review,
        jit_admin_core::boundary::eligibility_review_json,
        review,
    );
    assert_eq!(wasm, native);
    assert_eq!(native["ok"], true, "{native}");
    let bad = review.replacen("\"historyFrom\": \"", "\"historyFrom\": 7, \"x\": \"", 1);
    let (wasm, native) = through_both(
        jit_admin_wasm::eligibility_review,
        jit_admin_core::boundary::eligibility_review_json,
        &bad,
    );
    assert_eq!(wasm, native);
    assert_eq!(native["error"]["path"], "historyFrom", "{native}");
}
