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
                access: None,
                holders: hs.iter().map(|h| (*h).to_owned()).collect(),
                via_groups: vec![],
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
        requesters: vec![],
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
            access: None,
            holders: holders.iter().map(|h| (*h).to_owned()).collect(),
            via_groups: vec![],
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

#[test]
fn the_sweep_lists_the_open_grants_the_policy_no_longer_allows() {
    let submitted = Driver::submitted("org-admin").grant().clone();
    let active = {
        let mut d = Driver::active("site-admin");
        d.grant.as_mut().expect("grant").id = "REQ-2".into();
        d.grant().clone()
    };
    let mut p = policy();
    p.targets.retain(|t| t.key != "site-admin");
    for t in &mut p.targets {
        t.requesters.account_ids.retain(|a| a != "alice");
    }
    let mut i = input(
        p,
        vec![submitted, active, finished_grant()],
        all_targets(&["perm-1"]),
    );
    // The site-admin grant goes with its target; the org-admin one only once alice's groups
    // are known (she could be in g-engineers).
    assert_eq!(sweep(&i).ineligible, ["REQ-2"]);
    i.requesters = vec![actor("alice")];
    assert_eq!(sweep(&i).ineligible, ["REQ-1", "REQ-2"]);
    let mut engineer = actor("alice");
    engineer.group_ids.push("g-engineers".into());
    i.requesters = vec![engineer];
    assert_eq!(sweep(&i).ineligible, ["REQ-2"]);
}

#[test]
fn the_holders_of_a_deleted_target_are_still_watched_until_the_apps_leftovers_are_gone() {
    let mut ended = Driver::active("site-admin");
    ended.ok("alice", Event::Complete {});
    ended.confirm_pending();
    let grant = ended.grant().clone();
    let mut p = policy();
    p.targets.retain(|t| t.key != "site-admin");
    let snap = |holders: &[&str], access: Option<Access>| HolderSnapshot {
        complete: true,
        targets: vec![
            TargetHolders {
                target: "org-admin".into(),
                complete: true,
                externally_synced: false,
                access: None,
                holders: vec!["perm-1".into()],
                via_groups: vec![],
            },
            TargetHolders {
                target: "jira-admins".into(),
                complete: true,
                externally_synced: false,
                access: None,
                holders: vec![],
                via_groups: vec![],
            },
            TargetHolders {
                target: "site-admin".into(),
                complete: true,
                externally_synced: false,
                access,
                holders: holders.iter().map(|h| (*h).to_owned()).collect(),
                via_groups: vec![],
            },
        ],
    };
    // alice still holds it after her grant ended: revoked with the grant's own access; someone
    // the app never gave it to is no longer the app's business.
    let out = sweep(&input(
        p.clone(),
        vec![grant.clone()],
        snap(&["alice", "someone-else"], Some(grant.access.clone())),
    ));
    assert_eq!(revoked_accounts(&out), ["alice"]);
    assert!(out.actions.iter().any(|a| matches!(a, Action::Revoke { access, reason: RevokeReason::EndedStillHeld, .. } if *access == grant.access)));
    assert_eq!(out.findings.len(), 1);

    // Not read at all: alerted, not forgotten.
    let mut unread = snap(&[], None);
    unread.targets.pop();
    let out = sweep(&input(p, vec![grant], unread));
    assert!(codes(&out).contains(&"SNAPSHOT_INCOMPLETE".to_owned()));
    assert!(revoked_accounts(&out).is_empty());
}

#[test]
fn enforce_mode_revokes_no_org_admin_when_no_permanent_admin_holds_it_and_alerts() {
    let mut p = policy();
    p.drift_mode = DriftMode::Enforce;
    let out = sweep(&input(
        p,
        vec![],
        all_targets(&["x-drift", "y-drift", "z-drift"]),
    ));
    assert!(
        revoked_accounts(&out).is_empty(),
        "{:?}",
        revoked_accounts(&out)
    );
    assert!(out
        .findings
        .iter()
        .all(|f| f.disposition == Disposition::KeptNoPermanentAdmin));
    assert!(out.actions.iter().any(|a| matches!(a, Action::Alert { code, severity: Severity::Critical, .. } if code == "NO_PERMANENT_ORG_ADMIN")));
    assert_eq!(out.floor.as_ref().map(|f| f.after), Some(3));
}

