//! The lifecycle follows the policy in force now: activation and extensions re-check it, and
//! `policyCheck` (the kill switch) ends what it no longer allows.

use super::fixtures::*;
use crate::*;

/// The demo policy without `alice` among the requesters (she is in none of their groups either,
/// and the tests pass her, groups and all, as the wrapper's `context.requester`).
fn without_alice(mut p: Policy) -> Policy {
    for t in &mut p.targets {
        t.requesters.account_ids.retain(|a| a != "alice");
    }
    p
}

fn without_target(mut p: Policy, key: &str) -> Policy {
    p.targets.retain(|t| t.key != key);
    p
}

/// A 60-minute request for `target` from `start`.
fn starting(target: &str, start: &str) -> Event {
    match submit(target, Some(60)) {
        Event::Submit {
            grant_id,
            issue_key,
            target,
            subject,
            duration_minutes,
            justification,
            ..
        } => Event::Submit {
            grant_id,
            issue_key,
            target,
            subject,
            start: Some(start.into()),
            duration_minutes,
            justification,
        },
        other => other,
    }
}

fn records(d: &Driver, event: &str) -> usize {
    d.audit.iter().filter(|r| r.entry.event == event).count()
}

#[test]
fn an_approved_grant_is_not_activated_once_its_requester_was_removed_from_the_requesters() {
    let mut d = Driver::approved("org-admin");
    d.policy = without_alice(d.policy.clone());
    assert_eq!(d.refused("alice", Event::Activate {}), "NOT_ELIGIBLE");
    assert_eq!(d.grant().status, Status::Approved);
    assert!(d.actions.iter().all(|a| !matches!(a, Action::Grant { .. })));
}

#[test]
fn an_approved_grant_is_not_activated_once_its_target_was_deleted_or_changed() {
    let mut d = Driver::approved("site-admin");
    d.policy = without_target(d.policy.clone(), "site-admin");
    assert_eq!(d.refused("alice", Event::Activate {}), "TARGET_REMOVED");

    let mut d = Driver::approved("site-admin");
    if let Some(t) = d.policy.targets.iter_mut().find(|t| t.key == "site-admin") {
        t.access = Access::ResourceRole {
            role: "atlassian/site-admin".into(),
            resource: "ari:cloud:jira::site/another".into(),
        };
    }
    assert_eq!(d.refused("alice", Event::Activate {}), "TARGET_CHANGED");
}

#[test]
fn a_renamed_group_label_is_not_a_changed_target() {
    let mut d = Driver::new();
    d.policy.targets[2].auto_activate = false;
    d.policy.targets[2].approvers.account_ids.push("bob".into());
    d.ok("alice", submit("jira-admins", Some(60)));
    d.ok("bob", Event::Approve {});
    if let Access::GroupMembership { group_name, .. } = &mut d.policy.targets[2].access {
        *group_name = Some("Jira administrators".into());
    }
    d.ok("alice", Event::Activate {});
    assert_eq!(d.grant().status, Status::Active);
}

#[test]
fn a_service_account_the_requester_no_longer_owns_is_not_elevated() {
    let mut d = Driver::new();
    d.ok(
        "alice",
        Event::Submit {
            grant_id: "REQ-1".into(),
            issue_key: "REQ-1".into(),
            target: "org-admin".into(),
            subject: Some("svc-ci".into()),
            start: None,
            duration_minutes: Some(30),
            justification: "deploy the new SCIM connector".into(),
        },
    );
    d.ok("bob", Event::Approve {});
    d.policy.service_accounts[0].owners = vec!["erin".into()];
    assert_eq!(d.refused("alice", Event::Activate {}), "NOT_OWNER");
}

#[test]
fn approving_the_request_of_a_requester_removed_since_is_refused() {
    let mut d = Driver::submitted("org-admin");
    d.policy = without_alice(d.policy.clone());
    d.context.requester = Some(actor("alice"));
    assert_eq!(d.refused("bob", Event::Approve {}), "NOT_ELIGIBLE");
    assert_eq!(d.grant().status, Status::Requested);
}

#[test]
fn approving_for_a_requester_eligible_only_through_groups_needs_their_groups() {
    let mut d = Driver::new();
    d.policy = without_alice(d.policy.clone());
    let mut alice = actor("alice");
    alice.group_ids.push("g-engineers".into());
    let submitted = decide(DecideInput {
        actor: Some(alice.clone()),
        ..d.input(None, submit("org-admin", Some(60)))
    })
    .expect("alice may request through g-engineers");
    d.grant = submitted.grant;
    // Without the requester's groups the approval cannot tell: refused, not guessed.
    assert_eq!(d.refused("bob", Event::Approve {}), "ELIGIBILITY_UNKNOWN");
    // With them, it goes ahead.
    d.context.requester = Some(alice);
    d.ok("bob", Event::Approve {});
    assert_eq!(d.grant().status, Status::Approved);
    // Out of the group since: activation is refused.
    let mut alice_now = actor("alice");
    alice_now.group_ids.push("g-other".into());
    let refused = decide(DecideInput {
        actor: Some(alice_now),
        ..d.input(None, Event::Activate {})
    })
    .expect_err("no longer eligible");
    assert_eq!(refused.error.code(), "NOT_ELIGIBLE");
}

