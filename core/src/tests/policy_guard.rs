//! Admin-page authorization and the two-person rule for the policy's guard rails.

use serde_json::{json, Value};

use super::fixtures::*;
use crate::*;

const LATER: &str = "2026-06-01T10:00:00Z";

fn state(policy: Policy, version: u64) -> PolicyState {
    PolicyState {
        policy,
        version,
        updated_at: at(T0),
        updated_by: "perm-1".into(),
        approved_by: None,
        former_permanent_admins: vec![],
    }
}

fn org(holders: &[&str]) -> Option<OrgAdminsRead> {
    Some(OrgAdminsRead {
        complete: true,
        holders: holders.iter().map(|s| (*s).to_owned()).collect(),
    })
}

/// The three permanent admins hold org admin, as in the demo org.
fn demo_org() -> Option<OrgAdminsRead> {
    org(&["perm-1", "perm-2", "perm-3"])
}

fn change(actor: &str, command: PolicyCommand) -> PolicyChangeInput {
    PolicyChangeInput {
        command,
        actor: actor.into(),
        jira_admin: Some(true),
        org_admins: demo_org(),
        current: Some(state(policy(), 1)),
        pending: None,
        bootstrap_admins: vec![],
        now: at(T0),
        audit_head: None,
    }
}

fn save_of(p: &Policy) -> PolicyCommand {
    PolicyCommand::Save {
        policy: serde_json::to_value(p).unwrap(),
        expected_version: None,
    }
}

fn with(f: impl FnOnce(&mut Policy)) -> Policy {
    let mut p = policy();
    f(&mut p);
    p
}

fn refused(input: &PolicyChangeInput) -> PolicyChangeRefusal {
    policy_change(input).expect_err("refused")
}

fn accepted(input: &PolicyChangeInput) -> PolicyChangeDecision {
    match policy_change(input) {
        Ok(d) => d,
        Err(r) => panic!("refused: {} {}", r.error.code(), r.error),
    }
}

/// A proposal by perm-1 that switches drift to enforce, pending against version 1.
fn proposal() -> PendingPolicyChange {
    let d = accepted(&change(
        "perm-1",
        save_of(&with(|p| p.drift_mode = DriftMode::Enforce)),
    ));
    assert_eq!(d.outcome, ChangeOutcome::Proposed);
    d.change.expect("the proposal")
}

fn approve_as(actor: &str, pending: &PendingPolicyChange) -> PolicyChangeInput {
    PolicyChangeInput {
        pending: Some(pending.clone()),
        now: at(LATER),
        ..change(
            actor,
            PolicyCommand::Approve {
                change_id: pending.id.clone(),
            },
        )
    }
}

const EVERY_CALL: [AdminCall; 12] = [
    AdminCall::GetPolicy,
    AdminCall::ValidatePolicy,
    AdminCall::ListGrants,
    AdminCall::GetAudit,
    AdminCall::ExportAudit,
    AdminCall::GetDrift,
    AdminCall::GetAlerts,
    AdminCall::GetHoldings,
    AdminCall::SavePolicy,
    AdminCall::ApprovePolicyChange,
    AdminCall::WithdrawPolicyChange,
    AdminCall::GetHealth,
];

fn access(call: AdminCall, actor: &str, jira_admin: Option<bool>) -> AdminAccess {
    authorize_admin(&AdminAccessInput {
        call,
        actor: actor.into(),
        jira_admin,
        current: Some(state(policy(), 1)),
        pending: Some(proposal()),
        bootstrap_admins: vec![],
        now: at(LATER),
    })
}

#[test]
fn every_admin_call_needs_a_jira_admin_and_a_failed_lookup_refuses() {
    for call in EVERY_CALL {
        let outsider = access(call, "mallory", Some(false));
        assert!(!outsider.allowed, "{call:?}");
        assert_eq!(
            outsider.reason.map(|r| r.code).as_deref(),
            Some("NOT_JIRA_ADMIN")
        );
        // Even a permanent admin of the policy is refused when Jira cannot confirm ADMINISTER.
        let unknown = access(call, "perm-2", None);
        assert!(!unknown.allowed, "{call:?}");
        assert_eq!(
            unknown.reason.map(|r| r.code).as_deref(),
            Some("PERMISSION_UNKNOWN")
        );
    }
}

