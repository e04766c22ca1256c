//! The Health view's judgement: each probe result gives the status, code and fix the deploy
//! guide's step 4 promises, a probe that did not finish is never `ok`, and org-API checks behind
//! a failed key or organization are blocked rather than blamed.

use crate::health::*;
use crate::time::Timestamp;

const NOW: &str = "2026-12-03T04:00:00Z";

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn failed(code: &str) -> Option<ProbeError> {
    Some(ProbeError {
        code: code.into(),
        message: format!("{code} from the adapter"),
    })
}

fn ok_count(n: u32) -> CountProbe {
    CountProbe {
        outcome: ProbeOutcome::Ok,
        error: None,
        count: Some(n),
    }
}

fn healthy() -> HealthInput {
    HealthInput {
        now: at(NOW),
        key: KeyProbe {
            outcome: ProbeOutcome::Ok,
            error: None,
            org_ids: vec!["org-1".into()],
            configured_org_id: "org-1".into(),
        },
        directory: ok_count(1),
        role_endpoints: ok_count(0),
        targets: vec![
            TargetProbe {
                target: "org-admin".into(),
                kind: TargetKind::OrgRole,
                subject: String::new(),
                outcome: ProbeOutcome::Ok,
                error: None,
                exists: None,
                externally_synced: false,
            },
            TargetProbe {
                target: "jira-admins".into(),
                kind: TargetKind::GroupMembership,
                subject: "g-1".into(),
                outcome: ProbeOutcome::Ok,
                error: None,
                exists: Some(true),
                externally_synced: false,
            },
        ],
        permanent_admins: vec![PermanentAdminProbe {
            account_id: "perm-1".into(),
            outcome: ProbeOutcome::Ok,
            error: None,
            holding: Some(OrgAdminHolding::Direct),
        }],
        storage: vec![StorageProbe {
            entity: "grant".into(),
            outcome: ProbeOutcome::Ok,
            error: None,
        }],
        queue: QueueProbe {
            push: ProbeOutcome::Ok,
            error: None,
            pushed_at: Some(at("2026-12-03T03:58:00Z")),
            delivered_at: Some(at("2026-12-03T03:58:01Z")),
        },
        sweep: SweepProbe {
            policy_saved_at: Some(at("2026-12-01T09:00:00Z")),
            last_run_at: Some(at("2026-12-03T03:55:00Z")),
            outcome: ProbeOutcome::Ok,
        },
    }
}

fn check(report: &HealthReport, kind: HealthCheckKind, subject: Option<&str>) -> HealthCheck {
    report
        .checks
        .iter()
        .find(|c| c.check == kind && c.subject.as_deref() == subject)
        .cloned()
        .unwrap_or_else(|| panic!("no {kind:?} {subject:?} check in {report:#?}"))
}

fn code(
    report: &HealthReport,
    kind: HealthCheckKind,
    subject: Option<&str>,
) -> (HealthStatus, String) {
    let c = check(report, kind, subject);
    (c.status, c.code)
}

#[test]
fn a_healthy_installation_passes_every_check_in_the_deploy_guides_order_without_a_fix() {
    let report = judge_health(&healthy());
    assert_eq!(report.status, HealthStatus::Ok, "{report:#?}");
    let kinds: Vec<HealthCheckKind> = report.checks.iter().map(|c| c.check).collect();
    use HealthCheckKind::*;
    assert_eq!(
        kinds,
        [
            ApiKey,
            Organization,
            Directory,
            RoleEndpoints,
            Target,
            Target,
            PermanentAdmin,
            Storage,
            Queue,
            Sweep
        ]
    );
    assert!(report.checks.iter().all(|c| c.fix.is_none()), "{report:#?}");
}

#[test]
fn a_rejected_key_fails_with_its_fix_and_blocks_every_org_api_check_instead_of_blaming_them() {
    for (adapter, code_wanted) in [
        ("UNAUTHORIZED", "KEY_UNAUTHORIZED"),
        ("API_KEY_SCOPED", "KEY_SCOPED"),
    ] {
        let mut input = healthy();
        input.key = KeyProbe {
            outcome: ProbeOutcome::Failed,
            error: failed(adapter),
            org_ids: vec![],
            configured_org_id: "org-1".into(),
        };
        input.directory = CountProbe {
            outcome: ProbeOutcome::Failed,
            error: failed(adapter),
            count: None,
        };
        input.targets[1].outcome = ProbeOutcome::Failed;
        input.targets[1].error = failed(adapter);
        let report = judge_health(&input);
        let key = check(&report, HealthCheckKind::ApiKey, None);
        assert_eq!(
            (key.status, key.code.as_str()),
            (HealthStatus::Failed, code_wanted)
        );
        assert!(key.fix.unwrap().contains("WITHOUT scopes"));
        for (kind, subject) in [
            (HealthCheckKind::Organization, None),
            (HealthCheckKind::Directory, None),
            (HealthCheckKind::RoleEndpoints, None),
            (HealthCheckKind::Target, Some("jira-admins")),
            (HealthCheckKind::PermanentAdmin, Some("perm-1")),
        ] {
            assert_eq!(
                code(&report, kind, subject),
                (HealthStatus::Unknown, "BLOCKED_BY_KEY".into()),
                "{kind:?}"
            );
        }
        // Storage, the queue and the sweep do not depend on the key.
        assert_eq!(
            code(&report, HealthCheckKind::Storage, Some("grant")).0,
            HealthStatus::Ok
        );
        assert_eq!(report.status, HealthStatus::Failed);
    }
}

