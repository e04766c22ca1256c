use super::fixtures::*;
use crate::*;

fn snapshot(entries: &[(&str, &[&str])]) -> HolderSnapshot {
    HolderSnapshot {
        complete: true,
        targets: entries
            .iter()
            .map(|(t, hs)| TargetHolders {
                target: (*t).into(),
                complete: true,
                externally_synced: false,
                holders: hs.iter().map(|h| (*h).to_owned()).collect(),
            })
            .collect(),
    }
}

fn all_targets(org: &[&str]) -> HolderSnapshot {
    snapshot(&[
        ("org-admin", org),
        ("site-admin", &[]),
        ("jira-admins", &[]),
    ])
}

fn input(policy: Policy, grants: Vec<Grant>, snapshot: HolderSnapshot) -> SweepInput {
    SweepInput {
        policy,
        grants,
        snapshot,
        now: at("2026-06-01T12:00:00Z"),
        audit_head: None,
        previous_fingerprint: None,
        previous_findings: vec![],
        former_permanent_admins: vec![],
    }
}

fn revoked_accounts(out: &SweepOutcome) -> Vec<String> {
    out.actions
        .iter()
        .filter_map(|a| match a {
            Action::Revoke { account_id, .. } => Some(account_id.clone()),
            _ => None,
        })
        .collect()
}

fn codes(out: &SweepOutcome) -> Vec<String> {
    out.actions
        .iter()
        .filter_map(|a| match a {
            Action::Alert { code, .. } => Some(code.clone()),
            _ => None,
        })
        .collect()
}

fn finished_grant() -> Grant {
    let mut d = Driver::active("org-admin");
    d.ok("alice", Event::Complete {});
    d.confirm_pending();
    d.grant().clone()
}

#[test]
fn access_still_held_after_its_grant_ended_is_revoked_whatever_the_drift_mode() {
    let out = sweep(&input(
        policy(),
        vec![finished_grant()],
        all_targets(&["perm-1", "alice"]),
    ));
    assert_eq!(revoked_accounts(&out), ["alice"]);
    assert_eq!(out.findings[0].kind, FindingKind::EndedStillHeld);
}

#[test]
fn drift_in_report_mode_is_alerted_and_commented_but_not_revoked() {
    let mut p = policy();
    p.alert_issue_key = Some("OPS-1".into());
    let out = sweep(&input(p, vec![], all_targets(&["perm-1", "mallory"])));
    assert!(revoked_accounts(&out).is_empty());
    assert!(codes(&out).contains(&"DRIFT".to_owned()));
    assert!(out
        .actions
        .iter()
        .any(|a| matches!(a, Action::Comment { issue_key, .. } if issue_key == "OPS-1")));
    assert_eq!(out.findings[0].disposition, Disposition::Report);
}

#[test]
fn drift_in_enforce_mode_is_revoked() {
    let mut p = policy();
    p.drift_mode = DriftMode::Enforce;
    let out = sweep(&input(p, vec![], all_targets(&["perm-1", "mallory"])));
    assert_eq!(revoked_accounts(&out), ["mallory"]);
}

#[test]
fn permanent_admins_and_standing_holders_are_never_findings_even_in_enforce_mode() {
    let mut p = policy();
    p.drift_mode = DriftMode::Enforce;
    p.targets[2].standing_holders.push("svc-integration".into());
    let snap = snapshot(&[
        ("org-admin", &["perm-1", "perm-2", "perm-3"]),
        ("site-admin", &["perm-1"]),
        ("jira-admins", &["svc-integration", "perm-2"]),
    ]);
    let out = sweep(&input(p, vec![], snap));
    assert!(out.findings.is_empty());
    assert!(revoked_accounts(&out).is_empty());
}

#[test]
fn a_holder_covered_by_an_active_grant_is_not_drift() {
    let d = Driver::active("org-admin");
    let out = sweep(&input(
        policy(),
        vec![d.grant().clone()],
        all_targets(&["perm-1", "alice"]),
    ));
    assert!(out.findings.is_empty());
}

