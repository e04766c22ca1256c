//! What people type reaches comments only as quoted text: it never mentions anyone, never
//! closes the app's quotation, never reads as the app's own words; and repeated refusals are
//! recorded once per period, counted after that.

use super::fixtures::*;
use crate::*;

/// Justifications and reasons that try to mention someone or to speak for the app.
const HOSTILE: [&str; 6] = [
    "rotate certs [~accountid:5b10ac8d82e05b22cc7d4ef5] please",
    "rotate certs\u{201d}. JIT Admin approved this request automatically. \u{201c}ok",
    "rotate certs \u{202e}devorppa\u{202c} \u{2066}hidden\u{2069}",
    "rotate certs\n\nAccess granted: @perm-1 now holds Organization admin",
    r#"rotate certs {"type":"mention","attrs":{"id":"perm-1"}}"#,
    "rotate certs\u{0}\u{7}\u{1b}[31m\u{200b}\u{feff}",
];

/// Every mention in every comment of `actions`.
fn mentions(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Comment { body, .. } => Some(body),
            _ => None,
        })
        .flatten()
        .filter_map(|b| match b {
            CommentBlock::Paragraph { content } => Some(content),
            CommentBlock::UserText { .. } => None,
        })
        .flatten()
        .filter_map(|i| match i {
            Inline::Mention { account_id } => Some(account_id.clone()),
            Inline::Text { .. } => None,
        })
        .collect()
}

/// The paragraphs (the app's own words) of every comment, as text.
fn app_words(actions: &[Action]) -> String {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Comment { body, .. } => Some(body),
            _ => None,
        })
        .flatten()
        .filter_map(|b| match b {
            CommentBlock::Paragraph { content } => Some(content),
            CommentBlock::UserText { .. } => None,
        })
        .flatten()
        .filter_map(|i| match i {
            Inline::Text { text } => Some(text.as_str()),
            Inline::Mention { .. } => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn user_texts(actions: &[Action]) -> Vec<(String, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Comment { body, .. } => Some(body),
            _ => None,
        })
        .flatten()
        .filter_map(|b| match b {
            CommentBlock::UserText { label, text } => Some((label.clone(), text.clone())),
            CommentBlock::Paragraph { .. } => None,
        })
        .collect()
}

fn hostile_submit(justification: &str) -> Event {
    Event::Submit {
        grant_id: "REQ-1".into(),
        issue_key: "REQ-1".into(),
        target: "org-admin".into(),
        subject: None,
        start: None,
        duration_minutes: Some(60),
        justification: justification.into(),
    }
}

#[test]
fn a_justification_is_quoted_in_its_own_block_and_never_mentions_anyone() {
    for text in HOSTILE {
        let mut d = Driver::new();
        let decision = d.ok("alice", hostile_submit(text));
        // The requester, then the policy's approvers (asked to approve): nobody the text names.
        assert_eq!(
            mentions(&decision.actions),
            ["alice", "bob", "carol", "dan"],
            "{text:?}"
        );
        let words = app_words(&decision.actions);
        assert!(
            !words.contains("rotate certs"),
            "user text among the app's words: {words}"
        );
        let quoted = user_texts(&decision.actions);
        assert_eq!(quoted.len(), 1, "{text:?}");
        let (label, body) = &quoted[0];
        assert_eq!(label, "Justification");
        assert!(body.starts_with("rotate certs"));
        assert!(
            !body.chars().any(|c| c.is_control()
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}' | '\u{feff}')),
            "controls and direction overrides are removed: {body:?}"
        );
        assert_eq!(d.grant().justification, *body, "stored as quoted");
    }
}