#[test]
fn an_org_id_the_key_does_not_belong_to_fails_and_names_the_keys_organization() {
    let mut input = healthy();
    input.key.configured_org_id = "org-typo".into();
    let report = judge_health(&input);
    let org = check(&report, HealthCheckKind::Organization, None);
    assert_eq!(
        (org.status, org.code.as_str()),
        (HealthStatus::Failed, "ORG_MISMATCH")
    );
    assert!(org.found.contains("`org-1`"), "{}", org.found);
    assert_eq!(
        code(&report, HealthCheckKind::Directory, None).1,
        "BLOCKED_BY_ORGANIZATION"
    );
    input.key.configured_org_id = " ".into();
    assert_eq!(
        code(&judge_health(&input), HealthCheckKind::Organization, None).1,
        "ORG_ID_MISSING"
    );
}

#[test]
fn a_role_endpoint_refusing_a_working_key_points_to_atlassian_support_and_a_changed_one_says_so() {
    let mut input = healthy();
    input.role_endpoints = CountProbe {
        outcome: ProbeOutcome::Failed,
        error: failed("FORBIDDEN"),
        count: None,
    };
    let refused = check(&judge_health(&input), HealthCheckKind::RoleEndpoints, None);
    assert_eq!(refused.code, "ROLE_API_REFUSED");
    assert!(refused.fix.unwrap().contains("Atlassian Support"));
    input.role_endpoints.error = failed("ORG_API_CONTRACT_CHANGED");
    assert_eq!(
        code(&judge_health(&input), HealthCheckKind::RoleEndpoints, None),
        (HealthStatus::Failed, "ORG_API_CONTRACT_CHANGED".into())
    );
}

#[test]
fn a_missing_group_or_a_scim_group_target_fails_with_the_policy_fix() {
    let mut input = healthy();
    input.targets[1].exists = Some(false);
    assert_eq!(
        code(
            &judge_health(&input),
            HealthCheckKind::Target,
            Some("jira-admins")
        ),
        (HealthStatus::Failed, "TARGET_GROUP_MISSING".into())
    );
    input.targets[1].outcome = ProbeOutcome::Failed;
    input.targets[1].error = failed("NOT_FOUND");
    input.targets[1].exists = None;
    assert_eq!(
        code(
            &judge_health(&input),
            HealthCheckKind::Target,
            Some("jira-admins")
        )
        .1,
        "TARGET_GROUP_MISSING"
    );
    let mut input = healthy();
    input.targets[1].externally_synced = true;
    let scim = check(
        &judge_health(&input),
        HealthCheckKind::Target,
        Some("jira-admins"),
    );
    assert_eq!(
        (scim.status, scim.code.as_str()),
        (HealthStatus::Failed, "TARGET_GROUP_SCIM")
    );
    assert!(scim.fix.unwrap().contains("SCIM"));
    let mut input = healthy();
    input.targets[1].kind = TargetKind::ResourceRole;
    input.targets[1].exists = Some(false);
    assert_eq!(
        code(
            &judge_health(&input),
            HealthCheckKind::Target,
            Some("jira-admins")
        )
        .1,
        "TARGET_RESOURCE_MISSING"
    );
}

#[test]
fn a_permanent_admin_without_org_admin_fails_and_one_holding_it_through_a_group_is_a_warning() {
    let mut input = healthy();
    input.permanent_admins[0].holding = Some(OrgAdminHolding::None);
    assert_eq!(
        code(
            &judge_health(&input),
            HealthCheckKind::PermanentAdmin,
            Some("perm-1")
        ),
        (HealthStatus::Failed, "PERMANENT_ADMIN_NOT_ORG_ADMIN".into())
    );
    input.permanent_admins[0].holding = Some(OrgAdminHolding::Indirect);
    let report = judge_health(&input);
    assert_eq!(
        code(&report, HealthCheckKind::PermanentAdmin, Some("perm-1")).0,
        HealthStatus::Warning
    );
    assert_eq!(report.status, HealthStatus::Warning);
}

