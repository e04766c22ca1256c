use super::fixtures::*;
use crate::*;

fn gate_of(d: &Driver, status_category: Option<StatusCategory>) -> GateAnswer {
    gate(&GateInput {
        policy: d.policy.clone(),
        grant: d.grant.clone(),
        now: d.now,
        status_category,
    })
}

fn ask_extension() -> Event {
    Event::RequestExtension {
        minutes: 30,
        justification: "migration is slower than planned".into(),
    }
}

fn with_groups(id: &str, groups: &[&str]) -> Actor {
    Actor {
        account_id: id.into(),
        group_ids: groups.iter().map(|g| (*g).to_owned()).collect(),
    }
}

/// What the gate says about one actor, the way the workflow validator's expression reads it.
fn gate_allows(entry: &GateEntry, who: &Actor) -> bool {
    if entry.deny.contains_key(&who.account_id) {
        return false;
    }
    entry.anyone
        || entry.accounts.contains(&who.account_id)
        || entry.group_ids.iter().any(|g| who.group_ids.contains(g))
}

fn decide_allows(d: &Driver, who: &Actor, event: Event) -> bool {
    let mut input = d.input(None, event);
    input.actor = Some(who.clone());
    input.source = Source::Workflow;
    matches!(decide(input), Ok(decision) if decision.changed)
}

fn entries(g: &Gate) -> [(&GateEntry, Event); 5] {
    [
        (&g.approve, Event::Approve {}),
        (&g.reject, Event::Reject { reason: None }),
        (&g.complete, Event::Complete {}),
        (&g.revoke, Event::Revoke { reason: None }),
        (&g.approve_extension, Event::ApproveExtension {}),
    ]
}

/// The gate must say yes exactly when `decide` would change the grant, for anybody.
fn assert_gate_matches_decide(d: &Driver) {
    let answer = gate_of(d, None);
    let people = [
        with_groups("alice", &[]),
        with_groups("alice", &["g-approvers"]),
        with_groups("bob", &[]),
        with_groups("bob", &["g-approvers"]),
        with_groups("carol", &[]),
        with_groups("perm-1", &[]),
        with_groups("mallory", &[]),
        with_groups("mallory", &["g-approvers"]),
        with_groups("mallory", &["g-engineers", "g-approvers"]),
        with_groups("never-named", &["g-engineers"]),
    ];
    for (entry, event) in entries(&answer.gate) {
        for who in &people {
            assert_eq!(
                gate_allows(entry, who),
                decide_allows(d, who, event.clone()),
                "{} by {who:?} on a grant that is {}",
                event.audit_event(),
                d.grant().state_word()
            );
        }
    }
}

#[test]
fn the_gate_agrees_with_decide_for_everyone_at_every_step_of_a_lifecycle() {
    let mut d = Driver::submitted("org-admin");
    assert_gate_matches_decide(&d);
    d.ok("bob", Event::Approve {});
    assert_gate_matches_decide(&d);
    d.ok("alice", Event::Activate {});
    assert_gate_matches_decide(&d);
    let d = Driver::active("org-admin");
    assert_gate_matches_decide(&d);
    let mut d = Driver::active("org-admin");
    d.ok("alice", ask_extension());
    assert_gate_matches_decide(&d);
    d.ok("alice", Event::Complete {});
    assert_gate_matches_decide(&d);
}

#[test]
fn the_gate_agrees_with_decide_when_approvers_are_a_group() {
    let mut d = Driver::submitted("jira-admins");
    assert_gate_matches_decide(&d);
    let approver = with_groups("mallory", &["g-approvers"]);
    let mut input = d.input(None, Event::Approve {});
    input.actor = Some(approver);
    let decision = decide(input).expect("a group approver may approve");
    d.grant = decision.grant;
    assert_gate_matches_decide(&d);
}

