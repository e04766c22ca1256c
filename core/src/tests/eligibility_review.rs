use super::fixtures::*;
use crate::*;

/// The review of `grants` as of `now`, with the history starting at `T0`.
fn review(policy: &Policy, grants: Vec<Grant>, memberships: Vec<Membership>, now: &str) -> Review {
    eligibility_review(&ReviewInput {
        policy: policy.clone(),
        grants,
        memberships,
        history_from: Some(at(T0)),
        now: at(now),
    })
}

fn row<'a>(r: &'a Review, target: &str, role: EligibilityRole, who: &str) -> &'a ReviewRow {
    r.rows
        .iter()
        .find(|x| {
            x.target == target
                && x.role == role
                && match &x.principal {
                    Principal::Account { account_id } => account_id == who,
                    Principal::Group { group_id } => group_id == who,
                }
        })
        .unwrap_or_else(|| panic!("no row for {target} {role:?} {who}"))
}

/// alice's org-admin request, approved by bob, as a stored grant.
fn approved_grant() -> Grant {
    Driver::approved("org-admin").grant().clone()
}

#[test]
fn every_requester_approver_and_break_glass_account_and_group_of_every_target_gets_a_row() {
    let p = policy();
    let r = review(&p, vec![], vec![], T0);
    // org-admin: 2 + 1 group requesters, 3 approvers, 1 break glass; site-admin: 2 + 3;
    // jira-admins: 2 requesters, 1 approver group.
    assert_eq!(r.rows.len(), 6 + 1 + 5 + 3);
    assert_eq!(r.idle_after_days, IDLE_AFTER_DAYS_DEFAULT);
    assert!(r
        .rows
        .iter()
        .all(|x| x.uses == 0 && x.last_used.is_none() && !x.idle));
    assert_eq!(
        row(&r, "org-admin", EligibilityRole::BreakGlass, "erin").uses,
        0
    );
}

#[test]
fn a_request_and_an_approval_are_the_last_use_of_the_requester_and_the_approver() {
    let p = policy();
    let r = review(&p, vec![approved_grant()], vec![], "2026-06-11T09:00:00Z");
    let alice = row(&r, "org-admin", EligibilityRole::Requester, "alice");
    assert_eq!((alice.uses, alice.last_used), (1, Some(at(T0))));
    assert_eq!(alice.last_issue_key.as_deref(), Some("REQ-1"));
    assert_eq!(alice.idle_days, Some(10));
    let bob = row(&r, "org-admin", EligibilityRole::Approver, "bob");
    assert_eq!((bob.uses, bob.last_used), (1, Some(at(T0))));
    // Using a right on one target says nothing about another.
    assert_eq!(
        row(&r, "site-admin", EligibilityRole::Requester, "alice").uses,
        0
    );
    assert_eq!(
        row(&r, "org-admin", EligibilityRole::Approver, "carol").uses,
        0
    );
}

#[test]
fn a_rejection_counts_as_the_approvers_use_of_the_right() {
    let mut d = Driver::submitted("org-admin");
    d.advance_minutes(5);
    d.ok("carol", Event::Reject { reason: None });
    let r = review(
        &policy(),
        vec![d.grant().clone()],
        vec![],
        "2026-06-02T09:00:00Z",
    );
    let carol = row(&r, "org-admin", EligibilityRole::Approver, "carol");
    assert_eq!(carol.last_used, Some(at("2026-06-01T09:05:00Z")));
}

#[test]
fn a_right_unused_for_longer_than_the_policys_period_is_idle_and_exactly_the_period_is_not() {
    let mut p = policy();
    p.idle_after_days = Some(30);
    let grants = vec![approved_grant()];
    let on_the_day = review(&p, grants.clone(), vec![], "2026-07-01T09:00:00Z");
    assert!(
        !row(
            &on_the_day,
            "org-admin",
            EligibilityRole::Requester,
            "alice"
        )
        .idle
    );
    let after = review(&p, grants, vec![], "2026-07-01T09:01:00Z");
    assert_eq!(after.idle_after_days, 30);
    assert!(row(&after, "org-admin", EligibilityRole::Requester, "alice").idle);
    // Never used since the history began (T0): idle too, counted from there.
    let dan = row(&after, "org-admin", EligibilityRole::Approver, "dan");
    assert!(dan.idle && dan.last_used.is_none());
    assert_eq!(dan.idle_days, Some(30));
    assert_eq!(
        after.idle_count,
        u32::try_from(after.rows.iter().filter(|r| r.idle).count()).unwrap()
    );
}

