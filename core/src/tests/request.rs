use super::fixtures::*;
use crate::*;

#[test]
fn an_eligible_requester_creates_a_requested_grant_with_a_comment_and_a_wake_at_the_approval_reminder(
) {
    let mut d = Driver::new();
    let decision = d.ok("alice", submit("org-admin", Some(60)));
    let g = d.grant();
    assert_eq!(g.status, Status::Requested);
    assert_eq!(g.requester, "alice");
    assert_eq!(g.subject, "alice");
    assert_eq!(g.version, 1);
    assert_eq!(g.approval_deadline, at("2026-06-02T09:00:00Z"));
    assert_eq!(comments(&decision.actions).len(), 1);
    assert!(decision
        .actions
        .iter()
        .any(|a| matches!(a, Action::Wake { at: t, .. } if *t == at("2026-06-02T08:00:00Z"))));
    assert_eq!(decision.audit.len(), 1);
    assert_eq!(decision.audit[0].entry.event, "submitRequest");
}

#[test]
fn someone_not_listed_as_requester_is_refused_not_eligible_and_the_refusal_is_audited() {
    let mut d = Driver::new();
    let result = d.try_as(Some("mallory"), submit("org-admin", Some(60)));
    let refusal = result.expect_err("mallory may not request");
    assert_eq!(refusal.error.code(), "NOT_ELIGIBLE");
    assert_eq!(refusal.audit.len(), 1);
    assert_eq!(refusal.audit[0].entry.outcome, AuditOutcome::Refused);
    assert!(d.grant.is_none());
}

#[test]
fn membership_of_a_requester_group_makes_someone_eligible() {
    let mut d = Driver::new();
    let input = DecideInput {
        actor: Some(Actor {
            account_id: "frank".into(),
            group_ids: vec!["g-engineers".into()],
        }),
        ..d.input(None, submit("org-admin", Some(30)))
    };
    let decision = decide(input).expect("frank is eligible through his group");
    d.grant = decision.grant;
    assert_eq!(d.grant().requester, "frank");
}

#[test]
fn an_unknown_target_is_refused_with_its_own_code() {
    let mut d = Driver::new();
    assert_eq!(
        d.refused("alice", submit("root", Some(60))),
        "UNKNOWN_TARGET"
    );
}

#[test]
fn a_zero_or_negative_duration_is_invalid_input_naming_the_field() {
    for minutes in [0, -5, i64::MIN] {
        let mut d = Driver::new();
        let refusal = d
            .try_as(Some("alice"), submit("org-admin", Some(minutes)))
            .expect_err("refused");
        assert_eq!(refusal.error.code(), "INVALID_INPUT");
        assert_eq!(refusal.error.path(), Some("event.durationMinutes"));
    }
}

#[test]
fn a_duration_longer_than_the_target_allows_is_refused_duration_too_long() {
    let mut d = Driver::new();
    assert_eq!(
        d.refused("alice", submit("org-admin", Some(241))),
        "DURATION_TOO_LONG"
    );
    assert_eq!(
        d.refused("alice", submit("org-admin", Some(i64::MAX))),
        "DURATION_TOO_LONG"
    );
}

#[test]
fn an_absent_duration_takes_the_targets_default() {
    let mut d = Driver::new();
    d.ok("alice", submit("org-admin", None));
    assert_eq!(d.grant().duration_minutes, 60);
}

/// A one-hour org-admin submit like the fixtures' `submit`, with these fields.
fn submit_of(
    subject: Option<&str>,
    start: Option<&str>,
    justification: impl Into<String>,
) -> Event {
    Event::Submit {
        grant_id: "REQ-1".into(),
        issue_key: "REQ-1".into(),
        target: "org-admin".into(),
        subject: subject.map(Into::into),
        start: start.map(Into::into),
        duration_minutes: Some(60),
        justification: justification.into(),
    }
}

fn submit_at(start: &str) -> Event {
    submit_of(None, Some(start), "rotate the SAML certificate")
}

fn submit_justified(text: impl Into<String>) -> Event {
    submit_of(None, None, text)
}

#[test]
fn a_start_further_ahead_than_allowed_is_refused_start_too_far() {
    let mut d = Driver::new();
    assert_eq!(
        d.refused("alice", submit_at("2026-06-08T09:00:01Z")),
        "START_TOO_FAR"
    );
    let mut d = Driver::new();
    d.ok("alice", submit_at("2026-06-08T09:00:00Z"));
}

#[test]
fn a_start_in_the_past_or_not_a_date_is_invalid_input_at_event_start() {
    for start in [
        "2026-06-01T08:00:00Z",
        "tomorrow",
        "2026-06-01 10:00",
        "2026-02-30T10:00:00Z",
    ] {
        let mut d = Driver::new();
        let refusal = d
            .try_as(Some("alice"), submit_at(start))
            .expect_err("refused");
        assert_eq!(refusal.error.code(), "INVALID_INPUT", "{start}");
        assert_eq!(refusal.error.path(), Some("event.start"));
    }
}

#[test]
fn a_start_with_an_offset_is_stored_in_utc_and_a_slightly_past_start_becomes_now() {
    let mut d = Driver::new();
    d.ok("alice", submit_at("2026-06-01T13:30:00+02:00"));
    assert_eq!(
        d.grant().requested_start.to_string(),
        "2026-06-01T11:30:00.000Z"
    );
    let mut d = Driver::new();
    d.ok("alice", submit_at("2026-06-01T08:58:00Z"));
    assert_eq!(d.grant().requested_start, d.now);
    let mut d = Driver::new();
    d.ok("alice", submit_at("now"));
    assert_eq!(d.grant().requested_start, d.now);
}

