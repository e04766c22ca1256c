//! What the sweep says about its findings: one alert per incident (repeated daily), comments on
//! the alert issue, the revoke actions, the findings' fingerprint and the sweep's audit record.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::action::{Action, RevokeReason, Severity};
use crate::audit::{AuditEntry, AuditOutcome};
use crate::audit_event::AuditEvent;
use crate::comment::Comment;
use crate::policy::Policy;
use crate::step::SYSTEM;
use crate::sweep::drift::{Disposition, Finding, FindingKind};
use crate::sweep::floor::FloorReport;
use crate::sweep::holders::Watched;
use crate::time::Timestamp;

/// Accounts named in one group alert; the rest are counted.
const VIA_GROUP_NAMED: usize = 5;

/// One alert (and one comment on the alert issue) per target and group, not per member: a group
/// can have hundreds of members, and what an admin must change is the group.
pub(super) fn emit_via_groups(
    policy: &Policy,
    findings: &[Finding],
    now: Timestamp,
    day: &str,
    actions: &mut Vec<Action>,
) {
    let mut by_group: std::collections::BTreeMap<(&str, &str), Vec<&Finding>> =
        std::collections::BTreeMap::new();
    for f in findings.iter().filter(|f| f.kind == FindingKind::ViaGroup) {
        let group = f.group_id.as_deref().unwrap_or_default();
        by_group
            .entry((f.target.as_str(), group))
            .or_default()
            .push(f);
    }
    for ((target_key, group_id), members) in by_group {
        let Some(target) = policy.target(target_key) else {
            continue;
        };
        let name = members
            .iter()
            .find_map(|f| f.group_name.as_deref())
            .unwrap_or(group_id);
        let since = members.iter().map(|f| f.since).min().unwrap_or(now);
        let named: Vec<String> = members
            .iter()
            .take(VIA_GROUP_NAMED)
            .map(|f| format!("`{}`", f.account_id))
            .collect();
        let more = members.len().saturating_sub(VIA_GROUP_NAMED);
        let who = if more > 0 {
            format!("{} and {more} more", named.join(", "))
        } else {
            named.join(", ")
        };
        let message = format!(
            "{} account(s) hold {} ({}) through group `{name}`, outside JIT Admin: {who}. JIT Admin never changes a group's roles or members, so it cannot revoke this; remove the role from group `{name}` in admin.atlassian.com (Directory > Groups), or remove these people from the group, and let them request access just in time",
            members.len(),
            target.label,
            target.access.describe(),
        );
        let key = format!(
            "sweep:DRIFT_VIA_GROUP:{target_key}:{group_id}:{}:{day}",
            since.millis()
        );
        actions.push(alert(
            key.clone(),
            Severity::Critical,
            "DRIFT_VIA_GROUP",
            message.clone(),
        ));
        if let Some(issue_key) = &policy.alert_issue_key {
            actions.push(Action::Comment {
                key: format!(
                    "sweep:comment:via-group:{target_key}:{group_id}:{}:{day}",
                    since.millis()
                ),
                issue_key: issue_key.clone(),
                body: Comment::new()
                    .text(format!("Drift found by the sweep at {now}: {message}."))
                    .finish(),
            });
        }
    }
}