#[test]
fn a_jira_admin_who_is_not_a_permanent_admin_reads_but_cannot_change_approve_or_withdraw() {
    let code = |call| access(call, "jade", Some(true)).reason.map(|r| r.code);
    for call in EVERY_CALL[..8].iter().chain([&AdminCall::GetHealth]) {
        assert_eq!(code(*call), None, "{call:?}");
    }
    assert_eq!(
        code(AdminCall::SavePolicy).as_deref(),
        Some("NOT_AUTHORIZED")
    );
    assert_eq!(
        code(AdminCall::ApprovePolicyChange).as_deref(),
        Some("NOT_APPROVER")
    );
    assert_eq!(
        code(AdminCall::WithdrawPolicyChange).as_deref(),
        Some("NOT_PROPOSER")
    );
}

#[test]
fn the_viewer_is_told_which_policy_buttons_they_get_and_who_may_approve() {
    let proposer = access(AdminCall::GetPolicy, "perm-1", Some(true));
    assert!(proposer.viewer.permanent_admin && proposer.viewer.save.allowed);
    assert!(proposer.viewer.withdraw.allowed);
    assert_eq!(
        proposer.viewer.approve.reason.map(|r| r.code).as_deref(),
        Some("SELF_APPROVAL")
    );
    let second = access(AdminCall::GetPolicy, "perm-2", Some(true));
    assert!(second.viewer.approve.allowed && !second.viewer.withdraw.allowed);
    let pending = second.pending.expect("a pending change");
    assert_eq!(pending.state, PendingState::Open);
    assert_eq!(pending.approvers.account_ids, ["perm-2", "perm-3"]);
    assert!(!pending.approvers.org_admins_may_approve);
}

#[test]
fn a_change_to_no_guard_rail_applies_at_once_and_is_audited() {
    let d = accepted(&change(
        "perm-2",
        save_of(&with(|p| {
            p.targets[0].label = "Org admin (renamed)".into();
            p.targets[0].max_duration_minutes = 120;
        })),
    ));
    assert_eq!(d.outcome, ChangeOutcome::Applied);
    assert_eq!(d.pending, PendingWrite::Keep);
    let s = d.policy.expect("written");
    assert_eq!((s.version, s.updated_by.as_str()), (2, "perm-2"));
    let paths: Vec<&str> = d.diff.iter().map(|x| x.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "targets.org-admin.label",
            "targets.org-admin.maxDurationMinutes"
        ]
    );
    assert!(d.diff.iter().all(|x| !x.guard_rail));
    assert_eq!(d.audit.len(), 1);
    assert_eq!(d.audit[0].entry.event, "policyChange");
    assert_eq!(d.audit[0].entry.outcome, AuditOutcome::Accepted);
}

