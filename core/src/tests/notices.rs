//! Notices through Jira's own notifications: the approvers are mentioned when a request
//! arrives (never more than the policy allows), reminded once before the approval deadline, and
//! the requester is warned once per window end, with the way to ask for more time.

use super::fixtures::*;
use crate::*;

fn target<'a>(d: &'a mut Driver, key: &str) -> &'a mut Target {
    d.policy
        .targets
        .iter_mut()
        .find(|t| t.key == key)
        .expect("a target")
}

fn last_comment(actions: &[Action]) -> String {
    comments(actions).pop().expect("a comment")
}

#[test]
fn a_new_request_mentions_its_named_approvers_but_never_the_requester_and_at_most_the_policys_number(
) {
    let mut d = Driver::new();
    {
        let t = target(&mut d, "org-admin");
        t.approvers.account_ids = ["alice", "bob", "carol", "dan", "erin", "bob"]
            .map(String::from)
            .to_vec();
        t.approvers.group_ids = vec!["g-approvers".into()];
        t.max_approvers_notified = 2;
    }
    let decision = d.ok("alice", submit("org-admin", Some(60)));
    let text = last_comment(&decision.actions);
    assert!(
        text.contains("Approval needed from @bob, @carol and 2 more approvers and the members of 1 approver group by 2026-06-02T09:00:00"),
        "{text}"
    );
    assert!(!text.contains("@dan") && !text.contains("@erin"), "{text}");
    assert_eq!(
        text.matches("@alice").count(),
        1,
        "only as the requester: {text}"
    );
    assert_eq!(
        decision.audit[0].entry.details["notified"],
        serde_json::json!(["bob", "carol"])
    );
}

#[test]
fn a_request_with_only_approver_groups_names_the_groups_and_mentions_nobody_else() {
    let mut d = Driver::new();
    let decision = d.ok("alice", submit("jira-admins", Some(60)));
    let text = last_comment(&decision.actions);
    assert!(
        text.contains("Approval needed from the members of 1 approver group by"),
        "{text}"
    );
    assert_eq!(text.matches('@').count(), 1, "only the requester: {text}");
}

#[test]
fn the_reminder_goes_once_to_the_approvers_who_have_not_approved_before_the_deadline() {
    let mut d = Driver::new();
    target(&mut d, "org-admin").required_approvals = 2;
    target(&mut d, "org-admin").approval_reminder_before_minutes = 120;
    target(&mut d, "org-admin").max_extensions = 0;
    d.ok("alice", submit("org-admin", Some(60)));
    d.ok("carol", Event::Approve {});
    let reminder_at = at("2026-06-02T07:00:00Z");
    assert_eq!(d.grant().notices.approval_reminder_at, Some(reminder_at));
    assert_eq!(d.grant().wake_at, Some(reminder_at));
    d.now = reminder_at.plus_seconds(-1).expect("in range");
    assert!(!d.system(Event::Tick {}).changed);
    d.now = reminder_at;
    let reminded = d.system(Event::Tick {});
    let text = last_comment(&reminded.actions);
    assert!(text.starts_with("Reminder: @bob, @dan — "), "{text}");
    assert!(text.contains("(1 of 2 approvals so far)"), "{text}");
    assert_eq!(reminded.audit[0].entry.event, AuditEvent::ApprovalReminder);
    assert_eq!(d.grant().wake_at, Some(d.grant().approval_deadline));
    d.advance_minutes(30);
    assert!(!d.system(Event::Tick {}).changed, "one reminder only");
}

#[test]
fn no_reminder_is_planned_when_it_would_fall_before_the_request_or_is_switched_off() {
    for before in [0, 24 * 60, 30 * 24 * 60] {
        let mut d = Driver::new();
        target(&mut d, "org-admin").approval_reminder_before_minutes = before;
        d.ok("alice", submit("org-admin", Some(60)));
        assert_eq!(d.grant().notices.approval_reminder_at, None, "{before}");
        assert_eq!(d.grant().wake_at, Some(d.grant().approval_deadline));
    }
}

#[test]
fn an_expired_request_ends_unapproved_and_tells_the_requester() {
    let mut d = Driver::submitted("org-admin");
    d.now = d.grant().approval_deadline;
    let decision = d.system(Event::Tick {});
    assert_eq!(d.grant().outcome, Some(Outcome::Unapproved));
    assert!(d.grant().is_finished());
    let text = last_comment(&decision.actions);
    assert!(
        text.starts_with("@alice this request expired unapproved"),
        "{text}"
    );
    // The deadline passed without a tick at the reminder time: it expires, with no reminder.
    assert!(!decision
        .audit
        .iter()
        .any(|r| r.entry.event == AuditEvent::ApprovalReminder));
}