#[test]
fn without_a_history_start_a_right_never_used_is_not_flagged() {
    let r = eligibility_review(&ReviewInput {
        policy: policy(),
        grants: vec![],
        memberships: vec![],
        history_from: None,
        now: at("2030-01-01T00:00:00Z"),
    });
    assert!(r.rows.iter().all(|x| !x.idle && x.idle_days.is_none()));
}

#[test]
fn a_group_is_credited_with_its_members_uses_once_their_groups_are_known() {
    let p = policy();
    // An approval by someone approving through the group g-approvers (jira-admins' approvers).
    let mut d = Driver::submitted("jira-admins");
    d.context.requester = None;
    let mut grant = d.grant().clone();
    grant.approvals.push(Approval {
        approver: "gina".into(),
        at: at("2026-06-01T10:00:00Z"),
    });
    let first = review(&p, vec![grant.clone()], vec![], "2026-06-02T00:00:00Z");
    assert_eq!(first.needs_groups_of, vec!["gina".to_owned()]);
    let g = row(
        &first,
        "jira-admins",
        EligibilityRole::Approver,
        "g-approvers",
    );
    assert!(!g.attribution_complete && g.uses == 0);
    let known = vec![Membership {
        account_id: "gina".into(),
        group_ids: vec!["g-approvers".into()],
    }];
    let second = review(&p, vec![grant], known, "2026-06-02T00:00:00Z");
    assert!(second.needs_groups_of.is_empty());
    let g = row(
        &second,
        "jira-admins",
        EligibilityRole::Approver,
        "g-approvers",
    );
    assert!(g.attribution_complete);
    assert_eq!((g.uses, g.last_used), (1, Some(at("2026-06-01T10:00:00Z"))));
}

#[test]
fn someone_listed_by_name_is_not_asked_about_and_their_use_is_not_the_groups() {
    let p = policy();
    // alice is an org-admin requester by name; the target also lists g-engineers.
    let r = review(&p, vec![approved_grant()], vec![], "2026-06-02T00:00:00Z");
    assert!(r.needs_groups_of.is_empty());
    let g = row(&r, "org-admin", EligibilityRole::Requester, "g-engineers");
    assert!(g.attribution_complete && g.uses == 0);
}

#[test]
fn an_idle_period_outside_one_to_3650_days_is_a_policy_problem() {
    for (days, ok) in [(0, false), (1, true), (3650, true), (3651, false)] {
        let mut p = policy();
        p.idle_after_days = Some(days);
        let problems = validate_policy(&p);
        assert_eq!(
            problems.iter().all(|x| x.path != "idleAfterDays"),
            ok,
            "{days}: {problems:?}"
        );
    }
}

#[test]
fn the_review_reads_strictly_and_answers_as_json() {
    let text = serde_json::json!({"policy": policy(), "now": T0, "extra": 1}).to_string();
    let answer: serde_json::Value =
        serde_json::from_str(&boundary::eligibility_review_json(&text)).unwrap();
    assert_eq!(answer["ok"], false);
    assert_eq!(answer["error"]["code"], "INVALID_INPUT");
    let text = serde_json::json!({"policy": policy(), "now": T0}).to_string();
    let answer: serde_json::Value =
        serde_json::from_str(&boundary::eligibility_review_json(&text)).unwrap();
    assert_eq!(answer["ok"], true);
    assert_eq!(
        answer["rows"][0]["principal"],
        serde_json::json!({"type": "account", "accountId": "alice"})
    );
}
