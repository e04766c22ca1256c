use crate::boundary::*;

fn answer(text: &str) -> serde_json::Value {
    serde_json::from_str(&decide_json(text)).expect("answers are JSON")
}

const HEAD: &str =
    r#""policy":{"permanentAdmins":["p"],"targets":[]},"now":"2026-06-01T09:00:00Z""#;

#[test]
fn a_bad_field_inside_an_event_is_reported_at_its_full_path() {
    let a = answer(&format!(
        r#"{{{HEAD},"actor":{{"accountId":"alice"}},"event":{{"type":"submit","grantId":"R","issueKey":"R","target":"t","durationMinutes":"sixty"}}}}"#
    ));
    assert_eq!(a["ok"], false);
    assert_eq!(a["error"]["path"], "event.durationMinutes");
}

#[test]
fn a_missing_field_is_reported_at_the_missing_fields_path() {
    let a = answer(r#"{"policy":{},"event":{"type":"tick"}}"#);
    assert_eq!(a["error"]["path"], "now");
    let a = answer(&format!(
        r#"{{{HEAD},"event":{{"type":"submit","issueKey":"R","target":"t"}}}}"#
    ));
    assert_eq!(a["error"]["path"], "event.grantId");
}

#[test]
fn an_unknown_event_type_or_an_unknown_field_is_refused() {
    let a = answer(&format!(
        r#"{{{HEAD},"event":{{"type":"grantMeEverything"}}}}"#
    ));
    assert_eq!(a["error"]["path"], "event.type");
    let a = answer(&format!(
        r#"{{{HEAD},"event":{{"type":"approve","accountId":"perm-1"}}}}"#
    ));
    assert_eq!(a["error"]["code"], "INVALID_INPUT");
    assert_eq!(a["error"]["path"], "event.accountId");
}

#[test]
fn text_that_is_not_json_is_invalid_input_not_a_panic() {
    for text in ["", "null", "[]", "{", "\"decide\"", "{\"policy\":1e999}"] {
        let a = answer(text);
        assert_eq!(a["ok"], false, "{text}");
        assert_eq!(a["error"]["code"], "INVALID_INPUT");
    }
}

#[test]
fn every_answer_has_exactly_one_ok_key() {
    let outputs = [
        decide_json(&format!(r#"{{{HEAD},"event":{{"type":"tick"}}}}"#)),
        verify_audit_json(r#"{"records":[]}"#),
        validate_policy_json(r#"{"policy":{}}"#),
        sweep_json(&format!(r#"{{{HEAD},"snapshot":{{"complete":true}}}}"#)),
    ];
    for out in outputs {
        assert_eq!(out.matches("\"ok\":").count(), 1, "{out}");
    }
}

#[test]
fn an_explicit_null_duration_or_extension_minutes_is_refused_at_its_path_not_defaulted() {
    let a = answer(&format!(
        r#"{{{HEAD},"actor":{{"accountId":"alice"}},"event":{{"type":"submit","grantId":"R","issueKey":"R","target":"t","durationMinutes":null}}}}"#
    ));
    assert_eq!(a["ok"], false, "{a}");
    assert_eq!(a["error"]["code"], "INVALID_INPUT");
    assert_eq!(a["error"]["path"], "event.durationMinutes");
    assert!(a["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("not null")));
    let a = answer(&format!(
        r#"{{{HEAD},"actor":{{"accountId":"alice"}},"event":{{"type":"requestExtension","minutes":null,"justification":"more time"}}}}"#
    ));
    assert_eq!(a["error"]["path"], "event.minutes", "{a}");
    assert!(a["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("not null")));
}