#[test]
fn the_requester_is_warned_before_the_window_ends_with_the_way_to_ask_for_more_time() {
    let mut d = Driver::active("org-admin");
    let end = d.grant().window.expect("window").end;
    let warning = end.plus_seconds(-10 * 60).expect("in range");
    assert_eq!(d.grant().wake_at, Some(warning));
    d.now = warning;
    let warned = d.system(Event::Tick {});
    let text = last_comment(&warned.actions);
    assert!(
        text.starts_with("@alice your Organization admin ends at"),
        "{text}"
    );
    assert!(
        text.contains("(in 10 minutes). To keep it, use “Ask for more time” on this request (2 extensions left)."),
        "{text}"
    );
    assert_eq!(warned.audit[0].entry.event, AuditEvent::WindowEndWarning);
    assert_eq!(d.grant().notices.warned_window_end, Some(end));
    d.advance_minutes(1);
    assert!(!d.system(Event::Tick {}).changed, "warned once per end");
}

#[test]
fn an_approved_extension_rearms_the_warning_for_the_new_end_and_a_pending_one_is_mentioned() {
    let mut d = Driver::active("org-admin");
    let end = d.grant().window.expect("window").end;
    d.ok(
        "alice",
        Event::RequestExtension {
            minutes: 30,
            justification: "the migration runs longer".into(),
        },
    );
    d.now = end.plus_seconds(-10 * 60).expect("in range");
    let warned = d.system(Event::Tick {});
    assert!(last_comment(&warned.actions)
        .contains("Your request for more time is waiting for approval."));
    d.ok("carol", Event::ApproveExtension {});
    let new_end = d.grant().window.expect("window").end;
    d.now = new_end.plus_seconds(-10 * 60).expect("in range");
    let again = d.system(Event::Tick {});
    assert!(last_comment(&again.actions).contains("(1 extension left)"));
    assert_eq!(d.grant().notices.warned_window_end, Some(new_end));
}

#[test]
fn a_window_shorter_than_the_warning_gets_no_warning_and_a_last_extension_says_so() {
    let mut d = Driver::new();
    d.ok("alice", submit("org-admin", Some(5)));
    d.ok("bob", Event::Approve {});
    let decision = d.ok("alice", Event::Activate {});
    d.system(Event::ActionSucceeded {
        action: only_grant(&decision.actions).clone(),
    });
    assert_eq!(notice_warning(&d), None);

    let mut d = Driver::active("org-admin");
    target(&mut d, "org-admin").max_extensions = 0;
    d.now = d
        .grant()
        .window
        .expect("window")
        .end
        .plus_seconds(-10 * 60)
        .expect("in range");
    let warned = d.system(Event::Tick {});
    assert!(last_comment(&warned.actions).contains("No more extensions are allowed"));
}

fn notice_warning(d: &Driver) -> Option<Timestamp> {
    warning_due(d.grant())
}

#[test]
fn a_grant_stored_before_notices_reads_without_them_and_gets_none() {
    let d = Driver::submitted("org-admin");
    let mut stored = serde_json::to_value(d.grant()).expect("json");
    stored.as_object_mut().expect("object").remove("notices");
    let old: Grant = serde_json::from_value(stored).expect("an old grant reads");
    assert!(old.notices.is_none());
    assert_eq!(next_attention(&old), Some(old.approval_deadline));
}

#[test]
fn the_notice_settings_are_validated_at_their_paths() {
    let mut p = policy();
    p.targets[0].max_approvers_notified = 0;
    p.targets[1].max_approvers_notified = 21;
    p.targets[2].window_end_warning_minutes = 30 * 24 * 60 + 1;
    let problems: Vec<String> = validate_policy(&p)
        .into_iter()
        .map(|x| format!("{} {}", x.path, x.code))
        .collect();
    assert_eq!(
        problems,
        [
            "targets[0].maxApproversNotified OUT_OF_RANGE",
            "targets[1].maxApproversNotified OUT_OF_RANGE",
            "targets[2].windowEndWarningMinutes OUT_OF_RANGE"
        ]
    );
}

#[test]
fn the_verified_removal_of_a_service_accounts_access_also_tells_its_requester() {
    let mut d = Driver::new();
    d.ok(
        "alice",
        Event::Submit {
            grant_id: "REQ-1".into(),
            issue_key: "REQ-1".into(),
            target: "org-admin".into(),
            subject: Some("svc-ci".into()),
            start: None,
            duration_minutes: Some(60),
            justification: "rotate the SAML certificate".into(),
        },
    );
    d.ok("bob", Event::Approve {});
    let decision = d.ok("alice", Event::Activate {});
    d.system(Event::ActionSucceeded {
        action: only_grant(&decision.actions).clone(),
    });
    d.ok("alice", Event::Complete {});
    let removed = d.confirm_pending();
    assert_eq!(
        last_comment(&removed.actions),
        "Access removed: @svc-ci no longer holds Organization admin (verified). Requested by @alice."
    );
}

#[test]
fn a_warning_a_few_seconds_late_still_counts_the_minutes_left_rounded_up() {
    let mut d = Driver::active("org-admin");
    let end = d.grant().window.expect("window").end;
    d.now = end.plus_seconds(-10 * 60 + 5).expect("in range");
    let warned = d.system(Event::Tick {});
    assert!(last_comment(&warned.actions).contains("(in 10 minutes)"));
}