#[test]
fn the_floor_keeps_enough_org_admins_and_raises_an_alert_instead() {
    let mut p = policy();
    p.drift_mode = DriftMode::Enforce;
    p.min_org_admins = 3;
    // Only perm-1 really holds org admin, plus two drifted admins: one may go, two must stay.
    let out = sweep(&input(
        p,
        vec![],
        all_targets(&["perm-1", "x-drift", "y-drift", "z-drift"]),
    ));
    assert_eq!(revoked_accounts(&out), ["x-drift"]);
    assert_eq!(
        codes(&out).iter().filter(|c| *c == "ADMIN_FLOOR").count(),
        2
    );
    assert_eq!(out.floor.as_ref().map(|f| f.after), Some(3));
}

#[test]
fn an_invalid_policy_with_no_permanent_admins_revokes_nobody() {
    let mut p = policy();
    p.drift_mode = DriftMode::Enforce;
    p.permanent_admins.clear();
    let out = sweep(&input(p, vec![finished_grant()], all_targets(&["alice"])));
    assert!(revoked_accounts(&out).is_empty());
    assert!(codes(&out).contains(&"INVALID_POLICY".to_owned()));
}

#[test]
fn an_incomplete_snapshot_removes_nobody_and_alerts() {
    let mut p = policy();
    p.drift_mode = DriftMode::Enforce;
    let mut snap = all_targets(&["perm-1", "mallory"]);
    snap.complete = false;
    let out = sweep(&input(p.clone(), vec![finished_grant()], snap));
    assert!(revoked_accounts(&out).is_empty());
    assert!(codes(&out).contains(&"SNAPSHOT_INCOMPLETE".to_owned()));

    let mut snap = all_targets(&["perm-1", "mallory"]);
    snap.targets[0].complete = false;
    let out = sweep(&input(p.clone(), vec![], snap));
    assert!(revoked_accounts(&out).is_empty());

    let snap = snapshot(&[("site-admin", &["mallory"]), ("jira-admins", &[])]);
    let out = sweep(&input(p, vec![], snap));
    assert_eq!(
        revoked_accounts(&out),
        ["mallory"],
        "site-admin was read completely"
    );
    assert!(
        codes(&out).contains(&"SNAPSHOT_INCOMPLETE".to_owned()),
        "org-admin was not read"
    );
}

#[test]
fn a_group_synced_from_the_identity_provider_is_reported_and_never_modified() {
    let mut p = policy();
    p.drift_mode = DriftMode::Enforce;
    let mut snap = all_targets(&["perm-1"]);
    snap.targets[2].externally_synced = true;
    snap.targets[2].holders = vec!["mallory".into()];
    let out = sweep(&input(p, vec![], snap));
    assert!(revoked_accounts(&out).is_empty());
    assert_eq!(out.findings[0].disposition, Disposition::ExternallyManaged);
}

#[test]
fn grants_with_something_due_are_listed_for_a_tick() {
    let d = Driver::active("org-admin");
    let mut late = d.grant().clone();
    late.id = "REQ-2".into();
    let mut i = input(
        policy(),
        vec![d.grant().clone(), late],
        all_targets(&["perm-1", "alice"]),
    );
    i.now = d.grant().window.expect("window").end;
    let out = sweep(&i);
    assert_eq!(out.due, ["REQ-1", "REQ-2"]);
}

#[test]
fn an_unchanged_picture_is_not_audited_again() {
    let first = sweep(&input(
        policy(),
        vec![],
        all_targets(&["perm-1", "mallory"]),
    ));
    assert_eq!(first.audit.len(), 1);
    let mut again = input(policy(), vec![], all_targets(&["perm-1", "mallory"]));
    again.previous_fingerprint = Some(first.fingerprint.clone());
    assert!(sweep(&again).audit.is_empty());
}

#[test]
fn a_permanent_admin_missing_from_org_admins_is_alerted() {
    let out = sweep(&input(policy(), vec![], all_targets(&["perm-1", "perm-2"])));
    assert!(codes(&out).contains(&"PERMANENT_ADMIN_MISSING".to_owned()));
}

fn org_revoke(account: &str) -> Action {
    Action::Revoke {
        key: "k".into(),
        grant_id: Some("REQ-1".into()),
        issue_key: None,
        target: "org-admin".into(),
        access: Access::OrgRole {
            role: ORG_ADMIN_ROLE.into(),
        },
        account_id: account.into(),
        reason: RevokeReason::Expired,
        attempt: 1,
    }
}