pub(super) fn emit(
    policy: &Policy,
    target: &Watched<'_>,
    f: &Finding,
    now: Timestamp,
    day: &str,
    actions: &mut Vec<Action>,
) {
    let who = &f.account_id;
    let what = format!("{} ({})", target.label, target.access.describe());
    let (severity, code, message) = match (f.kind, f.disposition) {
        (_, Disposition::ExternallyManaged) => (
            Severity::Warning,
            "DRIFT_EXTERNALLY_MANAGED",
            format!("`{who}` holds {what} through a group synced from the identity provider; change it there"),
        ),
        (_, Disposition::KeptNoPermanentAdmin) => (
            Severity::Critical,
            "NO_PERMANENT_ORG_ADMIN",
            format!("`{who}` holds {what} without a grant but is kept: no permanent admin holds org admin, so the sweep cannot tell which org admins are safe to remove and revokes none"),
        ),
        (_, Disposition::KeptGrace) => (
            Severity::Warning,
            "PERMANENT_ADMIN_GRACE",
            format!(
                "`{who}` holds {what}; a policy change removed them from the permanent admins, and they are kept until {} (grace period), then treated as drift",
                f.grace_until.map_or_else(|| "further notice".to_owned(), |t| t.to_string())
            ),
        ),
        (_, Disposition::KeptForFloor) => (
            Severity::Critical,
            "ADMIN_FLOOR",
            format!("`{who}` holds {what} without a grant but is kept: revoking would leave fewer than {} org admins", policy.min_org_admins),
        ),
        (_, Disposition::KeptIncomplete) => (
            Severity::Warning,
            "DRIFT_UNCONFIRMED",
            format!("`{who}` appears to hold {what} without a grant; not revoked because the picture is incomplete"),
        ),
        (FindingKind::EndedStillHeld, _) => (
            Severity::Warning,
            "ENDED_STILL_HELD",
            format!("`{who}` still holds {what} after grant `{}` ended; revoking", f.grant_id.as_deref().unwrap_or("?")),
        ),
        (FindingKind::Drift, Disposition::Revoke) => (
            Severity::Critical,
            "DRIFT",
            format!("`{who}` holds {what} outside JIT Admin; revoking (drift mode enforce)"),
        ),
        (FindingKind::Drift, _) => (
            Severity::Critical,
            "DRIFT",
            format!("`{who}` holds {what} outside JIT Admin (drift mode report)"),
        ),
        (FindingKind::ViaGroup, _) => (
            Severity::Critical,
            "DRIFT_VIA_GROUP",
            format!(
                "`{who}` holds {what} through group `{}`, outside JIT Admin",
                f.group_name
                    .as_deref()
                    .or(f.group_id.as_deref())
                    .unwrap_or("?")
            ),
        ),
    };
    actions.push(alert(
        incident_key(&format!("sweep:{code}"), target, f, day),
        severity,
        code,
        message.clone(),
    ));
    if let (Some(issue_key), FindingKind::Drift) = (&policy.alert_issue_key, f.kind) {
        actions.push(Action::Comment {
            key: incident_key("sweep:comment", target, f, day),
            issue_key: issue_key.clone(),
            body: Comment::new()
                .text(format!("Drift found by the sweep at {now}: {message}."))
                .finish(),
        });
    }
    let reason = match f.kind {
        FindingKind::EndedStillHeld => Some(RevokeReason::EndedStillHeld),
        FindingKind::Drift => Some(RevokeReason::Drift),
        FindingKind::ViaGroup => None,
    };
    if let (Disposition::Revoke, Some(reason)) = (f.disposition, reason) {
        actions.push(Action::Revoke {
            key: if target.tagged {
                // Another access is listed under the same key now: keep the two keys apart.
                format!("sweep:{}:previous:{who}:{}", target.key, now.millis())
            } else {
                format!("sweep:{}:{who}:{}", target.key, now.millis())
            },
            grant_id: None,
            issue_key: None,
            target: target.key.to_owned(),
            access: target.access.clone(),
            account_id: who.clone(),
            reason,
            attempt: 1,
        });
    }
}

/// The key of an alert or comment about a finding: one per incident (its start) and disposition,
/// repeated daily while it lasts, so a new incident on the same day, or a switch from reporting
/// to revoking, is announced again.
fn incident_key(kind: &str, target: &Watched<'_>, f: &Finding, day: &str) -> String {
    let disposition = match f.disposition {
        Disposition::Revoke => "revoke",
        Disposition::Report => "report",
        Disposition::KeptForFloor => "floor",
        Disposition::KeptIncomplete => "incomplete",
        Disposition::ExternallyManaged => "external",
        Disposition::KeptNoPermanentAdmin => "nopermanent",
        Disposition::ReportGroup => "group",
        Disposition::KeptGrace => "grace",
    };
    format!(
        "{kind}:{}:{}:{disposition}:{}:{day}",
        target.key,
        f.account_id,
        f.since.millis()
    )
}

pub(super) fn alert(key: String, severity: Severity, code: &str, message: String) -> Action {
    Action::Alert {
        key,
        severity,
        code: code.to_owned(),
        message,
        grant_id: None,
        issue_key: None,
    }
}

pub(super) fn fingerprint(findings: &[Finding]) -> String {
    let mut lines: Vec<String> = findings
        .iter()
        .map(|f| {
            let group = f
                .group_id
                .as_deref()
                .map(|g| format!("\u{1f}{g}"))
                .unwrap_or_default();
            format!(
                "{}\u{1f}{}\u{1f}{:?}\u{1f}{:?}{group}",
                f.target, f.account_id, f.kind, f.disposition
            )
        })
        .collect();
    lines.sort();
    crate::audit::hex(&Sha256::digest(lines.join("\n").as_bytes()))
}

/// Findings quoted in one audit record; the rest are counted.
const AUDIT_FINDINGS_QUOTED: usize = 50;

pub(super) fn audit_entry(
    now: Timestamp,
    findings: &[Finding],
    revocations: usize,
    floor: &Option<FloorReport>,
    fingerprint: &str,
    due: usize,
) -> AuditEntry {
    let quoted: Vec<Value> = findings
        .iter()
        .take(AUDIT_FINDINGS_QUOTED)
        .filter_map(|f| serde_json::to_value(f).ok())
        .collect();
    let details = crate::audit::details([
        ("findings", Value::from(findings.len())),
        ("quoted", Value::Array(quoted)),
        ("revocations", Value::from(revocations)),
        ("dueGrants", Value::from(due)),
        (
            "floor",
            floor
                .as_ref()
                .and_then(|f| serde_json::to_value(f).ok())
                .unwrap_or(Value::Null),
        ),
        ("fingerprint", Value::from(fingerprint)),
    ]);
    AuditEntry {
        at: now,
        actor: SYSTEM.into(),
        event: AuditEvent::Sweep,
        outcome: AuditOutcome::Noted,
        grant_id: None,
        issue_key: None,
        target: None,
        details,
    }
}
