use super::fixtures::*;
use crate::*;

#[test]
fn activation_inside_the_window_emits_exactly_one_grant_action_for_the_subject() {
    let mut d = Driver::approved("org-admin");
    let decision = d.ok("alice", Event::Activate {});
    match only_grant(&decision.actions) {
        Action::Grant {
            account_id,
            access,
            attempt,
            ..
        } => {
            assert_eq!(account_id, "alice");
            assert!(access.is_org_admin());
            assert_eq!(*attempt, 1);
        }
        _ => unreachable!(),
    }
    assert_eq!(d.grant().status, Status::Active);
    assert_eq!(d.grant().provisioning.state, AccessState::Granting);
}

#[test]
fn only_the_requester_may_activate() {
    let mut d = Driver::approved("org-admin");
    assert_eq!(d.refused("bob", Event::Activate {}), "NOT_REQUESTER");
    assert_eq!(d.refused("mallory", Event::Activate {}), "NOT_REQUESTER");
}

#[test]
fn activation_before_the_window_or_after_it_is_refused_outside_window() {
    let mut d = Driver::new();
    d.ok(
        "alice",
        Event::Submit {
            grant_id: "REQ-1".into(),
            issue_key: "REQ-1".into(),
            target: "org-admin".into(),
            subject: None,
            start: Some("2026-06-01T14:00:00Z".into()),
            duration_minutes: Some(60),
            justification: "rotate the SAML certificate".into(),
        },
    );
    d.ok("bob", Event::Approve {});
    assert_eq!(d.refused("alice", Event::Activate {}), "OUTSIDE_WINDOW");
    d.now = at("2026-06-01T15:00:00Z");
    assert_eq!(d.refused("alice", Event::Activate {}), "OUTSIDE_WINDOW");
}

#[test]
fn a_late_activation_does_not_move_the_window_end() {
    let mut d = Driver::approved("org-admin");
    let end = d.grant().window.expect("window").end;
    d.advance_minutes(50);
    d.ok("alice", Event::Activate {});
    assert_eq!(d.grant().window.expect("window").end, end);
}

#[test]
fn a_second_activation_click_changes_nothing() {
    let mut d = Driver::approved("org-admin");
    d.ok("alice", Event::Activate {});
    let again = d.ok("alice", Event::Activate {});
    assert!(!again.changed);
    assert!(again.actions.is_empty());
}

#[test]
fn a_break_glass_account_activates_without_approval_and_raises_a_critical_alert() {
    let mut d = Driver::new();
    d.ok(
        "erin",
        Event::Submit {
            grant_id: "REQ-9".into(),
            issue_key: "REQ-9".into(),
            target: "org-admin".into(),
            subject: None,
            start: None,
            duration_minutes: Some(30),
            justification: "production outage, SSO broken".into(),
        },
    );
    let decision = d.ok("erin", Event::Activate {});
    only_grant(&decision.actions);
    assert!(decision.actions.iter().any(|a| matches!(
        a,
        Action::Alert { severity: Severity::Critical, code, .. } if code == "BREAK_GLASS"
    )));
    assert!(d.grant().activation.as_ref().is_some_and(|a| a.break_glass));
    assert_eq!(d.grant().window.map(|w| w.minutes()), Some(30));
}

#[test]
fn without_break_glass_activation_before_approval_is_invalid_state() {
    let mut d = Driver::submitted("org-admin");
    assert_eq!(d.refused("alice", Event::Activate {}), "INVALID_STATE");
}