#[test]
fn every_guard_rail_is_held_for_a_second_permanent_admin() {
    let cases: Vec<(&str, Policy)> = vec![
        (
            "permanentAdmins",
            with(|p| p.permanent_admins[2] = "perm-4".into()),
        ),
        ("maxPermanentAdmins", with(|p| p.max_permanent_admins = 4)),
        ("minOrgAdmins", with(|p| p.min_org_admins = 2)),
        ("driftMode", with(|p| p.drift_mode = DriftMode::Enforce)),
        (
            "targets.org-admin.breakGlass",
            with(|p| p.targets[0].break_glass.push("mallory".into())),
        ),
        (
            "targets.org-admin.approvers",
            with(|p| p.targets[0].approvers.account_ids.push("mallory".into())),
        ),
        (
            "targets.org-admin.requiredApprovals",
            with(|p| {
                p.targets[0].required_approvals = 2;
                p.targets[0].max_extensions = 0;
            }),
        ),
        (
            "targets.org-admin.standingHolders",
            with(|p| p.targets[0].standing_holders.push("mallory".into())),
        ),
        (
            "targets.site-admin.access",
            with(|p| {
                p.targets[1].access = Access::OrgRole {
                    role: ORG_ADMIN_ROLE.into(),
                }
            }),
        ),
        ("targets.jira-admins", with(|p| drop(p.targets.pop()))),
    ];
    for (path, proposed) in cases {
        let d = accepted(&change("perm-1", save_of(&proposed)));
        assert_eq!(d.outcome, ChangeOutcome::Proposed, "{path}");
        assert_eq!(d.pending, PendingWrite::Set, "{path}");
        assert!(d.policy.is_none(), "{path}: nothing takes effect");
        let c = d.change.expect("the proposal");
        assert!(
            c.diff.iter().any(|x| x.path == path && x.guard_rail),
            "{path}: {:?}",
            c.diff
        );
        assert_eq!(d.audit[0].entry.event, "proposePolicyChange");
    }
}

#[test]
fn reordering_a_list_of_ids_or_writing_out_a_default_changes_nothing() {
    let same = with(|p| {
        p.permanent_admins.reverse();
        p.targets[0].approvers.account_ids.reverse();
        p.min_org_admins = 1;
    });
    assert!(policy_diff(Some(&policy()), &same).is_empty());
    let d = accepted(&change("perm-1", save_of(&same)));
    assert_eq!(d.outcome, ChangeOutcome::Applied);
}

#[test]
fn a_second_permanent_admin_approves_and_the_change_takes_effect_revalidated() {
    let p = proposal();
    assert_eq!(p.proposer, "perm-1");
    assert_eq!(p.expires_at, at("2026-06-04T09:00:00Z"));
    let d = accepted(&approve_as("perm-2", &p));
    assert_eq!(d.outcome, ChangeOutcome::Approved);
    assert_eq!(d.pending, PendingWrite::Clear);
    let s = d.policy.expect("written");
    assert_eq!(s.version, 2);
    assert_eq!(s.policy.drift_mode, DriftMode::Enforce);
    assert_eq!(s.updated_by, "perm-1");
    assert_eq!(s.approved_by.as_deref(), Some("perm-2"));
    assert_eq!(d.audit[0].entry.event, "approvePolicyChange");
    assert_eq!(d.audit[0].entry.actor, "perm-2");
}

#[test]
fn the_proposer_cannot_approve_their_own_change_and_a_jira_admin_is_no_second_person() {
    let p = proposal();
    let own = refused(&approve_as("perm-1", &p));
    assert_eq!(own.error.code(), "SELF_APPROVAL");
    assert_eq!(own.pending, PendingWrite::Keep);
    assert_eq!(own.audit[0].entry.outcome, AuditOutcome::Refused);
    let jade = refused(&approve_as("jade", &p));
    assert_eq!(jade.error.code(), "NOT_APPROVER");
    assert!(jade.error.to_string().contains("`perm-2`, `perm-3`"));
}

#[test]
fn an_approval_names_the_change_so_a_click_never_approves_another_one() {
    let p = proposal();
    let mut input = approve_as("perm-2", &p);
    input.command = PolicyCommand::Approve {
        change_id: "pc-0-0".into(),
    };
    assert_eq!(refused(&input).error.code(), "NO_PENDING_CHANGE");
    input.command = PolicyCommand::Approve {
        change_id: "x".repeat(100_000),
    };
    let huge = refused(&input);
    assert_eq!(huge.error.code(), "NO_PENDING_CHANGE");
    assert!(
        huge.error.to_string().len() < 200,
        "the id is not echoed whole"
    );
    let mut none = approve_as("perm-2", &p);
    none.pending = None;
    assert_eq!(refused(&none).error.code(), "NO_PENDING_CHANGE");
}

