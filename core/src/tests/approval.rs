use super::fixtures::*;
use crate::*;

#[test]
fn approval_fixes_the_window_at_the_later_of_the_requested_start_and_the_approval() {
    let mut d = Driver::submitted("org-admin");
    d.advance_minutes(25);
    d.ok("bob", Event::Approve {});
    let w = d.grant().window.expect("window fixed");
    assert_eq!(w.start, at("2026-06-01T09:25:00Z"));
    assert_eq!(w.end, at("2026-06-01T10:25:00Z"));
    assert_eq!(d.grant().status, Status::Approved);
}

#[test]
fn the_requester_cannot_approve_their_own_request_even_when_listed_as_approver() {
    let mut d = Driver::submitted("org-admin");
    d.policy.targets[0]
        .approvers
        .account_ids
        .push("alice".into());
    assert_eq!(d.refused("alice", Event::Approve {}), "SELF_APPROVAL");
    assert_eq!(d.grant().status, Status::Requested);
}

#[test]
fn someone_who_is_not_an_approver_is_refused_not_approver_and_audited() {
    let mut d = Driver::submitted("org-admin");
    let before = d.audit.len();
    assert_eq!(d.refused("mallory", Event::Approve {}), "NOT_APPROVER");
    assert_eq!(d.audit.len(), before + 1);
    assert_eq!(
        d.audit.last().map(|r| r.entry.outcome),
        Some(AuditOutcome::Refused)
    );
}

#[test]
fn an_approver_by_group_may_approve() {
    let d = Driver::submitted("jira-admins");
    let input = DecideInput {
        actor: Some(Actor {
            account_id: "gina".into(),
            group_ids: vec!["g-approvers".into()],
        }),
        ..d.input(None, Event::Approve {})
    };
    let decision = decide(input).expect("gina approves through her group");
    assert_eq!(decision.grant.map(|g| g.approvals.len()), Some(1));
}

#[test]
fn a_repeated_approval_by_the_same_approver_changes_nothing_and_audits_nothing() {
    let mut d = Driver::approved("org-admin");
    let again = d.ok("bob", Event::Approve {});
    assert!(!again.changed);
    assert!(again.actions.is_empty());
    assert!(again.audit.is_empty());
    assert_eq!(again.grant.map(|g| g.version), Some(2));
}

#[test]
fn two_required_approvals_need_two_distinct_approvers() {
    let mut d = Driver::new();
    d.policy.targets[0].required_approvals = 2;
    d.policy.targets[0].approvers.account_ids.push("eve".into());
    d.ok("alice", submit("org-admin", Some(60)));
    d.ok("bob", Event::Approve {});
    assert_eq!(d.grant().status, Status::Requested);
    assert!(!d.ok("bob", Event::Approve {}).changed);
    d.ok("carol", Event::Approve {});
    assert_eq!(d.grant().status, Status::Approved);
}

#[test]
fn an_approval_after_the_approval_deadline_is_refused() {
    let mut d = Driver::submitted("org-admin");
    d.advance_minutes(24 * 60);
    assert_eq!(d.refused("bob", Event::Approve {}), "INVALID_STATE");
}

#[test]
fn a_rejected_request_ends_and_never_yields_a_grant_action() {
    let mut d = Driver::submitted("org-admin");
    let decision = d.ok(
        "carol",
        Event::Reject {
            reason: Some("not during the freeze".into()),
        },
    );
    assert_eq!(d.grant().outcome, Some(Outcome::Rejected));
    assert!(d.grant().is_finished());
    assert!(decision
        .actions
        .iter()
        .all(|a| !matches!(a, Action::Grant { .. })));
    assert_eq!(d.refused("bob", Event::Approve {}), "INVALID_STATE");
    assert_eq!(d.refused("alice", Event::Activate {}), "INVALID_STATE");
}

#[test]
fn the_requester_cannot_reject_their_own_request() {
    let mut d = Driver::submitted("org-admin");
    assert_eq!(
        d.refused("alice", Event::Reject { reason: None }),
        "SELF_APPROVAL"
    );
}

#[test]
fn a_service_account_cannot_approve_its_own_elevation() {
    let mut d = Driver::new();
    d.policy.targets[0]
        .approvers
        .account_ids
        .push("svc-ci".into());
    d.ok(
        "alice",
        Event::Submit {
            grant_id: "REQ-1".into(),
            issue_key: "REQ-1".into(),
            target: "org-admin".into(),
            subject: Some("svc-ci".into()),
            start: None,
            duration_minutes: Some(30),
            justification: "deploy pipeline needs it".into(),
        },
    );
    assert_eq!(d.refused("svc-ci", Event::Approve {}), "SELF_APPROVAL");
}