fn guard_with(holders: &[&str], complete: bool, account: &str) -> GuardOutcome {
    guard_revocation(&GuardInput {
        policy: policy(),
        action: org_revoke(account),
        org_admins: Some(TargetHolders {
            target: "org-admin".into(),
            complete,
            externally_synced: false,
            holders: holders.iter().map(|h| (*h).to_owned()).collect(),
        }),
        grants: vec![],
    })
}

#[test]
fn the_guard_refuses_to_revoke_the_last_org_admin() {
    let out = guard_with(&["alice"], true, "alice");
    assert!(!out.allowed);
    assert_eq!(out.reason.map(|r| r.code), Some("ADMIN_FLOOR".to_owned()));
    assert!(guard_with(&["alice", "perm-1"], true, "alice").allowed);
}

#[test]
fn the_guard_refuses_when_too_few_org_admins_could_be_confirmed_and_allows_when_enough_were() {
    let out = guard_with(&["alice"], false, "alice");
    assert_eq!(
        out.reason.map(|r| r.code),
        Some("HOLDERS_UNKNOWN".to_owned())
    );
    // An incomplete read that still confirms enough other admins is enough.
    assert!(guard_with(&["alice", "perm-1"], false, "alice").allowed);
    let missing = guard_revocation(&GuardInput {
        policy: policy(),
        action: org_revoke("alice"),
        org_admins: None,
        grants: vec![],
    });
    assert!(!missing.allowed);
}

#[test]
fn the_guard_drops_a_sweep_revoke_of_access_that_a_grant_covers_now() {
    let d = Driver::active("org-admin");
    let mut action = org_revoke("alice");
    if let Action::Revoke { grant_id, .. } = &mut action {
        *grant_id = None;
    }
    let out = guard_revocation(&GuardInput {
        policy: policy(),
        action,
        org_admins: None,
        grants: vec![d.grant().clone()],
    });
    assert!(!out.allowed);
    assert!(out.obsolete);
    assert_eq!(
        out.reason.map(|r| r.code),
        Some("COVERED_BY_GRANT".to_owned())
    );
}

#[test]
fn a_lasting_incident_keeps_its_start_and_a_new_one_the_same_day_is_alerted_again() {
    let first = sweep(&input(
        policy(),
        vec![],
        all_targets(&["perm-1", "mallory"]),
    ));
    let since = first.findings[0].since;
    let alert_keys = |o: &SweepOutcome| -> Vec<String> {
        o.actions
            .iter()
            .filter_map(|a| match a {
                Action::Alert { key, code, .. } if code == "DRIFT" => Some(key.clone()),
                _ => None,
            })
            .collect()
    };
    let mut later = input(policy(), vec![], all_targets(&["perm-1", "mallory"]));
    later.now = at("2026-06-01T12:05:00Z");
    later.previous_findings = first.findings.clone();
    let lasting = sweep(&later);
    assert_eq!(lasting.findings[0].since, since);
    assert_eq!(
        alert_keys(&lasting),
        alert_keys(&first),
        "the same incident is alerted once a day"
    );
    // Mallory's access was removed and given back: a new incident, a new alert the same day.
    let mut again = input(policy(), vec![], all_targets(&["perm-1", "mallory"]));
    again.now = at("2026-06-01T14:00:00Z");
    let back = sweep(&again);
    assert_ne!(alert_keys(&back), alert_keys(&first));
}

#[test]
fn the_guard_never_lets_a_permanent_admin_be_revoked() {
    let out = guard_with(&["perm-1", "perm-2"], true, "perm-1");
    assert_eq!(
        out.reason.map(|r| r.code),
        Some("PERMANENT_ADMIN".to_owned())
    );
}

#[test]
fn without_an_org_role_target_there_is_no_org_admin_count_and_no_missing_admin_alert() {
    let mut p = policy();
    p.targets.retain(|t| !t.access.is_org_admin());
    let out = sweep(&input(
        p,
        vec![],
        snapshot(&[("site-admin", &[]), ("jira-admins", &[])]),
    ));
    assert!(out.floor.is_none());
    assert!(!codes(&out).contains(&"PERMANENT_ADMIN_MISSING".to_owned()));
}
