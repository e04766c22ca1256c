use super::fixtures::*;
use crate::*;

fn allowed(v: &View) -> Vec<&str> {
    v.actions
        .iter()
        .filter(|a| a.allowed)
        .map(|a| a.action.as_str())
        .collect()
}

fn reason<'a>(v: &'a View, action: &str) -> Option<&'a str> {
    v.actions
        .iter()
        .find(|a| a.action == action)
        .and_then(|a| a.reason.as_ref())
        .map(|r| r.code.as_str())
}

fn look(d: &Driver, who: &str) -> View {
    view(&ViewInput {
        policy: d.policy.clone(),
        grant: d.grant.clone(),
        viewer: actor(who),
        now: d.now,
        requester: None,
    })
}

#[test]
fn without_a_grant_an_eligible_viewer_may_submit_and_sees_the_targets_they_may_request() {
    let d = Driver::new();
    let v = look(&d, "alice");
    assert_eq!(allowed(&v), ["submitRequest"]);
    assert_eq!(
        v.requestable
            .iter()
            .map(|t| t.key.as_str())
            .collect::<Vec<_>>(),
        ["org-admin", "site-admin", "jira-admins"]
    );
    let v = look(&d, "mallory");
    assert!(allowed(&v).is_empty());
    assert_eq!(reason(&v, "submitRequest"), Some("NOT_ELIGIBLE"));
}

#[test]
fn an_approver_sees_approve_and_reject_while_the_requester_sees_why_not() {
    let d = Driver::submitted("org-admin");
    assert_eq!(allowed(&look(&d, "bob")), ["approve", "reject"]);
    let v = look(&d, "alice");
    assert_eq!(allowed(&v), ["cancel"]);
    assert_eq!(reason(&v, "approve"), Some("SELF_APPROVAL"));
    assert_eq!(
        reason(&look(&d, "mallory"), "approve"),
        Some("NOT_APPROVER")
    );
}

#[test]
fn the_requester_sees_elevate_inside_the_window_only() {
    let d = Driver::approved("org-admin");
    assert_eq!(allowed(&look(&d, "alice")), ["activate", "cancel"]);
    assert_eq!(allowed(&look(&d, "bob")), ["reject", "revoke"]);
}

#[test]
fn the_original_approver_is_told_same_approver_for_the_extension_and_another_approver_may_approve()
{
    let mut d = Driver::active("org-admin");
    d.ok(
        "alice",
        Event::RequestExtension {
            minutes: 30,
            justification: "more time needed".into(),
        },
    );
    let bob = look(&d, "bob");
    assert_eq!(reason(&bob, "approveExtension"), Some("SAME_APPROVER"));
    assert!(allowed(&bob).contains(&"rejectExtension"));
    assert!(allowed(&look(&d, "carol")).contains(&"approveExtension"));
    assert_eq!(allowed(&look(&d, "alice")), ["complete"]);
}

#[test]
fn an_active_grant_shows_the_seconds_remaining() {
    let mut d = Driver::active("org-admin");
    d.advance_minutes(15);
    let v = look(&d, "alice");
    let g = v.grant.expect("grant view");
    assert_eq!(g.seconds_remaining, 45 * 60);
    assert_eq!(g.state, "active");
    assert!(v.viewer.is_requester);
}

#[test]
fn a_finished_grant_offers_nothing() {
    let mut d = Driver::active("org-admin");
    d.ok("alice", Event::Complete {});
    d.confirm_pending();
    for who in ["alice", "bob", "perm-1", "mallory"] {
        assert!(allowed(&look(&d, who)).is_empty(), "{who}");
    }
}