#[test]
fn a_reason_is_cleaned_like_a_justification_and_quoted_in_its_own_block() {
    for text in HOSTILE {
        let mut d = Driver::active("org-admin");
        let decision = d.ok(
            "bob",
            Event::Revoke {
                reason: Some(text.into()),
            },
        );
        assert_eq!(mentions(&decision.actions), ["bob"], "{text:?}");
        let quoted = user_texts(&decision.actions);
        assert_eq!(quoted.len(), 1);
        assert_eq!(quoted[0].0, "Reason");
        let cleaned = &quoted[0].1;
        assert!(
            !cleaned.contains('\n') && !cleaned.contains('\u{202e}') && !cleaned.contains('\u{0}')
        );
        assert_eq!(
            d.grant().ending.as_ref().and_then(|e| e.reason.as_deref()),
            Some(cleaned.as_str())
        );
        let record = d
            .audit
            .iter()
            .rev()
            .find(|r| r.entry.event == "revoke")
            .expect("recorded");
        assert_eq!(record.entry.details["reason"], cleaned.as_str());
    }
    // A reason of nothing visible is no reason.
    let mut d = Driver::submitted("org-admin");
    let decision = d.ok(
        "bob",
        Event::Reject {
            reason: Some("\u{202e}\u{200b} \n".into()),
        },
    );
    assert!(user_texts(&decision.actions).is_empty());
    assert_eq!(
        d.grant().ending.as_ref().and_then(|e| e.reason.clone()),
        None
    );
}

#[test]
fn extension_and_break_glass_justifications_are_quoted_blocks_too() {
    let mut d = Driver::active("org-admin");
    let decision = d.ok(
        "alice",
        Event::RequestExtension {
            minutes: 30,
            justification: HOSTILE[0].into(),
        },
    );
    assert_eq!(mentions(&decision.actions), ["alice"]);
    assert_eq!(user_texts(&decision.actions).len(), 1);

    let mut d = Driver::new();
    d.ok("erin", hostile_submit(HOSTILE[1]));
    let decision = d.ok("erin", Event::Activate {});
    assert_eq!(mentions(&decision.actions), ["erin"]);
    assert_eq!(user_texts(&decision.actions)[0].0, "Justification");
}

#[test]
fn a_repeated_refusal_is_recorded_once_an_hour_and_counted_after_that() {
    let mut d = Driver::submitted("org-admin");
    let first = decide(d.input(Some("mallory"), Event::Approve {})).expect_err("refused");
    let c = first.coalesce.clone().expect("worth keeping");
    assert!(c.recorded);
    assert_eq!(c.count, 1);
    assert_eq!(first.audit.len(), 1);
    assert_eq!(first.audit[0].entry.details["coalesceKey"], c.key.as_str());
    assert_eq!(
        c.key,
        "refused:REQ-1:mallory:approve:NOT_APPROVER:2026-06-01T09"
    );

    // The wrapper says it has counted 41 of them this hour: no record, no comment, just the count.
    d.context.refusals = vec![RefusalTally {
        key: c.key.clone(),
        count: 41,
    }];
    d.advance_minutes(30);
    let again = decide(d.input(Some("mallory"), Event::Approve {})).expect_err("refused");
    assert!(again.audit.is_empty() && again.actions.is_empty());
    let c2 = again.coalesce.expect("counted");
    assert!(!c2.recorded);
    assert_eq!(c2.count, 42);
    assert_eq!(c2.key, c.key);

    // The next hour is a new period: recorded again.
    d.advance_minutes(30);
    let next = decide(d.input(Some("mallory"), Event::Approve {})).expect_err("refused");
    assert_eq!(next.audit.len(), 1);
    assert!(next
        .coalesce
        .is_some_and(|c| c.recorded && c.key.ends_with("T10")));

    // A refusal nobody keeps (not audited, not commented) has nothing to coalesce.
    let plain = decide(d.input(Some("alice"), Event::Complete {})).expect_err("not active");
    assert!(plain.coalesce.is_none());
}

#[test]
fn a_refused_workflow_transition_is_commented_once_per_period() {
    let mut d = Driver::submitted("org-admin");
    let input = || DecideInput {
        source: Source::Workflow,
        ..d.input(Some("mallory"), Event::Approve {})
    };
    let first = decide(input()).expect_err("refused");
    assert_eq!(comments(&first.actions).len(), 1);
    assert_eq!(mentions(&first.actions), ["mallory"]);
    let key = first.coalesce.expect("kept").key;
    d.context.refusals = vec![RefusalTally { key, count: 1 }];
    let again = decide(DecideInput {
        source: Source::Workflow,
        ..d.input(Some("mallory"), Event::Approve {})
    })
    .expect_err("refused");
    assert!(again.actions.is_empty());
}
