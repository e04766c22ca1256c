//! Hostile input: arbitrary JSON, and valid inputs with one part replaced by arbitrary JSON, fed
//! to every entry point. Nothing may panic (a panic in Wasm is a trap that kills the Forge
//! invocation); every answer must be JSON with an `ok` flag, and a refusal must carry a code.
//! `PROPTEST_CASES=100000 cargo test --release --test hostile_input` runs it longer.

use jit_admin_core::boundary::*;
use proptest::prelude::*;
use serde_json::{json, Value};

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop_oneof![
            "\\PC{0,40}",
            Just("2026-02-29T00:00:00Z".to_owned()),
            Just("2028-02-29T23:59:59.999999999+14:00".to_owned()),
            Just("2026-03-29T02:30:00+01:00".to_owned()),
            Just("-0001-01-01T00:00:00Z".to_owned()),
            Just("9999-12-31T23:59:59-12:00".to_owned()),
            Just("now".to_owned()),
            Just("org-admin".to_owned()),
            Just("submit".to_owned()),
            Just("\u{202e}\u{0000}\u{fffd}".to_owned()),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    "[a-zA-Z]{1,12}",
                    Just("type".to_owned()),
                    Just("policy".to_owned()),
                    Just("grant".to_owned()),
                    Just("event".to_owned()),
                    Just("now".to_owned()),
                    Just("actor".to_owned()),
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn valid_decide() -> Value {
    json!({
        "policy": {
            "permanentAdmins": ["perm-1"],
            "targets": [{"key": "org-admin", "label": "Org admin", "access": {"type": "orgRole", "role": "atlassian/org-admin"},
                         "requesters": {"accountIds": ["alice"]}, "approvers": {"accountIds": ["bob", "carol"]}}]
        },
        "now": "2026-06-01T09:00:00Z",
        "actor": {"accountId": "alice", "groupIds": []},
        "event": {"type": "submit", "grantId": "REQ-1", "issueKey": "REQ-1", "target": "org-admin",
                  "durationMinutes": 60, "justification": "rotate the SAML certificate"}
    })
}

const EVIDENCE: &str = include_str!("../contract/examples/29-evidence-report.input.json");
const REVIEW: &str = include_str!("../contract/examples/32-eligibility-review.input.json");

fn valid_health() -> Value {
    json!({
        "now": "2026-06-01T09:00:00Z",
        "key": {"outcome": "ok", "orgIds": ["o"], "configuredOrgId": "o"},
        "directory": {"outcome": "ok", "count": 1},
        "roleEndpoints": {"outcome": "failed", "error": {"code": "FORBIDDEN", "message": "no"}},
        "targets": [],
        "queue": {"push": "ok"},
        "sweep": {"outcome": "ok"}
    })
}

/// Replaces the value at a pseudo-random position of `node` with `replacement`.
fn graft(node: &mut Value, choice: usize, replacement: Value) {
    let descend = !choice.is_multiple_of(3);
    match node {
        Value::Object(map) if descend && !map.is_empty() => {
            let keys: Vec<String> = map.keys().cloned().collect();
            if let Some(child) = map.get_mut(&keys[choice % keys.len()]) {
                return graft(child, choice / 3, replacement);
            }
        }
        Value::Array(items) if descend && !items.is_empty() => {
            let n = items.len();
            return graft(&mut items[choice % n], choice / 3, replacement);
        }
        _ => {}
    }
    *node = replacement;
}

fn assert_answer(text: &str) {
    let v: Value = serde_json::from_str(text).expect("every answer is JSON");
    match v.get("ok") {
        Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => {
            let code = v["error"]["code"].as_str().expect("a refusal has a code");
            assert!(!code.is_empty() && code != "INTERNAL", "{text}");
        }
        _ => panic!("no ok flag: {text}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2000), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_never_panics_any_entry_point(value in arbitrary_json()) {
        let text = value.to_string();
        assert_answer(&decide_json(&text));
        assert_answer(&sweep_json(&text));
        assert_answer(&view_json(&text));
        assert_answer(&validate_policy_json(&text));
        assert_answer(&verify_audit_json(&text));
        assert_answer(&guard_revocation_json(&text));
        assert_answer(&authorize_admin_json(&text));
        assert_answer(&policy_change_json(&text));
        assert_answer(&explain_holders_json(&text));
        assert_answer(&gate_json(&text));
        assert_answer(&judge_health_json(&text));
        assert_answer(&evidence_report_json(&text));
        assert_answer(&eligibility_review_json(&text));
    }

    #[test]
    fn a_valid_eligibility_review_input_with_one_part_replaced_never_panics(choice in any::<usize>(), replacement in arbitrary_json()) {
        let mut review: Value = serde_json::from_str(REVIEW).expect("the contract example is JSON");
        graft(&mut review, choice, replacement);
        assert_answer(&eligibility_review_json(&review.to_string()));
    }

    #[test]
    fn a_valid_evidence_or_health_input_with_one_part_replaced_never_panics(choice in any::<usize>(), replacement in arbitrary_json()) {
        let mut evidence: Value = serde_json::from_str(EVIDENCE).expect("the contract example is JSON");
        graft(&mut evidence, choice, replacement.clone());
        assert_answer(&evidence_report_json(&evidence.to_string()));
        let mut health = valid_health();
        graft(&mut health, choice, replacement);
        assert_answer(&judge_health_json(&health.to_string()));
    }

    #[test]
    fn a_valid_policy_change_with_one_part_replaced_never_panics(choice in any::<usize>(), replacement in arbitrary_json()) {
        let policy = valid_decide()["policy"].clone();
        let mut input = json!({
            "command": {"type": "save", "policy": policy, "expectedVersion": 1},
            "actor": "perm-1",
            "jiraAdmin": true,
            "orgAdmins": {"complete": true, "holders": ["perm-1"]},
            "current": {"policy": policy, "version": 1, "updatedAt": "2026-06-01T08:00:00Z", "updatedBy": "perm-1"},
            "now": "2026-06-01T09:00:00Z"
        });
        graft(&mut input, choice, replacement);
        assert_answer(&policy_change_json(&input.to_string()));
        let access = json!({"call": "getPolicy", "actor": input.get("actor"), "jiraAdmin": input.get("jiraAdmin"),
                            "current": input.get("current"), "now": input.get("now")});
        assert_answer(&authorize_admin_json(&access.to_string()));
    }

    #[test]
    fn a_valid_input_with_one_part_replaced_never_panics(choice in any::<usize>(), replacement in arbitrary_json()) {
        let mut input = valid_decide();
        graft(&mut input, choice, replacement);
        let text = input.to_string();
        assert_answer(&decide_json(&text));
        let as_view = json!({"policy": input.get("policy"), "grant": null, "viewer": input.get("actor"), "now": input.get("now")});
        assert_answer(&view_json(&as_view.to_string()));
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        assert_answer(&decide_json(&text));
        assert_answer(&validate_policy_json(&text));
        assert_answer(&judge_health_json(&text));
        assert_answer(&evidence_report_json(&text));
        assert_answer(&eligibility_review_json(&text));
    }
}