#[test]
fn a_change_proposed_against_an_older_policy_is_stale_and_dropped() {
    let p = proposal();
    let mut input = approve_as("perm-2", &p);
    input.current = Some(state(policy(), 2));
    let r = refused(&input);
    assert_eq!(r.error.code(), "CHANGE_STALE");
    assert_eq!(r.pending, PendingWrite::Clear);
    assert_eq!(r.audit.len(), 1, "the end of the proposal is audited");
}

#[test]
fn a_change_expires_after_72_hours_unapproved() {
    let p = proposal();
    let mut input = approve_as("perm-2", &p);
    input.now = at("2026-06-04T09:00:00Z");
    let r = refused(&input);
    assert_eq!(r.error.code(), "CHANGE_EXPIRED");
    assert_eq!(r.pending, PendingWrite::Clear);
    input.now = at("2026-06-04T08:59:59Z");
    assert_eq!(accepted(&input).outcome, ChangeOutcome::Approved);
}

#[test]
fn only_the_proposer_withdraws() {
    let p = proposal();
    let withdraw = |actor: &str| PolicyChangeInput {
        pending: Some(p.clone()),
        ..change(
            actor,
            PolicyCommand::Withdraw {
                change_id: p.id.clone(),
            },
        )
    };
    assert_eq!(refused(&withdraw("perm-2")).error.code(), "NOT_PROPOSER");
    let d = accepted(&withdraw("perm-1"));
    assert_eq!(d.outcome, ChangeOutcome::Withdrawn);
    assert_eq!(d.pending, PendingWrite::Clear);
    assert!(d.policy.is_none());
}

#[test]
fn one_guard_rail_change_waits_at_a_time_but_an_expired_one_is_replaced() {
    let p = proposal();
    let mut input = change("perm-2", save_of(&with(|p| p.min_org_admins = 2)));
    input.pending = Some(p.clone());
    assert_eq!(refused(&input).error.code(), "CHANGE_PENDING");
    input.now = at("2026-06-05T00:00:00Z");
    let d = accepted(&input);
    assert_eq!(d.outcome, ChangeOutcome::Proposed);
    assert_eq!(d.audit[0].entry.details["replaced"], json!(p.id));
}

#[test]
fn a_save_that_lists_no_org_admin_of_today_is_refused_outright() {
    // The attack: one permanent admin lists themself and a typo, then enforce mode revokes the rest.
    let proposed = with(|p| {
        p.permanent_admins = vec!["perm-1".into(), "perm-2x".into()];
        p.drift_mode = DriftMode::Enforce;
    });
    let mut input = change("perm-1", save_of(&proposed));
    input.org_admins = org(&["perm-2", "perm-3"]);
    let r = refused(&input);
    assert_eq!(r.error.code(), "NO_ORG_ADMIN_LISTED");
    assert_eq!(r.pending, PendingWrite::Keep);
    assert_eq!(r.audit[0].entry.outcome, AuditOutcome::Refused);
}

#[test]
fn a_saver_cannot_remove_themself_from_the_permanent_admins() {
    let proposed = with(|p| p.permanent_admins = vec!["perm-2".into(), "perm-3".into()]);
    let r = refused(&change("perm-1", save_of(&proposed)));
    assert_eq!(r.error.code(), "SELF_REMOVAL");
    // Another permanent admin may propose it.
    let d = accepted(&change("perm-2", save_of(&proposed)));
    assert_eq!(d.outcome, ChangeOutcome::Proposed);
}