#[test]
fn automatic_activation_ends_a_grant_the_policy_no_longer_allows_instead_of_granting_it() {
    let mut d = Driver::new();
    d.policy.targets[2].approvers.account_ids.push("bob".into());
    d.ok("alice", starting("jira-admins", "2026-06-01T10:00:00Z"));
    d.ok("bob", Event::Approve {});
    assert_eq!(d.grant().status, Status::Approved);
    d.policy = without_alice(d.policy.clone());
    d.now = at("2026-06-01T10:00:00Z");
    let tick = d.system(Event::Tick {});
    assert!(tick
        .actions
        .iter()
        .all(|a| !matches!(a, Action::Grant { .. })));
    assert_eq!(d.grant().status, Status::Ended);
    assert_eq!(d.grant().outcome, Some(Outcome::Ineligible));
    assert_eq!(d.grant().provisioning.state, AccessState::NotGranted);
    assert_eq!(records(&d, "endedByPolicy"), 1);
}

#[test]
fn automatic_activation_waits_while_the_requesters_groups_are_unknown() {
    let mut d = Driver::new();
    d.policy.targets[2].approvers.account_ids.push("bob".into());
    d.policy.targets[2].requesters = Principals {
        account_ids: vec![],
        group_ids: vec!["g-engineers".into()],
    };
    let mut alice = actor("alice");
    alice.group_ids.push("g-engineers".into());
    let start = "2026-06-01T10:00:00Z";
    let submitted = decide(DecideInput {
        actor: Some(alice.clone()),
        ..d.input(None, starting("jira-admins", start))
    })
    .expect("submitted");
    d.grant = submitted.grant;
    d.context.requester = Some(alice.clone());
    d.ok("bob", Event::Approve {});
    d.context.requester = None;
    d.now = at(start);
    assert!(!d.system(Event::Tick {}).changed, "nothing happens blind");
    assert_eq!(d.grant().status, Status::Approved);
    assert!(is_due(d.grant(), d.now), "the sweep will tick it again");
    d.context.requester = Some(alice);
    d.system(Event::Tick {});
    assert_eq!(d.grant().status, Status::Active);
}

#[test]
fn an_extension_is_neither_requested_nor_approved_once_the_requester_is_no_longer_eligible() {
    let mut d = Driver::active("org-admin");
    let ask = Event::RequestExtension {
        minutes: 30,
        justification: "the certificate is still propagating".into(),
    };
    d.ok("alice", ask.clone());
    d.policy = without_alice(d.policy.clone());
    d.context.requester = Some(actor("alice"));
    assert_eq!(
        d.refused("carol", Event::ApproveExtension {}),
        "NOT_ELIGIBLE"
    );
    d.ok("carol", Event::RejectExtension { reason: None });
    assert_eq!(d.refused("alice", ask), "NOT_ELIGIBLE");
}

#[test]
fn policy_check_ends_a_requested_or_approved_grant_without_access() {
    for approved in [false, true] {
        let mut d = if approved {
            Driver::approved("org-admin")
        } else {
            Driver::submitted("org-admin")
        };
        d.policy = without_alice(d.policy.clone());
        d.context.requester = Some(actor("alice"));
        let decision = d.system(Event::PolicyCheck {});
        assert_eq!(d.grant().status, Status::Ended);
        assert_eq!(d.grant().outcome, Some(Outcome::Ineligible));
        assert!(d.grant().is_finished(), "nothing to revoke");
        assert!(revokes(&decision.actions).is_empty());
        let said = comments(&decision.actions).join("\n");
        assert!(
            said.contains("no longer allows") && said.contains("NOT_ELIGIBLE"),
            "{said}"
        );
        let record = d.audit.last().expect("recorded");
        assert_eq!(record.entry.event, "endedByPolicy");
        assert_eq!(record.entry.details["code"], "NOT_ELIGIBLE");
        assert_eq!(
            d.grant().ending.as_ref().and_then(|e| e.reason.as_deref()),
            Some("`alice` is not eligible to request `org-admin`")
        );
    }
}

#[test]
fn policy_check_revokes_an_active_grant_from_its_own_copy_of_the_access() {
    let mut d = Driver::active("site-admin");
    let access = d.grant().access.clone();
    d.policy = without_target(d.policy.clone(), "site-admin");
    let decision = d.system(Event::PolicyCheck {});
    let r = revokes(&decision.actions);
    assert_eq!(r.len(), 1);
    assert!(
        matches!(r[0], Action::Revoke { reason: RevokeReason::Ineligible, access: a, account_id, .. } if *a == access && account_id == "alice")
    );
    assert_eq!(d.grant().outcome, Some(Outcome::Ineligible));
    assert_eq!(d.grant().provisioning.state, AccessState::Revoking);
    d.confirm_pending();
    assert!(d.grant().is_finished());
}

#[test]
fn policy_check_leaves_allowed_unknown_and_ended_grants_alone() {
    let mut d = Driver::active("org-admin");
    assert!(!d.system(Event::PolicyCheck {}).changed);

    // Eligible through a group the sweep could not read: left alone.
    let mut d = Driver::submitted("org-admin");
    d.policy.targets[0]
        .requesters
        .account_ids
        .retain(|a| a != "alice");
    assert!(!d.policy.targets[0].requesters.group_ids.is_empty());
    assert!(!d.system(Event::PolicyCheck {}).changed);
    d.context.requester = Some(actor("alice"));
    assert!(d.system(Event::PolicyCheck {}).changed, "known to be out");

    let mut d = Driver::active("org-admin");
    d.ok("alice", Event::Complete {});
    d.confirm_pending();
    d.policy = without_alice(d.policy.clone());
    assert!(!d.system(Event::PolicyCheck {}).changed);
}

#[test]
fn a_policy_check_needs_a_grant() {
    let d = Driver::new();
    let refused = decide(d.input(None, Event::PolicyCheck {})).expect_err("no grant");
    assert_eq!(refused.error.code(), "INVALID_INPUT");
}
