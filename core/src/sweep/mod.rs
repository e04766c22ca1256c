//! The sweep: compares who actually holds each target with what the grants allow, and returns
//! the actions that bring reality back to policy — without ever touching a permanent admin,
//! breaking the admin floor, or acting on an incomplete picture. Who holds what arrives as a
//! `snapshot`; each unexpected holder is a `drift` finding; the `floor` keeps enough org admins;
//! `report` turns findings into alerts, comments, revokes and the audit record; the `guard` is
//! the last check before any revoke runs.

pub(crate) mod drift;
pub(crate) mod floor;
pub(crate) mod guard;
pub(crate) mod holders;
pub(crate) mod report;
pub(crate) mod snapshot;

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::action::{Action, Severity};
use crate::audit::{chain, AuditHead, AuditRecord};
use crate::eligibility::{standing, Actor, Standing};
use crate::grant::{Grant, Status};
use crate::lifecycle::schedule::is_due;
use crate::policy::state::FormerPermanentAdmin;
use crate::policy::validation::validate;
use crate::policy::{DriftMode, Policy};
use crate::sweep::drift::{Disposition, Finding, FindingKind};
use crate::sweep::floor::{apply_floor, FloorReport};
use crate::sweep::holders::{by_holding, explain_target, shown, watched, Holder, Holding, Watched};
use crate::sweep::report::{alert, audit_entry, emit, emit_via_groups, fingerprint};
use crate::sweep::snapshot::HolderSnapshot;
use crate::time::Timestamp;

/// Everything the sweep needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SweepInput {
    /// The current policy.
    pub policy: Policy,
    /// Every grant the app knows that may matter: open ones and recently ended ones.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub grants: Vec<Grant>,
    /// Who holds each target right now, as read from the organization.
    pub snapshot: HolderSnapshot,
    /// The current time.
    pub now: Timestamp,
    /// Where new audit records attach.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub audit_head: Option<AuditHead>,
    /// The fingerprint of the previous sweep's findings; an unchanged picture is not re-audited.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub previous_fingerprint: Option<String>,
    /// The previous sweep's findings, so a lasting incident keeps its start (`since`).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub previous_findings: Vec<Finding>,
    /// The requesters of the open grants as the platform knows them now, with their groups, so
    /// the sweep can tell which grants the current policy no longer allows. A requester left
    /// out (the lookup failed) is judged on account ids alone; one eligible only through groups
    /// then counts as unknown, and their grants are left alone.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub requesters: Vec<Actor>,
    /// Accounts an approved policy change dropped from the permanent admins (stored with the
    /// policy): while their grace period runs they are reported, never revoked.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub former_permanent_admins: Vec<FormerPermanentAdmin>,
}

/// What the sweep found and decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SweepOutcome {
    /// What to execute.
    pub actions: Vec<Action>,
    /// Grants that need a `tick` now (a deadline, window end or retry is due).
    pub due: Vec<String>,
    /// Open grants the current policy no longer allows (requester no longer eligible, target
    /// removed or changed, service account no longer owned): send each a `policyCheck`.
    pub ineligible: Vec<String>,
    /// Every holder who is neither permanent, standing nor covered by a grant.
    pub findings: Vec<Finding>,
    /// Every holder of every watched access that was read, and why they hold it (the same
    /// explanations `explainHolders` gives).
    pub holders: Vec<Holder>,
    /// The org admin count and floor, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub floor: Option<FloorReport>,
    /// A hash of the findings, to pass back as `previousFingerprint` next time.
    pub fingerprint: String,
    /// Records to append.
    pub audit: Vec<AuditRecord>,
    /// The chain's head after those records.
    pub audit_head: AuditHead,
}

