use super::fixtures::*;
use crate::*;

/// alice elevated at T0 + activation, completed after 20 minutes, revoke confirmed.
fn ended() -> (Driver, Action) {
    let mut d = Driver::active("org-admin");
    d.advance_minutes(20);
    d.ok("alice", Event::Complete {});
    let decision = d.confirm_pending();
    let collect = decision
        .actions
        .iter()
        .find(|a| matches!(a, Action::CollectEvidence { .. }))
        .cloned()
        .expect("a collectEvidence action once the revoke is confirmed");
    (d, collect)
}

/// A time `minutes` after the start of the collection's span, as the events API writes it.
fn minutes_into(collect: &Action, minutes: u32) -> String {
    let Action::CollectEvidence { from, .. } = collect else {
        unreachable!("ended() returns the collectEvidence action")
    };
    from.plus_minutes(minutes).unwrap().to_string()
}

fn event(id: &str, time: &str, action: &str, actor: &str) -> OrgEvent {
    OrgEvent {
        id: id.into(),
        time: time.into(),
        action: action.into(),
        actor_id: actor.into(),
        actor_name: None,
        context: vec![],
        ip: None,
    }
}

fn report(
    d: &Driver,
    collect: &Action,
    events: Vec<OrgEvent>,
    read: AuditLogRead,
) -> EvidenceReport {
    evidence_report(&EvidenceInput {
        policy: d.policy.clone(),
        grant: d.grant().clone(),
        collection: collect.clone(),
        events,
        read,
        now: d.now,
        audit_head: Some(d.head.clone()),
    })
    .expect("a report")
}

#[test]
fn a_confirmed_revoke_asks_for_the_evidence_from_the_activation_to_five_minutes_after() {
    let (d, collect) = ended();
    let Action::CollectEvidence {
        key,
        account_id,
        from,
        to,
        at,
        issue_key,
        ..
    } = collect
    else {
        unreachable!()
    };
    assert_eq!(key, "REQ-1:evidence");
    assert_eq!(account_id, "alice");
    assert_eq!(issue_key, "REQ-1");
    assert_eq!(Some(from), d.grant().activation.as_ref().map(|a| a.at));
    assert_eq!(Some(to), d.now.plus_minutes(5));
    assert_eq!(Some(at), to.plus_minutes(INGEST_LAG_MINUTES));
}

#[test]
fn a_grant_never_activated_or_a_policy_without_evidence_asks_for_no_collection() {
    let mut d = Driver::approved("org-admin");
    let decision = d.ok("alice", Event::Cancel {});
    assert!(!decision
        .actions
        .iter()
        .any(|a| matches!(a, Action::CollectEvidence { .. })));

    let mut d = Driver::active("org-admin");
    d.policy.evidence.enabled = false;
    d.ok("alice", Event::Complete {});
    let decision = d.confirm_pending();
    assert!(!decision
        .actions
        .iter()
        .any(|a| matches!(a, Action::CollectEvidence { .. })));
}

#[test]
fn the_report_counts_by_action_lists_the_first_actions_and_keeps_only_the_subjects_events_in_span()
{
    let (d, collect) = ended();
    let Action::CollectEvidence { from, to, .. } = &collect else {
        unreachable!()
    };
    let inside = from.plus_minutes(2).unwrap().to_string();
    let later = from.plus_minutes(3).unwrap().to_string();
    let outside = to.plus_minutes(1).unwrap().to_string();
    let r = report(
        &d,
        &collect,
        vec![
            event("e2", &later, "group_created", "alice"),
            event("e1", &inside, "group_created", "alice"),
            event("e3", &later, "user_invited", "alice"),
            event("e4", &inside, "group_created", "bob"),
            event("e5", &outside, "group_created", "alice"),
            // The same event on two pages counts once.
            event("e3", &later, "user_invited", "alice"),
        ],
        AuditLogRead::Complete { pages: 2 },
    );
    assert_eq!(r.events, 3);
    assert_eq!(r.ignored, 2);
    assert_eq!(
        r.by_action,
        vec![
            ActionCount {
                action: "group_created".into(),
                count: 2
            },
            ActionCount {
                action: "user_invited".into(),
                count: 1
            },
        ]
    );
    assert!(r.high_risk.is_empty());
    assert_eq!(r.attachments.len(), 2);
    let text = comments(&r.actions).join("\n");
    assert!(text.contains("@alice"), "{text}");
    assert!(text.contains("3 audit-log event(s)"), "{text}");
    assert!(
        text.contains("group_created × 2, user_invited × 1"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "First actions: {inside} group_created; {later} group_created"
        )),
        "{text}"
    );
    assert!(!r.actions.iter().any(|a| matches!(a, Action::Alert { .. })));
    assert_eq!(r.audit.len(), 1);
    assert_eq!(r.audit[0].entry.event, AuditEvent::EvidenceCollected);
    assert_eq!(r.audit[0].entry.details["events"], 3);
    assert_eq!(r.audit[0].seq, d.head.seq + 1);
}