#[test]
fn a_target_with_auto_activation_activates_at_the_window_start_on_a_tick() {
    let mut d = Driver::new();
    d.ok(
        "alice",
        Event::Submit {
            grant_id: "REQ-1".into(),
            issue_key: "REQ-1".into(),
            target: "jira-admins".into(),
            subject: None,
            start: Some("2026-06-01T10:00:00Z".into()),
            duration_minutes: Some(60),
            justification: "update the workflow scheme".into(),
        },
    );
    let input = DecideInput {
        actor: Some(Actor {
            account_id: "gina".into(),
            group_ids: vec!["g-approvers".into()],
        }),
        ..d.input(None, Event::Approve {})
    };
    let approved = decide(input).expect("approved");
    d.grant = approved.grant;
    assert!(approved
        .actions
        .iter()
        .any(|a| matches!(a, Action::Wake { at: t, .. } if *t == at("2026-06-01T10:00:00Z"))));
    d.now = at("2026-06-01T09:59:59Z");
    assert!(!d.system(Event::Tick {}).changed);
    d.now = at("2026-06-01T10:00:00Z");
    let decision = d.system(Event::Tick {});
    only_grant(&decision.actions);
    assert_eq!(
        d.grant().activation.as_ref().map(|a| a.by.as_str()),
        Some(SYSTEM)
    );
}

#[test]
fn an_approved_window_that_passes_unused_expires_without_a_revoke() {
    let mut d = Driver::approved("org-admin");
    d.advance_minutes(60);
    let decision = d.system(Event::Tick {});
    assert_eq!(d.grant().outcome, Some(Outcome::Expired));
    assert!(revokes(&decision.actions).is_empty());
    assert!(d.grant().is_finished());
}

#[test]
fn a_request_not_approved_by_its_deadline_is_reminded_once_and_then_expires_unapproved() {
    let mut d = Driver::submitted("org-admin");
    d.advance_minutes(23 * 60 - 1);
    assert!(!d.system(Event::Tick {}).changed);
    d.advance_minutes(1);
    let reminded = d.system(Event::Tick {});
    assert_eq!(reminded.audit[0].entry.event, AuditEvent::ApprovalReminder);
    d.advance_minutes(59);
    assert!(!d.system(Event::Tick {}).changed, "reminded once");
    d.advance_minutes(1);
    d.system(Event::Tick {});
    assert_eq!(d.grant().outcome, Some(Outcome::Unapproved));
    assert_eq!(d.grant().state_word(), "expired unapproved");
}

#[test]
fn a_tick_with_nothing_due_changes_nothing_and_audits_nothing() {
    let mut d = Driver::active("org-admin");
    let decision = d.system(Event::Tick {});
    assert!(!decision.changed);
    assert!(decision.audit.is_empty());
}

#[test]
fn the_same_decision_always_yields_the_same_idempotency_keys() {
    let d = Driver::approved("org-admin");
    let a = decide(d.input(Some("alice"), Event::Activate {})).expect("ok");
    let b = decide(d.input(Some("alice"), Event::Activate {})).expect("ok");
    let keys = |x: &Decision| {
        x.actions
            .iter()
            .map(|a| a.key().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&a), keys(&b));
    assert_eq!(a, b);
}

#[test]
fn every_key_in_one_decision_is_distinct() {
    let mut d = Driver::new();
    d.ok(
        "erin",
        Event::Submit {
            grant_id: "REQ-9".into(),
            issue_key: "REQ-9".into(),
            target: "org-admin".into(),
            subject: None,
            start: None,
            duration_minutes: Some(30),
            justification: "production outage, SSO broken".into(),
        },
    );
    let decision = d.ok("erin", Event::Activate {});
    let mut keys: Vec<&str> = decision.actions.iter().map(Action::key).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n);
}

#[test]
fn the_audit_of_a_whole_lifecycle_verifies_and_names_who_did_what() {
    let mut d = Driver::active("org-admin");
    d.ok("alice", Event::Complete {});
    d.confirm_pending();
    assert!(verify_audit(&d.audit, None).valid);
    let events: Vec<(&str, &str)> = d
        .audit
        .iter()
        .map(|r| (r.entry.actor.as_str(), r.entry.event.as_str()))
        .collect();
    assert_eq!(
        events,
        [
            ("alice", "submitRequest"),
            ("bob", "approve"),
            ("alice", "activate"),
            ("system", "accessGranted"),
            ("alice", "complete"),
            ("system", "accessRevoked"),
        ]
    );
}