fn via_group(target: &str, direct: &[&str], group: &str, members: &[&str]) -> HolderSnapshot {
    let mut snap = all_targets(&["perm-1"]);
    if let Some(th) = snap.targets.iter_mut().find(|t| t.target == target) {
        th.holders = direct.iter().map(|h| (*h).to_owned()).collect();
        th.via_groups = vec![GroupHolders {
            group_id: group.into(),
            group_name: Some(format!("{group}-name")),
            account_ids: members.iter().map(|m| (*m).to_owned()).collect(),
        }];
    }
    snap
}

#[test]
fn members_of_a_group_that_holds_org_admin_are_reported_naming_the_group_and_never_revoked() {
    let mut p = policy();
    p.drift_mode = DriftMode::Enforce;
    p.alert_issue_key = Some("OPS-1".into());
    let snap = via_group(
        "org-admin",
        &["perm-1"],
        "g-legacy",
        &["mallory", "perm-2", "trent"],
    );
    let out = sweep(&input(p, vec![], snap));
    let via: Vec<_> = out
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::ViaGroup)
        .collect();
    // The permanent admin in the group is not a finding; the other two are, naming the group.
    assert_eq!(
        via.iter()
            .map(|f| f.account_id.as_str())
            .collect::<Vec<_>>(),
        ["mallory", "trent"]
    );
    assert!(via.iter().all(|f| f.disposition == Disposition::ReportGroup
        && f.group_id.as_deref() == Some("g-legacy")
        && f.group_name.as_deref() == Some("g-legacy-name")));
    assert!(
        revoked_accounts(&out).is_empty(),
        "never revoked, even in enforce mode"
    );
    // One alert and one comment for the group, not one per member.
    let alerts: Vec<_> = out
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Alert {
                code,
                severity,
                message,
                ..
            } if code == "DRIFT_VIA_GROUP" => Some((severity, message)),
            _ => None,
        })
        .collect();
    assert_eq!(alerts.len(), 1);
    assert_eq!(*alerts[0].0, Severity::Critical);
    assert!(alerts[0].1.contains("g-legacy-name") && alerts[0].1.contains("`mallory`"));
    assert!(alerts[0].1.contains("remove the role from group"));
    let comments = out
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Comment { body, .. } if crate::comment::plain_text(body).contains("g-legacy-name")))
        .count();
    assert_eq!(comments, 1);
}

#[test]
fn group_held_org_admins_do_not_count_toward_the_admin_floor() {
    let mut p = policy();
    p.drift_mode = DriftMode::Enforce;
    p.min_org_admins = 2;
    // Direct: perm-1 and mallory (drift). Through a group: five more org admins. Counting them would
    // allow revoking mallory; the floor counts direct org admins only, so mallory is kept.
    let snap = via_group(
        "org-admin",
        &["perm-1", "mallory"],
        "g-legacy",
        &["u1", "u2", "u3", "u4", "u5"],
    );
    let out = sweep(&input(p, vec![], snap));
    assert!(revoked_accounts(&out).is_empty());
    let mallory = out
        .findings
        .iter()
        .find(|f| f.account_id == "mallory")
        .map(|f| f.disposition);
    assert_eq!(mallory, Some(Disposition::KeptForFloor));
    assert_eq!(out.floor.map(|f| f.org_admins), Some(2));
}