#[test]
fn the_org_admins_are_read_only_when_needed_and_a_partial_read_fails_closed() {
    let mut input = change("perm-1", save_of(&with(|p| p.min_org_admins = 2)));
    input.org_admins = None;
    let d = accepted(&input);
    assert_eq!(d.outcome, ChangeOutcome::NeedsOrgAdmins);
    assert_eq!(d.confirm_first, ["perm-1", "perm-2", "perm-3"]);
    assert!(d.audit.is_empty() && d.policy.is_none() && d.pending == PendingWrite::Keep);
    input.org_admins = Some(OrgAdminsRead {
        complete: false,
        holders: vec![],
    });
    let r = refused(&input);
    assert_eq!(r.error.code(), "ORG_ADMINS_UNKNOWN");
    assert!(
        r.audit.is_empty(),
        "an unreadable org is not an attempt worth a record"
    );
    // A partial read that confirms one listed admin is enough.
    input.org_admins = Some(OrgAdminsRead {
        complete: false,
        holders: vec!["perm-3".into()],
    });
    assert_eq!(accepted(&input).outcome, ChangeOutcome::Proposed);
}

#[test]
fn the_first_policy_needs_a_jira_admin_who_is_an_org_admin_today() {
    let first = |actor: &str, holders: &[&str]| PolicyChangeInput {
        current: None,
        org_admins: org(holders),
        ..change(actor, save_of(&policy()))
    };
    // A Jira admin who is no org admin, listing the real permanent admins to look normal.
    let r = refused(&first("jade", &["perm-1", "perm-2", "perm-3"]));
    assert_eq!(r.error.code(), "NOT_ORG_ADMIN");
    assert_eq!(r.audit[0].entry.outcome, AuditOutcome::Refused);
    let mut unknown = first("jade", &[]);
    unknown.org_admins = None;
    assert_eq!(accepted(&unknown).confirm_first[0], "jade");
    let d = accepted(&first("perm-1", &["perm-1"]));
    assert_eq!(
        d.outcome,
        ChangeOutcome::Applied,
        "the first policy is never held"
    );
    assert_eq!(d.policy.map(|s| s.version), Some(1));
    let mut outsider = first("mallory", &["perm-1", "mallory"]);
    outsider.jira_admin = Some(false);
    assert_eq!(refused(&outsider).error.code(), "NOT_JIRA_ADMIN");
}

#[test]
fn with_bootstrap_admins_named_only_they_save_the_first_policy() {
    let first = |actor: &str| PolicyChangeInput {
        current: None,
        bootstrap_admins: vec!["deployer".into()],
        ..change(actor, save_of(&policy()))
    };
    assert_eq!(
        refused(&first("perm-1")).error.code(),
        "NOT_BOOTSTRAP_ADMIN"
    );
    // A named bootstrap admin need not be an org admin, but the policy must still list one.
    assert_eq!(accepted(&first("deployer")).outcome, ChangeOutcome::Applied);
    let mut nobody = first("deployer");
    nobody.org_admins = org(&["someone-else"]);
    assert_eq!(refused(&nobody).error.code(), "NO_ORG_ADMIN_LISTED");
}

#[test]
fn a_stale_draft_is_refused_before_anything_else_is_read() {
    let mut input = change("perm-1", save_of(&policy()));
    input.command = PolicyCommand::Save {
        policy: serde_json::to_value(policy()).unwrap(),
        expected_version: Some(0),
    };
    input.org_admins = None;
    let r = refused(&input);
    assert_eq!(r.error.code(), "STALE_POLICY");
    assert!(r.audit.is_empty());
}

#[test]
fn an_unreadable_or_invalid_draft_is_refused_with_its_problems_and_not_audited() {
    let mut input = change("perm-1", save_of(&policy()));
    input.command = PolicyCommand::Save {
        policy: json!({"targets": [{"key": "x"}]}),
        expected_version: None,
    };
    let r = refused(&input);
    assert_eq!(r.error.code(), "INVALID_POLICY");
    assert_eq!(r.problems[0].path, "targets[0].label");
    assert!(r.audit.is_empty());
    let bad = with(|p| p.min_org_admins = 0);
    let r = refused(&change("perm-1", save_of(&bad)));
    assert_eq!(r.problems[0].code, "FLOOR_TOO_LOW");
}