#[test]
fn only_the_approvers_may_approve_and_the_requester_is_told_why_not() {
    let d = Driver::submitted("org-admin");
    let g = gate_of(&d, None).gate;
    assert_eq!(g.approve.accounts, ["bob", "carol", "dan"]);
    assert!(g.approve.group_ids.is_empty() && !g.approve.anyone);
    assert_eq!(
        g.approve.reason,
        "you may not approve this grant under the JIT Admin policy"
    );
    assert_eq!(
        g.approve.deny.get("alice").map(String::as_str),
        Some("`alice` cannot decide on their own request"),
        "the requester is told why, not that the policy leaves them out"
    );
    assert!(g.complete.accounts.is_empty());
}

#[test]
fn a_requester_in_the_approver_group_is_denied_by_name() {
    let d = Driver::submitted("jira-admins");
    let g = gate_of(&d, None).gate;
    assert_eq!(g.approve.group_ids, ["g-approvers"]);
    assert_eq!(
        g.approve.deny.get("alice").map(String::as_str),
        Some("`alice` cannot decide on their own request")
    );
}

#[test]
fn the_extension_may_not_be_approved_by_the_approver_of_the_request() {
    let mut d = Driver::active("org-admin");
    d.ok("alice", ask_extension());
    let g = gate_of(&d, None).gate;
    assert_eq!(g.approve_extension.accounts, ["carol", "dan"]);
    assert!(!g.approve_extension.accounts.contains(&"bob".to_owned()));
}

#[test]
fn done_before_activation_is_refused_with_the_cores_reason() {
    let d = Driver::approved("org-admin");
    let g = gate_of(&d, None).gate;
    assert!(g.complete.accounts.is_empty());
    assert_eq!(
        g.complete.reason,
        "only the requester `alice` can mark this grant done"
    );
    let d = Driver::active("org-admin");
    assert_eq!(gate_of(&d, None).gate.complete.accounts, ["alice"]);
}

#[test]
fn without_a_grant_nobody_may_take_any_transition() {
    let d = Driver::new();
    let g = gate(&GateInput {
        policy: d.policy.clone(),
        grant: None,
        now: d.now,
        status_category: None,
    })
    .gate;
    for (entry, _) in entries(&g) {
        assert!(entry.accounts.is_empty() && entry.group_ids.is_empty() && !entry.anyone);
    }
}

#[test]
fn a_closed_issue_with_an_active_grant_is_a_critical_divergence_reported_once_per_version() {
    let d = Driver::active("org-admin");
    let answer = gate_of(&d, Some(StatusCategory::Done));
    let divergence = answer.divergence.expect("diverged");
    assert_eq!(divergence.code, "STATUS_AHEAD_OF_GRANT");
    assert_eq!(divergence.severity, Severity::Critical);
    let keys: Vec<&str> = answer.actions.iter().map(Action::key).collect();
    let v = d.grant().version;
    assert_eq!(
        keys,
        [
            format!("divergence:REQ-1:STATUS_AHEAD_OF_GRANT:{v}:alert"),
            format!("divergence:REQ-1:STATUS_AHEAD_OF_GRANT:{v}:comment")
        ]
    );
}

#[test]
fn an_approved_status_on_an_unapproved_request_diverges_but_a_status_behind_the_grant_does_not() {
    let d = Driver::submitted("org-admin");
    let answer = gate_of(&d, Some(StatusCategory::Indeterminate));
    assert_eq!(
        answer.divergence.map(|d| d.severity),
        Some(Severity::Warning)
    );
    // Approved in the panel while the issue still waits: normal, the panel moves no issue.
    let d = Driver::approved("org-admin");
    assert!(gate_of(&d, Some(StatusCategory::New)).divergence.is_none());
    let mut d = Driver::active("org-admin");
    d.ok("alice", Event::Complete {});
    assert!(gate_of(&d, Some(StatusCategory::Done)).divergence.is_none());
    assert!(gate_of(&d, Some(StatusCategory::Indeterminate))
        .divergence
        .is_none());
}