#[test]
fn the_guard_counts_only_direct_org_admins_never_members_of_a_group_holding_the_role() {
    let out = guard_revocation(&GuardInput {
        policy: policy(),
        action: org_revoke("alice"),
        org_admins: Some(TargetHolders {
            target: "org-admin".into(),
            complete: true,
            externally_synced: false,
            access: None,
            holders: vec!["alice".into()],
            via_groups: vec![GroupHolders {
                group_id: "g-legacy".into(),
                group_name: None,
                account_ids: vec!["u1".into(), "u2".into()],
            }],
        }),
        grants: vec![],
    });
    assert!(!out.allowed);
    assert_eq!(out.reason.map(|r| r.code), Some("ADMIN_FLOOR".to_owned()));
}

#[test]
fn a_site_admin_group_is_reported_even_when_the_rest_of_the_read_is_incomplete() {
    let mut snap = via_group("site-admin", &[], "g-site", &["mallory"]);
    if let Some(th) = snap.targets.iter_mut().find(|t| t.target == "site-admin") {
        th.complete = false;
    }
    let out = sweep(&input(policy(), vec![], snap));
    let f = out
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::ViaGroup);
    assert_eq!(
        f.map(|f| (f.target.as_str(), f.account_id.as_str(), f.disposition)),
        Some(("site-admin", "mallory", Disposition::ReportGroup))
    );
    assert!(codes(&out).contains(&"DRIFT_VIA_GROUP".to_owned()));
}

#[test]
fn via_groups_is_camel_case_optional_json_and_a_lasting_group_finding_keeps_its_start() {
    let th: TargetHolders = serde_json::from_value(serde_json::json!({
        "target": "org-admin", "complete": true, "holders": ["perm-1"],
        "viaGroups": [{"groupId": "g1", "groupName": "org-admins", "accountIds": ["mallory"]}]
    }))
    .expect("viaGroups parses");
    assert_eq!(th.via_groups[0].account_ids, ["mallory"]);
    let plain: TargetHolders = serde_json::from_value(
        serde_json::json!({"target": "org-admin", "complete": true, "holders": []}),
    )
    .expect("viaGroups is optional");
    assert!(plain.via_groups.is_empty());

    let first = sweep(&input(
        policy(),
        vec![],
        via_group("org-admin", &["perm-1"], "g1", &["mallory"]),
    ));
    let mut later = input(
        policy(),
        vec![],
        via_group("org-admin", &["perm-1"], "g1", &["mallory"]),
    );
    later.now = at("2026-06-01T12:05:00Z");
    later.previous_findings = first.findings.clone();
    later.previous_fingerprint = Some(first.fingerprint.clone());
    let second = sweep(&later);
    assert_eq!(second.findings[0].since, first.findings[0].since);
    assert!(
        second.audit.is_empty(),
        "an unchanged picture is not audited again"
    );
    let json = serde_json::to_value(&second.findings[0]).expect("serializes");
    assert_eq!(json["kind"], "viaGroup");
    assert_eq!(json["disposition"], "reportGroup");
    assert_eq!(json["groupId"], "g1");
}

#[test]
fn policy_validation_accepts_every_resource_ari_form_the_spec_documents_and_refuses_non_aris() {
    for resource in [
        "ari:cloud:platform::site/70ef3a32-d0da-4e09-b35e-0109f91969c3",
        "ari:cloud:jira::site/70ef3a32-d0da-4e09-b35e-0109f91969c3",
        "ari:cloud:jira-core::site/1",
        "ari:cloud:jira-software::site/70ef3a32-d0da-4e09-b35e-0109f91969c3",
        "ari:cloud:confluence::site/12345678-1234-1234-1234-123456789012",
    ] {
        let mut p = policy();
        p.targets[1].access = Access::ResourceRole {
            role: "atlassian/site-admin".into(),
            resource: resource.into(),
        };
        assert!(validate_policy(&p).is_empty(), "{resource} is refused");
    }
    let mut p = policy();
    p.targets[1].access = Access::ResourceRole {
        role: "atlassian/site-admin".into(),
        resource: "70ef3a32-d0da-4e09-b35e-0109f91969c3".into(),
    };
    assert!(validate_policy(&p)
        .iter()
        .any(|problem| problem.code == "BAD_RESOURCE"));
}