#[test]
fn with_a_single_permanent_admin_an_org_admin_or_bootstrap_admin_is_the_second_person() {
    let lone = with(|p| {
        p.permanent_admins = vec!["perm-1".into()];
    });
    let mut proposal_input = change(
        "perm-1",
        save_of(&with(|p| {
            p.permanent_admins = vec!["perm-1".into()];
            p.drift_mode = DriftMode::Enforce;
        })),
    );
    proposal_input.current = Some(state(lone.clone(), 1));
    let p = accepted(&proposal_input).change.expect("proposed");
    let approve = |actor: &str, holders: Option<&[&str]>| PolicyChangeInput {
        current: Some(state(lone.clone(), 1)),
        org_admins: holders.and_then(org),
        ..approve_as(actor, &p)
    };
    let status = authorize_admin(&AdminAccessInput {
        call: AdminCall::GetPolicy,
        actor: "jade".into(),
        jira_admin: Some(true),
        current: Some(state(lone.clone(), 1)),
        pending: Some(p.clone()),
        bootstrap_admins: vec![],
        now: at(LATER),
    });
    assert!(
        status
            .pending
            .expect("pending")
            .approvers
            .org_admins_may_approve
    );
    // jade is asked about first, then the listed permanent admin.
    let asked = accepted(&approve("jade", None));
    assert_eq!(asked.outcome, ChangeOutcome::NeedsOrgAdmins);
    assert_eq!(asked.confirm_first, ["jade", "perm-1"]);
    let not_org = refused(&approve("jade", Some(&["perm-1"])));
    assert_eq!(not_org.error.code(), "NOT_APPROVER");
    assert_eq!(not_org.pending, PendingWrite::Keep);
    let ok = accepted(&approve("jade", Some(&["perm-1", "jade"])));
    assert_eq!(ok.outcome, ChangeOutcome::Approved);
    // A bootstrap admin is a second person whatever the org says about them.
    let mut boot = approve("deployer", Some(&["perm-1"]));
    boot.bootstrap_admins = vec!["deployer".into()];
    assert_eq!(accepted(&boot).outcome, ChangeOutcome::Approved);
}

#[test]
fn dropped_permanent_admins_get_a_grace_period_from_the_approval() {
    let mut input = change(
        "perm-1",
        save_of(&with(|p| {
            p.permanent_admins = vec!["perm-1".into(), "perm-2".into()]
        })),
    );
    input.org_admins = demo_org();
    let p = accepted(&input).change.expect("proposed");
    let d = accepted(&approve_as("perm-2", &p));
    let s = d.policy.expect("written");
    assert_eq!(
        s.former_permanent_admins,
        [FormerPermanentAdmin {
            account_id: "perm-3".into(),
            removed_at: at(LATER),
        }]
    );
    assert_eq!(
        d.audit[0].entry.details["droppedPermanentAdmins"],
        json!([{"accountId": "perm-3", "graceUntil": "2026-06-08T10:00:00.000Z"}])
    );
    // A later change keeps the entry while the grace period runs, and drops it afterwards.
    let later = |now: &str| PolicyChangeInput {
        current: Some(s.clone()),
        now: at(now),
        ..change(
            "perm-1",
            save_of(&with(|p| {
                p.permanent_admins = vec!["perm-1".into(), "perm-2".into()];
                p.targets[0].label = "renamed".into();
            })),
        )
    };
    let kept = accepted(&later("2026-06-05T00:00:00Z"))
        .policy
        .expect("written");
    assert_eq!(kept.former_permanent_admins.len(), 1);
    let gone = accepted(&later("2026-06-08T10:00:00Z"))
        .policy
        .expect("written");
    assert!(gone.former_permanent_admins.is_empty());
}