#[test]
fn a_high_risk_action_while_elevated_raises_one_critical_alert_and_is_flagged_in_the_files() {
    let (d, collect) = ended();
    let t = minutes_into(&collect, 1);
    let r = report(
        &d,
        &collect,
        vec![
            event("e1", &t, "api_key_created", "alice"),
            event("e2", &t, "authentication_policy_updated", "alice"),
            event("e3", &t, "group_created", "alice"),
        ],
        AuditLogRead::Complete { pages: 1 },
    );
    assert_eq!(r.high_risk.len(), 2);
    let alerts: Vec<&Action> = r
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Alert { .. }))
        .collect();
    assert_eq!(alerts.len(), 1);
    assert!(
        matches!(alerts[0], Action::Alert { severity: Severity::Critical, code, key, .. }
        if code == "HIGH_RISK_WHILE_ELEVATED" && key == "REQ-1:evidence:high-risk")
    );
    let csv = &r.attachments[0];
    assert_eq!(csv.filename, "jit-evidence-REQ-1.csv");
    assert!(
        csv.content.contains("\"api_key_created\",\"yes\""),
        "{}",
        csv.content
    );
    assert!(
        csv.content.contains("\"group_created\",\"no\""),
        "{}",
        csv.content
    );
    let json: serde_json::Value = serde_json::from_str(&r.attachments[1].content).unwrap();
    assert_eq!(json["events"].as_array().unwrap().len(), 3);
    assert_eq!(json["complete"], true);
}

#[test]
fn the_policys_own_high_risk_list_replaces_the_default_and_a_trailing_star_matches_a_prefix() {
    let (mut d, collect) = ended();
    d.policy.evidence.high_risk_actions = vec!["group_*".into()];
    let t = minutes_into(&collect, 1);
    let r = report(
        &d,
        &collect,
        vec![
            event("e1", &t, "api_key_created", "alice"),
            event("e2", &t, "group_created", "alice"),
        ],
        AuditLogRead::Complete { pages: 1 },
    );
    assert_eq!(
        r.high_risk,
        vec![ActionCount {
            action: "group_created".into(),
            count: 1
        }]
    );
}

#[test]
fn an_org_without_audit_log_access_gets_one_installation_wide_alert_and_a_comment_saying_so() {
    let (d, collect) = ended();
    let r = report(
        &d,
        &collect,
        vec![],
        AuditLogRead::Unavailable { http_status: 403 },
    );
    assert!(r.attachments.is_empty());
    let text = comments(&r.actions).join("\n");
    assert!(
        text.contains("cannot be read") && text.contains("Atlassian Guard"),
        "{text}"
    );
    assert!(r
        .actions
        .iter()
        .any(|a| matches!(a, Action::Alert { key, code, .. }
        if key == "evidence:AUDIT_LOG_UNAVAILABLE" && code == "AUDIT_LOG_UNAVAILABLE")));
    assert_eq!(r.audit[0].entry.details["status"], "unavailable");
    assert_eq!(r.audit[0].entry.details["httpStatus"], 403);
}

#[test]
fn a_partial_read_says_the_list_may_be_incomplete() {
    let (d, collect) = ended();
    let r = report(
        &d,
        &collect,
        vec![],
        AuditLogRead::Partial {
            pages: 3,
            reason: "rate limited for too long".into(),
        },
    );
    let text = comments(&r.actions).join("\n");
    assert!(
        text.contains("stopped after 3 page(s)") && text.contains("may be incomplete"),
        "{text}"
    );
    assert_eq!(r.audit[0].entry.details["status"], "partial");
}

#[test]
fn csv_cells_a_spreadsheet_would_run_as_formulas_are_defused_and_quotes_doubled() {
    let (d, collect) = ended();
    let mut e = event("e1", &minutes_into(&collect, 1), "group_created", "alice");
    e.context = vec!["group =HYPERLINK(\"http://evil\") ".into()];
    e.actor_name = Some("@SUM(1)".into());
    let r = report(&d, &collect, vec![e], AuditLogRead::Complete { pages: 1 });
    let csv = &r.attachments[0].content;
    assert!(csv.contains("\"'@SUM(1)\""), "{csv}");
    assert!(csv.contains("\"\"http://evil\"\""), "{csv}");
}

#[test]
fn a_collection_of_another_grant_or_too_many_events_is_refused() {
    let (d, collect) = ended();
    let mut other = d.grant().clone();
    other.id = "REQ-2".into();
    let input = EvidenceInput {
        policy: d.policy.clone(),
        grant: other,
        collection: collect.clone(),
        events: vec![],
        read: AuditLogRead::Complete { pages: 1 },
        now: d.now,
        audit_head: None,
    };
    assert_eq!(evidence_report(&input).unwrap_err().code(), "INVALID_INPUT");
    let input = EvidenceInput {
        grant: d.grant().clone(),
        events: vec![event("e", "2026-06-01T09:00:00Z", "x", "alice"); MAX_EVIDENCE_EVENTS + 1],
        ..input
    };
    assert_eq!(evidence_report(&input).unwrap_err().code(), "INVALID_INPUT");
}

#[test]
fn policy_validation_names_bad_high_risk_entries_and_turning_evidence_off_is_a_guard_rail() {
    let mut p = policy();
    p.evidence.high_risk_actions = vec!["*".into(), "a".into(), "a".into(), String::new()];
    p.evidence.after_revoke_minutes = 100_000;
    let problems = validate_policy(&p);
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert!(paths.contains(&"evidence.highRiskActions[0]"), "{paths:?}");
    assert!(paths.contains(&"evidence.highRiskActions[2]"), "{paths:?}");
    assert!(paths.contains(&"evidence.highRiskActions[3]"), "{paths:?}");
    assert!(paths.contains(&"evidence.afterRevokeMinutes"), "{paths:?}");
    assert!(validate_policy(&policy()).is_empty());

    let mut off = policy();
    off.evidence.enabled = false;
    let changes = policy_diff(Some(&policy()), &off);
    assert_eq!(changes.len(), 1);
    assert!(changes[0].guard_rail);
    assert_eq!(changes[0].path, "evidence");
    // The defaults are left out when a policy is written, so policies saved before evidence
    // packs existed read and write back unchanged.
    assert!(!serde_json::to_string(&policy())
        .unwrap()
        .contains("evidence"));
}