#[test]
fn a_missing_or_short_justification_is_refused_justification_required() {
    for text in ["", "   ", "too short"] {
        let mut d = Driver::new();
        let event = submit_justified(text);
        assert_eq!(d.refused("alice", event), "JUSTIFICATION_REQUIRED");
    }
}

#[test]
fn a_justification_longer_than_the_limit_is_invalid_input() {
    let mut d = Driver::new();
    let event = submit_justified("é".repeat(2001));
    let refusal = d.try_as(Some("alice"), event).expect_err("refused");
    assert_eq!(refusal.error.path(), Some("event.justification"));
}

fn submit_for(subject: &str) -> Event {
    submit_of(Some(subject), None, "deploy pipeline needs it")
}

#[test]
fn an_owner_may_elevate_their_service_account_and_the_grant_targets_it() {
    let mut d = Driver::new();
    d.ok("alice", submit_for("svc-ci"));
    d.ok("bob", Event::Approve {});
    let decision = d.ok("alice", Event::Activate {});
    match only_grant(&decision.actions) {
        Action::Grant { account_id, .. } => assert_eq!(account_id, "svc-ci"),
        _ => unreachable!(),
    }
    assert_eq!(d.grant().requester, "alice");
}

#[test]
fn a_non_owner_or_an_unlisted_account_cannot_be_elevated_not_owner() {
    let mut d = Driver::new();
    assert_eq!(d.refused("erin", submit_for("svc-ci")), "NOT_OWNER");
    let mut d = Driver::new();
    assert_eq!(d.refused("alice", submit_for("bob")), "NOT_OWNER");
}

#[test]
fn a_permanent_admin_cannot_request_elevation() {
    let mut d = Driver::new();
    d.policy.targets[0]
        .requesters
        .account_ids
        .push("perm-1".into());
    assert_eq!(
        d.refused("perm-1", submit("org-admin", Some(60))),
        "PERMANENT_ADMIN"
    );
}

#[test]
fn a_second_open_grant_for_the_same_access_is_refused_duplicate_request() {
    let mut d = Driver::new();
    d.context.open_grants.push(OpenGrant {
        id: "REQ-0".into(),
        subject: "alice".into(),
        target: "org-admin".into(),
    });
    assert_eq!(
        d.refused("alice", submit("org-admin", Some(60))),
        "DUPLICATE_REQUEST"
    );
    d.ok("alice", submit("site-admin", Some(60)));
}

#[test]
fn submitting_again_on_an_existing_grant_is_invalid_state() {
    let mut d = Driver::submitted("org-admin");
    assert_eq!(
        d.refused("alice", submit("org-admin", Some(60))),
        "INVALID_STATE"
    );
}

#[test]
fn the_requester_may_cancel_before_activation_and_nobody_else_may() {
    let mut d = Driver::approved("org-admin");
    assert_eq!(d.refused("bob", Event::Cancel {}), "NOT_REQUESTER");
    let decision = d.ok("alice", Event::Cancel {});
    assert_eq!(d.grant().outcome, Some(Outcome::Cancelled));
    assert!(d.grant().is_finished());
    assert!(revokes(&decision.actions).is_empty());
    let again = d.ok("alice", Event::Cancel {});
    assert!(!again.changed);
}

#[test]
fn an_invalid_policy_refuses_new_requests() {
    let mut d = Driver::new();
    d.policy.permanent_admins.clear();
    let refusal = d
        .try_as(Some("alice"), submit("org-admin", Some(60)))
        .expect_err("refused");
    assert_eq!(refusal.error.code(), "INVALID_POLICY");
    assert_eq!(refusal.error.path(), Some("permanentAdmins"));
}

#[test]
fn an_event_from_a_person_without_an_actor_is_invalid_input_at_actor() {
    let mut d = Driver::new();
    let refusal = d
        .try_as(None, submit("org-admin", Some(60)))
        .expect_err("refused");
    assert_eq!(refusal.error.path(), Some("actor"));
}

#[test]
fn a_grant_id_unsafe_for_storage_keys_is_invalid_input() {
    let mut d = Driver::new();
    let event = Event::Submit {
        grant_id: "REQ 1/..".into(),
        issue_key: "REQ-1".into(),
        target: "org-admin".into(),
        subject: None,
        start: None,
        duration_minutes: None,
        justification: "rotate the SAML certificate".into(),
    };
    let refusal = d.try_as(Some("alice"), event).expect_err("refused");
    assert_eq!(refusal.error.path(), Some("event.grantId"));
}

#[test]
fn invisible_characters_do_not_count_towards_a_justification_and_are_not_stored() {
    for text in [
        "\u{0}".repeat(20),
        "\u{200B}".repeat(20),
        format!("ok{}", "\u{202E}".repeat(20)),
    ] {
        let mut d = Driver::new();
        let event = submit_justified(text);
        assert_eq!(d.refused("alice", event), "JUSTIFICATION_REQUIRED");
    }
    let mut d = Driver::new();
    let event = submit_justified("  rotate\u{202E} the   SAML\u{200B} certificate \n");
    d.ok("alice", event);
    assert_eq!(d.grant().justification, "rotate the SAML certificate");
}

#[test]
fn a_person_acting_on_an_issue_without_a_request_is_told_invalid_state() {
    let mut d = Driver::new();
    assert_eq!(d.refused("bob", Event::Approve {}), "INVALID_STATE");
}
