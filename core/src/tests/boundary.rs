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

/// Error paths travel as segments, not as marker characters inside serde's messages.
fn has_control_characters(text: &str) -> bool {
    text.chars().any(char::is_control)
}

#[test]
fn an_event_read_outside_the_boundary_names_the_bad_field_without_control_characters() {
    let err = serde_json::from_str::<crate::Event>(
        r#"{"type":"submit","grantId":"R","issueKey":"R","target":"t","durationMinutes":"sixty"}"#,
    )
    .expect_err("refused")
    .to_string();
    assert!(!has_control_characters(&err), "{err:?}");
    assert!(err.contains("`durationMinutes`"), "{err}");
    let err = serde_json::from_str::<crate::Event>(r#"{"type":7}"#)
        .expect_err("refused")
        .to_string();
    assert!(!has_control_characters(&err), "{err:?}");
    assert!(err.contains("`type`"), "{err}");
}

#[test]
fn paths_inside_an_event_reach_actions_and_never_leak_into_the_next_read() {
    let a = answer(&format!(
        r#"{{{HEAD},"event":{{"type":"actionSucceeded","action":{{"type":"wake","grantId":"R","at":"2026-06-01T09:00:00Z"}}}}}}"#
    ));
    assert_eq!(a["error"]["path"], "event.action.key", "{a}");
    let message = a["error"]["message"].as_str().unwrap_or_default();
    assert!(!has_control_characters(message), "{message:?}");
    let a = answer(&format!(r#"{{{HEAD},"event":{{"type":7}}}}"#));
    assert_eq!(a["error"]["path"], "event.type", "{a}");
    assert_eq!(
        a["error"]["message"],
        "invalid input at `event.type`: must be a string"
    );
    // The failed reads above left nothing behind: the next error names only its own path.
    let a = answer(
        r#"{"policy":{"targets":[{"key":1}]},"event":{"type":"tick"},"now":"2026-06-01T09:00:00Z"}"#,
    );
    assert_eq!(a["error"]["path"], "policy.targets[0].key", "{a}");
    let a = answer(&format!(
        r#"{{{HEAD},"event":{{"type":"tick"}},"auditHead":{{"seq":1}}}}"#
    ));
    assert_eq!(a["error"]["path"], "auditHead.hash", "{a}");
}

fn submit_with_duration(duration: &str) -> String {
    format!(
        r#"{{"policy":{{"permanentAdmins":["p"],"targets":[{{"key":"t","label":"T","access":{{"type":"orgRole","role":"atlassian/org-admin"}},"requesters":{{"accountIds":["alice"]}},"approvers":{{"accountIds":["bob","carol"]}}}}]}},"now":"2026-06-01T09:00:00Z","actor":{{"accountId":"alice"}},"event":{{"type":"submit","grantId":"R","issueKey":"R","target":"t","durationMinutes":{duration},"justification":"rotate the SAML certificate"}}}}"#
    )
}

#[test]
fn a_whole_number_reads_the_same_however_it_is_written_as_javascript_would_hand_it_over() {
    let sixty = answer(&submit_with_duration("60"));
    assert_eq!(sixty["ok"], true, "{sixty}");
    for written in ["60.0", "6e1", "6.0E1"] {
        assert_eq!(answer(&submit_with_duration(written)), sixty, "{written}");
    }
    let fraction = answer(&submit_with_duration("60.5"));
    assert_eq!(fraction["error"]["path"], "event.durationMinutes");
}

#[test]
fn an_integer_beyond_two_to_the_53_is_refused_natively_as_javascript_cannot_hold_it() {
    // JavaScript reads 9007199254740993 as 9007199254740992: the Wasm module refuses it for a
    // whole-number field rather than use digits the caller never had; so does `*_json`.
    let a = answer(&format!(
        r#"{{{HEAD},"event":{{"type":"tick"}},"auditHead":{{"seq":9007199254740993,"hash":"00"}}}}"#
    ));
    assert_eq!(a["ok"], false, "{a}");
    assert_eq!(a["error"]["path"], "auditHead.seq", "{a}");
    let a = answer(&format!(
        r#"{{{HEAD},"event":{{"type":"tick"}},"auditHead":{{"seq":9007199254740991,"hash":"00"}}}}"#
    ));
    assert_ne!(a["error"]["path"], "auditHead.seq", "{a}");
}
