use super::fixtures::*;
use crate::*;

fn ask(minutes: i64) -> Event {
    Event::RequestExtension {
        minutes,
        justification: "migration is slower than planned".into(),
    }
}

#[test]
fn the_original_approver_cannot_approve_the_extension_and_a_different_approver_can() {
    let mut d = Driver::active("org-admin");
    let end = d.grant().window.expect("window").end;
    d.ok("alice", ask(30));
    assert_eq!(
        d.refused("bob", Event::ApproveExtension {}),
        "SAME_APPROVER"
    );
    d.ok("carol", Event::ApproveExtension {});
    assert_eq!(
        d.grant().window.expect("window").end,
        end.plus_minutes(30).expect("in range")
    );
    assert_eq!(
        d.grant().id,
        "REQ-1",
        "an extension never creates another grant"
    );
}

#[test]
fn a_second_extension_needs_an_approver_of_neither_the_request_nor_the_first_extension() {
    let mut d = Driver::active("org-admin");
    d.ok("alice", ask(30));
    d.ok("carol", Event::ApproveExtension {});
    d.ok("alice", ask(30));
    assert_eq!(
        d.refused("bob", Event::ApproveExtension {}),
        "SAME_APPROVER"
    );
    assert_eq!(
        d.refused("carol", Event::ApproveExtension {}),
        "SAME_APPROVER"
    );
    d.ok("dan", Event::ApproveExtension {});
    assert_eq!(d.grant().approved_extensions(), 2);
}

#[test]
fn extensions_beyond_the_targets_maximum_are_refused_too_many_extensions() {
    let mut d = Driver::active("org-admin");
    d.policy.targets[0].approvers.account_ids.push("eve".into());
    for approver in ["carol", "dan"] {
        d.ok("alice", ask(10));
        d.ok(approver, Event::ApproveExtension {});
    }
    assert_eq!(d.refused("alice", ask(10)), "TOO_MANY_EXTENSIONS");
}

#[test]
fn an_extension_longer_than_the_maximum_or_past_the_total_window_is_refused() {
    let mut d = Driver::active("org-admin");
    assert_eq!(d.refused("alice", ask(241)), "DURATION_TOO_LONG");
    d.policy.targets[0].max_total_minutes = Some(240);
    assert_eq!(d.refused("alice", ask(181)), "DURATION_TOO_LONG");
    d.ok("alice", ask(180));
}

#[test]
fn a_zero_or_negative_extension_is_invalid_input_at_event_minutes() {
    let mut d = Driver::active("org-admin");
    for minutes in [0, -30] {
        let refusal = d.try_as(Some("alice"), ask(minutes)).expect_err("refused");
        assert_eq!(refusal.error.path(), Some("event.minutes"));
    }
}

#[test]
fn only_the_requester_asks_for_an_extension_and_only_while_active() {
    let mut d = Driver::active("org-admin");
    assert_eq!(d.refused("bob", ask(30)), "NOT_REQUESTER");
    let mut d = Driver::approved("org-admin");
    assert_eq!(d.refused("alice", ask(30)), "INVALID_STATE");
}

#[test]
fn one_extension_may_be_pending_at_a_time_and_a_repeated_identical_ask_is_a_no_op() {
    let mut d = Driver::active("org-admin");
    d.ok("alice", ask(30));
    assert!(!d.ok("alice", ask(30)).changed);
    assert_eq!(d.refused("alice", ask(45)), "INVALID_STATE");
}

#[test]
fn the_requester_cannot_approve_their_own_extension() {
    let mut d = Driver::active("org-admin");
    d.policy.targets[0]
        .approvers
        .account_ids
        .push("alice".into());
    d.ok("alice", ask(30));
    assert_eq!(
        d.refused("alice", Event::ApproveExtension {}),
        "SELF_APPROVAL"
    );
}

#[test]
fn a_rejected_extension_leaves_the_window_unchanged() {
    let mut d = Driver::active("org-admin");
    let end = d.grant().window.expect("window").end;
    d.ok("alice", ask(30));
    d.ok("bob", Event::RejectExtension { reason: None });
    assert_eq!(d.grant().window.expect("window").end, end);
    assert_eq!(d.grant().extensions[0].status, ExtensionStatus::Rejected);
}

#[test]
fn a_pending_extension_lapses_when_the_window_ends_and_cannot_be_approved_after() {
    let mut d = Driver::active("org-admin");
    d.ok("alice", ask(30));
    d.now = d.grant().window.expect("window").end;
    d.system(Event::Tick {});
    assert_eq!(d.grant().extensions[0].status, ExtensionStatus::Lapsed);
    assert_eq!(
        d.refused("carol", Event::ApproveExtension {}),
        "INVALID_STATE"
    );
}

#[test]
fn an_approved_extension_moves_the_wake_to_the_new_window_ends_warning_and_then_its_end() {
    let mut d = Driver::active("org-admin");
    d.ok("alice", ask(30));
    let decision = d.ok("carol", Event::ApproveExtension {});
    let end = d.grant().window.expect("window").end;
    let warning = end.plus_seconds(-10 * 60).expect("in range");
    assert!(decision
        .actions
        .iter()
        .any(|a| matches!(a, Action::Wake { at, .. } if *at == warning)));
    d.now = warning;
    let warned = d.system(Event::Tick {});
    assert!(warned
        .actions
        .iter()
        .any(|a| matches!(a, Action::Wake { at, .. } if *at == end)));
    d.now = end.plus_seconds(-1).expect("in range");
    assert!(!d.system(Event::Tick {}).changed);
}

#[test]
fn a_total_window_refusal_names_the_extension_minutes_field() {
    let mut d = Driver::active("org-admin");
    d.policy.targets[0].max_total_minutes = Some(240);
    let refusal = d.try_as(Some("alice"), ask(200)).expect_err("refused");
    assert_eq!(refusal.error.code(), "DURATION_TOO_LONG");
    assert_eq!(refusal.error.path(), Some("event.minutes"));
}

#[test]
fn a_grant_whose_target_left_the_policy_cannot_be_extended_or_approved() {
    let mut d = Driver::active("org-admin");
    d.ok("alice", ask(30));
    d.policy.targets.remove(0);
    let refusal = d
        .try_as(Some("carol"), Event::ApproveExtension {})
        .expect_err("refused");
    assert_eq!(refusal.error.code(), "TARGET_REMOVED");
    assert_eq!(refusal.error.path(), None);
    // Ending it still works: revocation never depends on the policy still listing the target.
    d.ok("alice", Event::Complete {});
    assert_eq!(revokes(&d.actions).len(), 1);
}