/// Compares reality with policy and returns what to do.
pub fn sweep(input: &SweepInput) -> SweepOutcome {
    let policy = &input.policy;
    let now = input.now;
    let day = now.day();
    let mut actions = Vec::new();
    let policy_ok = validate(policy).is_empty();
    if !policy_ok {
        actions.push(alert(
            format!("sweep:invalid-policy:{day}"),
            Severity::Critical,
            "INVALID_POLICY",
            "the policy is invalid: the sweep reports but revokes nobody until it is fixed".into(),
        ));
    }
    let mut due: Vec<String> = input
        .grants
        .iter()
        .filter(|g| is_due(g, now))
        .map(|g| g.id.clone())
        .collect();
    due.sort();
    due.dedup();

    let mut ineligible: Vec<String> = if policy_ok {
        input
            .grants
            .iter()
            .filter(|g| g.status != Status::Ended)
            .filter(|g| {
                let requester = input
                    .requesters
                    .iter()
                    .find(|r| r.account_id == g.requester);
                matches!(standing(policy, g, requester), Standing::Disallowed(_))
            })
            .map(|g| g.id.clone())
            .collect()
    } else {
        Vec::new()
    };
    ineligible.sort();
    ineligible.dedup();

    let by_holding = by_holding(&input.grants);
    // When each finding was first seen; the first of any repeated key wins, as a scan would.
    let mut first_seen: HashMap<(&str, &str, FindingKind), Timestamp> = HashMap::new();
    for p in &input.previous_findings {
        first_seen
            .entry((p.target.as_str(), p.account_id.as_str(), p.kind))
            .or_insert(p.since);
    }

    let mut findings = Vec::new();
    let mut explained = Vec::new();
    // Whether each finding is about the org admin role, index by index.
    let mut org_role: Vec<bool> = Vec::new();
    let mut accesses: Vec<&Watched<'_>> = Vec::new();
    let watched = watched(policy, &input.grants);
    // The org admins, when every org-role access watched was read completely. Without one the
    // app manages no org admin, so there is no count (and no floor) to keep.
    let has_org_target = watched.iter().any(|w| w.access.is_org_admin());
    let mut org_admins: Option<BTreeSet<&str>> = has_org_target.then(BTreeSet::new);
    for target in &watched {
        let Some(th) = input.snapshot.targets.iter().find(|t| target.reads(t)) else {
            if target.access.is_org_admin() {
                org_admins = None;
            }
            let (key, what) = if target.orphan {
                (
                    format!("sweep:unread:{}:{}:{day}", target.key, target.access.describe()),
                    format!(
                        "the holders of {} (granted as `{}`, no longer in the policy) were not read; nobody is revoked from it",
                        target.access.describe(),
                        target.key
                    ),
                )
            } else {
                (
                    format!("sweep:unread:{}:{day}", target.key),
                    format!(
                        "the holders of `{}` were not read; nobody is revoked from it",
                        target.key
                    ),
                )
            };
            actions.push(alert(key, Severity::Warning, "SNAPSHOT_INCOMPLETE", what));
            continue;
        };
        let complete = input.snapshot.complete && th.complete;
        if target.access.is_org_admin() {
            match (&mut org_admins, complete) {
                (Some(set), true) => set.extend(th.holders.iter().map(String::as_str)),
                _ => org_admins = None,
            }
        }
        if !complete {
            actions.push(alert(
                format!("sweep:incomplete:{}:{day}", target.key),
                Severity::Warning,
                "SNAPSHOT_INCOMPLETE",
                format!(
                    "the holder list of `{}` is incomplete; nobody is revoked from it",
                    target.key
                ),
            ));
        }
        for (holder, held) in explain_target(
            policy,
            target,
            th,
            &by_holding,
            &input.former_permanent_admins,
            now,
        ) {
            if let (true, Some(reason)) = (shown(target, &held), held.reason()) {
                explained.push(Holder {
                    target: target.key.to_owned(),
                    account_id: holder.to_owned(),
                    reason,
                });
            }
            let (kind, ended, grace, group) = match held {
                Holding::EndedStillHeld(g) => (FindingKind::EndedStillHeld, Some(g), None, None),
                Holding::Grace(f) => (FindingKind::Drift, None, Some(f), None),
                Holding::Drift => (FindingKind::Drift, None, None, None),
                Holding::ViaGroup(group) => (FindingKind::ViaGroup, None, None, Some(group)),
                Holding::Permanent
                | Holding::Standing
                | Holding::Grant(_)
                | Holding::NotTheApps => continue,
            };
            let disposition = if group.is_some() {
                // Never revoked (the app does not change groups), so never part of the floor.
                Disposition::ReportGroup
            } else if th.externally_synced {
                Disposition::ExternallyManaged
            } else if grace.is_some() {
                Disposition::KeptGrace
            } else if !complete || !policy_ok {
                Disposition::KeptIncomplete
            } else if kind == FindingKind::Drift && policy.drift_mode == DriftMode::Report {
                Disposition::Report
            } else {
                Disposition::Revoke
            };
            findings.push(Finding {
                target: target.key.to_owned(),
                account_id: holder.to_owned(),
                kind,
                disposition,
                grant_id: ended.map(|g| g.id.clone()),
                group_id: group.map(|g| g.group_id.clone()),
                group_name: group.and_then(|g| g.group_name.clone()),
                since: first_seen
                    .get(&(target.key, holder, kind))
                    .copied()
                    .unwrap_or(now),
                grace_until: grace.and_then(FormerPermanentAdmin::grace_until),
            });
            org_role.push(target.access.is_org_admin() && group.is_none());
            accesses.push(target);
        }
    }

    let floor = apply_floor(policy, &mut findings, &org_role, org_admins.as_ref());
    for (f, target) in findings.iter().zip(&accesses) {
        if f.kind == FindingKind::ViaGroup {
            continue;
        }
        emit(policy, target, f, now, &day, &mut actions);
    }
    emit_via_groups(policy, &findings, now, &day, &mut actions);
    if let Some(set) = &org_admins {
        if !policy
            .permanent_admins
            .iter()
            .any(|a| set.contains(a.as_str()))
        {
            actions.push(alert(
                format!("sweep:no-permanent-org-admin:{day}"),
                Severity::Critical,
                "NO_PERMANENT_ORG_ADMIN",
                "no permanent admin holds the org admin role: the sweep revokes no org admin until one does; give a permanent admin the role back".into(),
            ));
        }
    }
    if let Some(set) = &org_admins {
        for admin in &policy.permanent_admins {
            if !set.contains(admin.as_str()) {
                actions.push(alert(
                    format!("sweep:permanent-missing:{admin}:{day}"),
                    Severity::Warning,
                    "PERMANENT_ADMIN_MISSING",
                    format!("permanent admin `{admin}` does not hold the org admin role"),
                ));
            }
        }
    }

    let fingerprint = fingerprint(&findings);
    let revocations = findings
        .iter()
        .filter(|f| f.disposition == Disposition::Revoke)
        .count();
    let mut entries = Vec::new();
    if input.previous_fingerprint.as_deref() != Some(fingerprint.as_str()) || revocations > 0 {
        entries.push(audit_entry(
            now,
            &findings,
            revocations,
            &floor,
            &fingerprint,
            due.len(),
        ));
    }
    let (audit, audit_head) = chain(&input.audit_head.clone().unwrap_or_default(), entries);
    SweepOutcome {
        actions,
        due,
        ineligible,
        findings,
        holders: explained,
        floor,
        fingerprint,
        audit,
        audit_head,
    }
}