fn reasons(holders: &[Holder]) -> Vec<(&str, &str, &HolderReason)> {
    holders
        .iter()
        .map(|h| (h.target.as_str(), h.account_id.as_str(), &h.reason))
        .collect()
}

#[test]
fn every_holder_is_explained_once_by_the_core_the_sweep_and_explain_holders_alike() {
    let mut p = policy();
    p.targets[2].standing_holders.push("svc-integration".into());
    let active = Driver::active("org-admin");
    let finished = {
        let mut d = Driver::active("site-admin");
        d.ok("alice", Event::Complete {});
        d.confirm_pending();
        d.grant().clone()
    };
    let mut snap = snapshot(&[
        (
            "org-admin",
            &["perm-1", "alice", "formerly-permanent", "mallory"],
        ),
        ("site-admin", &["alice"]),
        ("jira-admins", &["svc-integration"]),
    ]);
    snap.targets[0].via_groups = vec![GroupHolders {
        group_id: "g-legacy".into(),
        group_name: Some("org-admins".into()),
        account_ids: vec!["oscar".into(), "perm-2".into()],
    }];
    let mut i = input(
        p.clone(),
        vec![active.grant().clone(), finished.clone()],
        snap.clone(),
    );
    i.former_permanent_admins = vec![FormerPermanentAdmin {
        account_id: "formerly-permanent".into(),
        removed_at: at("2026-06-01T08:00:00Z"),
    }];
    let out = sweep(&i);
    let window_end = active.grant().window.as_ref().map(|w| w.end);
    assert_eq!(
        reasons(&out.holders),
        [
            (
                "org-admin",
                "alice",
                &HolderReason::Grant {
                    grant_id: active.grant().id.clone(),
                    issue_key: active.grant().issue_key.clone(),
                    until: window_end,
                }
            ),
            (
                "org-admin",
                "formerly-permanent",
                &HolderReason::Grace {
                    until: Some(at("2026-06-08T08:00:00Z"))
                }
            ),
            ("org-admin", "mallory", &HolderReason::Drift {}),
            ("org-admin", "perm-1", &HolderReason::Permanent {}),
            (
                "org-admin",
                "oscar",
                &HolderReason::ViaGroup {
                    group_id: "g-legacy".into(),
                    group_name: Some("org-admins".into()),
                }
            ),
            (
                "site-admin",
                "alice",
                &HolderReason::EndedStillHeld {
                    grant_id: finished.id.clone(),
                }
            ),
            ("jira-admins", "svc-integration", &HolderReason::Standing {}),
        ]
    );
    // The findings are exactly the explanations the sweep acts on.
    let found: Vec<(&str, FindingKind)> = out
        .findings
        .iter()
        .map(|f| (f.account_id.as_str(), f.kind))
        .collect();
    assert_eq!(
        found,
        [
            ("formerly-permanent", FindingKind::Drift),
            ("mallory", FindingKind::Drift),
            ("oscar", FindingKind::ViaGroup),
            ("alice", FindingKind::EndedStillHeld),
        ]
    );
    let explained = explain_holders(&HoldersInput {
        policy: p,
        grants: i.grants.clone(),
        snapshot: snap,
        now: i.now,
        former_permanent_admins: i.former_permanent_admins.clone(),
    });
    assert_eq!(explained.holders, out.holders);
}

#[test]
fn on_an_access_the_policy_no_longer_lists_only_the_apps_own_holders_are_explained() {
    let finished = finished_grant();
    let mut p = policy();
    p.targets.retain(|t| t.key != "org-admin");
    let snap = snapshot(&[("org-admin", &["perm-1", "alice", "mallory"])]);
    let out = sweep(&input(p, vec![finished.clone()], snap));
    assert_eq!(
        reasons(&out.holders),
        [(
            "org-admin",
            "alice",
            &HolderReason::EndedStillHeld {
                grant_id: finished.id.clone()
            }
        )]
    );
}