#[test]
fn the_sweep_reports_but_never_revokes_a_dropped_permanent_admin_during_the_grace_period() {
    let mut p = policy();
    p.permanent_admins = vec!["perm-1".into()];
    p.drift_mode = DriftMode::Enforce;
    let sweep_at = |now: &str| {
        sweep(&SweepInput {
            policy: p.clone(),
            grants: vec![],
            snapshot: HolderSnapshot {
                complete: true,
                targets: p
                    .targets
                    .iter()
                    .map(|t| TargetHolders {
                        target: t.key.clone(),
                        complete: true,
                        externally_synced: false,
                        holders: if t.access.is_org_admin() {
                            vec!["perm-1".into(), "perm-2".into()]
                        } else {
                            vec![]
                        },
                        ..TargetHolders::default()
                    })
                    .collect(),
            },
            now: at(now),
            audit_head: None,
            previous_fingerprint: None,
            previous_findings: vec![],
            requesters: vec![],
            former_permanent_admins: vec![FormerPermanentAdmin {
                account_id: "perm-2".into(),
                removed_at: at(T0),
            }],
        })
    };
    let revokes = |out: &SweepOutcome| {
        out.actions
            .iter()
            .filter(|a| matches!(a, Action::Revoke { .. }))
            .count()
    };
    let during = sweep_at("2026-06-07T09:00:00Z");
    assert_eq!(revokes(&during), 0);
    assert_eq!(during.findings[0].disposition, Disposition::KeptGrace);
    assert_eq!(
        during.findings[0].grace_until,
        Some(at("2026-06-08T09:00:00Z"))
    );
    assert!(during
        .actions
        .iter()
        .any(|a| matches!(a, Action::Alert { code, .. } if code == "PERMANENT_ADMIN_GRACE")));
    let after = sweep_at("2026-06-08T09:00:00Z");
    assert_eq!(after.findings[0].disposition, Disposition::Revoke);
    assert_eq!(revokes(&after), 1);
}

#[test]
fn every_admin_error_code_is_upper_snake_case_and_messages_have_no_final_period() {
    let samples = [
        AdminError::NotJiraAdmin {
            account: "a".into(),
        },
        AdminError::PermissionUnknown {
            account: "a".into(),
        },
        AdminError::NotAuthorized,
        AdminError::NotBootstrapAdmin,
        AdminError::NotOrgAdmin {
            account: "a".into(),
        },
        AdminError::OrgAdminsUnknown { what: "x".into() },
        AdminError::NoOrgAdminListed {
            listed: "`a`".into(),
        },
        AdminError::SelfRemoval {
            account: "a".into(),
        },
        AdminError::ChangePending {
            id: "i".into(),
            proposer: "a".into(),
        },
        AdminError::NoPendingChange { id: "i".into() },
        AdminError::SelfApproval {
            account: "a".into(),
        },
        AdminError::NotApprover {
            account: "a".into(),
            why: "w".into(),
        },
        AdminError::NotProposer {
            proposer: "a".into(),
        },
        AdminError::ChangeStale {
            base: 1,
            current: 2,
        },
        AdminError::ChangeExpired { at: "t".into() },
        AdminError::InvalidPolicy {
            count: 1,
            path: None,
        },
        AdminError::StalePolicy { current: 1 },
    ];
    for e in samples {
        assert!(e.code().chars().all(|c| c.is_ascii_uppercase() || c == '_'));
        assert!(!e.to_string().ends_with('.'), "{e}");
    }
}

#[test]
fn the_boundary_answers_a_refusal_with_its_audit_and_pending_write() {
    let p = proposal();
    let mut input = approve_as("perm-2", &p);
    input.current = Some(state(policy(), 3));
    let text = crate::boundary::policy_change_json(&serde_json::to_string(&input).unwrap());
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["ok"], json!(false));
    assert_eq!(v["error"]["code"], json!("CHANGE_STALE"));
    assert_eq!(v["pending"], json!("clear"));
    assert_eq!(v["audit"][0]["event"], json!("approvePolicyChange"));
    let bad = crate::boundary::authorize_admin_json(
        r#"{"call":"rootShell","actor":"a","now":"2026-06-01T09:00:00Z"}"#,
    );
    let v: Value = serde_json::from_str(&bad).unwrap();
    assert_eq!(v["error"]["code"], json!("INVALID_INPUT"));
    assert_eq!(v["error"]["path"], json!("call"));
}