#[test]
fn a_probe_that_did_not_finish_is_unknown_never_ok() {
    let mut input = healthy();
    input.directory.outcome = ProbeOutcome::Unfinished;
    input.role_endpoints.outcome = ProbeOutcome::Unfinished;
    input.targets[1].outcome = ProbeOutcome::Unfinished;
    input.permanent_admins[0].outcome = ProbeOutcome::Unfinished;
    input.storage[0].outcome = ProbeOutcome::Unfinished;
    input.sweep.outcome = ProbeOutcome::Unfinished;
    input.queue.push = ProbeOutcome::Unfinished;
    let report = judge_health(&input);
    for c in &report.checks[2..] {
        if c.subject.as_deref() == Some("org-admin") {
            continue;
        }
        assert_eq!(c.status, HealthStatus::Unknown, "{c:?}");
    }
    input.key.outcome = ProbeOutcome::Unfinished;
    let report = judge_health(&input);
    assert_eq!(
        code(&report, HealthCheckKind::ApiKey, None),
        (HealthStatus::Unknown, "PROBE_UNFINISHED".into())
    );
    assert_eq!(report.status, HealthStatus::Unknown);
}

#[test]
fn storage_that_cannot_be_written_and_read_back_fails_with_the_redeploy_fix() {
    let mut input = healthy();
    input.storage[0] = StorageProbe {
        entity: "audit".into(),
        outcome: ProbeOutcome::Failed,
        error: failed("STORAGE_ERROR"),
    };
    let c = check(
        &judge_health(&input),
        HealthCheckKind::Storage,
        Some("audit"),
    );
    assert_eq!(
        (c.status, c.code.as_str()),
        (HealthStatus::Failed, "STORAGE_FAILED")
    );
    assert!(c.fix.unwrap().contains("indexes"));
}

#[test]
fn the_queue_is_pending_on_a_first_run_and_fails_when_a_probe_waits_five_minutes() {
    let mut input = healthy();
    input.queue.pushed_at = None;
    input.queue.delivered_at = None;
    assert_eq!(
        code(&judge_health(&input), HealthCheckKind::Queue, None),
        (HealthStatus::Unknown, "QUEUE_PENDING".into())
    );
    input.queue.pushed_at = Some(at("2026-12-03T03:57:00Z"));
    input.queue.delivered_at = Some(at("2026-12-03T03:00:00Z"));
    assert_eq!(
        code(&judge_health(&input), HealthCheckKind::Queue, None).1,
        "QUEUE_PENDING"
    );
    input.queue.pushed_at = Some(at("2026-12-03T03:55:00Z"));
    assert_eq!(
        code(&judge_health(&input), HealthCheckKind::Queue, None),
        (HealthStatus::Failed, "QUEUE_NOT_DELIVERED".into())
    );
    input.queue.push = ProbeOutcome::Failed;
    assert_eq!(
        code(&judge_health(&input), HealthCheckKind::Queue, None).1,
        "QUEUE_PUSH_FAILED"
    );
}

#[test]
fn the_sweep_fails_after_ten_silent_minutes_waits_after_a_new_policy_and_idles_without_one() {
    let mut input = healthy();
    input.sweep.last_run_at = Some(at("2026-12-03T03:50:01Z"));
    assert_eq!(
        code(&judge_health(&input), HealthCheckKind::Sweep, None).0,
        HealthStatus::Ok
    );
    input.sweep.last_run_at = Some(at("2026-12-03T03:50:00Z"));
    let late = check(&judge_health(&input), HealthCheckKind::Sweep, None);
    assert_eq!(
        (late.status, late.code.as_str()),
        (HealthStatus::Failed, "SWEEP_LATE")
    );
    assert!(late.fix.unwrap().contains("forge logs"));
    input.sweep.last_run_at = None;
    assert_eq!(
        code(&judge_health(&input), HealthCheckKind::Sweep, None).1,
        "SWEEP_NEVER_RAN"
    );
    input.sweep.policy_saved_at = Some(at("2026-12-03T03:58:00Z"));
    assert_eq!(
        code(&judge_health(&input), HealthCheckKind::Sweep, None),
        (HealthStatus::Unknown, "SWEEP_PENDING".into())
    );
    input.sweep.policy_saved_at = None;
    assert_eq!(
        code(&judge_health(&input), HealthCheckKind::Sweep, None),
        (HealthStatus::Warning, "SWEEP_IDLE".into())
    );
}

#[test]
fn the_json_boundary_reads_a_probe_report_and_refuses_an_unknown_field_at_its_path() {
    let input = serde_json::to_string(&healthy()).unwrap();
    let answer: serde_json::Value =
        serde_json::from_str(&crate::boundary::judge_health_json(&input)).unwrap();
    assert_eq!(answer["ok"], true);
    assert_eq!(answer["status"], "ok");
    assert_eq!(answer["checks"][0]["code"], "KEY_OK");
    let mut bad = serde_json::to_value(healthy()).unwrap();
    bad["queue"]["surprise"] = serde_json::json!(1);
    let answer: serde_json::Value =
        serde_json::from_str(&crate::boundary::judge_health_json(&bad.to_string())).unwrap();
    assert_eq!(answer["ok"], false);
    assert_eq!(answer["error"]["code"], "INVALID_INPUT");
}
