//! The sweep: compares who actually holds each target with what the grants allow, and returns
//! the actions that bring reality back to policy — without ever touching a permanent admin,
//! breaking the admin floor, or acting on an incomplete picture.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::action::{Action, RevokeReason, Severity};
use crate::audit::{chain, AuditEntry, AuditHead, AuditOutcome, AuditRecord};
use crate::comment::Comment;
use crate::eligibility::{standing, Actor, Standing};
use crate::grant::{Grant, Status};
use crate::lifecycle::schedule::is_due;
use crate::policy::state::FormerPermanentAdmin;
use crate::policy::validation::validate;
use crate::policy::{Access, AccountId, DriftMode, Policy};
use crate::step::SYSTEM;
use crate::time::Timestamp;

/// Everything the sweep needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SweepInput {
    /// The current policy.
    pub policy: Policy,
    /// Every grant the app knows that may matter: open ones and recently ended ones.
    #[serde(default)]
    pub grants: Vec<Grant>,
    /// Who holds each target right now, as read from the organization.
    pub snapshot: HolderSnapshot,
    /// The current time.
    pub now: Timestamp,
    /// Where new audit records attach.
    #[serde(default)]
    pub audit_head: Option<AuditHead>,
    /// The fingerprint of the previous sweep's findings; an unchanged picture is not re-audited.
    #[serde(default)]
    pub previous_fingerprint: Option<String>,
    /// The previous sweep's findings, so a lasting incident keeps its start (`since`).
    #[serde(default)]
    pub previous_findings: Vec<Finding>,
    /// The requesters of the open grants as the platform knows them now, with their groups, so
    /// the sweep can tell which grants the current policy no longer allows. A requester left
    /// out (the lookup failed) is judged on account ids alone; one eligible only through groups
    /// then counts as unknown, and their grants are left alone.
    #[serde(default)]
    pub requesters: Vec<Actor>,
    /// Accounts an approved policy change dropped from the permanent admins (stored with the
    /// policy): while their grace period runs they are reported, never revoked.
    #[serde(default)]
    pub former_permanent_admins: Vec<FormerPermanentAdmin>,
}

/// Who holds each target, as read from the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HolderSnapshot {
    /// False when the read failed anywhere; the sweep then revokes nobody.
    pub complete: bool,
    /// Holders per target.
    #[serde(default)]
    pub targets: Vec<TargetHolders>,
}

/// The holders of one target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetHolders {
    /// The policy target key.
    pub target: String,
    /// False when this target's read failed or was cut short.
    pub complete: bool,
    /// A group synced from an identity provider: reported, never modified.
    #[serde(default)]
    pub externally_synced: bool,
    /// The access that was read, for an access the policy no longer lists under `target` (the
    /// target was removed, or now grants something else): the sweep watches those, from the
    /// grants' own copies, until no holder the app gave it to is left. Absent: the access the
    /// policy's target grants (and, for a removed target, the one its grants copied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Access>,
    /// Accounts that hold it directly.
    #[serde(default)]
    pub holders: Vec<AccountId>,
    /// Role targets: groups whose role gives their members this target (`group_direct` in the
    /// organizations API). Their members are reported, never revoked: the app never changes a
    /// group's roles or members for this. They do not count as holders, and so (for the org-admin
    /// target) not toward the admin floor either: a group can lose its members or its role at any
    /// time without the app knowing, so the floor counts only direct org admins, a lower bound.
    #[serde(default)]
    pub via_groups: Vec<GroupHolders>,
}

/// Members of a group that holds a target's role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupHolders {
    /// The group's id.
    pub group_id: String,
    /// The group's name, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// Its members.
    #[serde(default)]
    pub account_ids: Vec<AccountId>,
}

/// What the sweep found and decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The org admin count and floor, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<FloorReport>,
    /// A hash of the findings, to pass back as `previousFingerprint` next time.
    pub fingerprint: String,
    /// Records to append.
    pub audit: Vec<AuditRecord>,
    /// The chain's head after those records.
    pub audit_head: AuditHead,
}

/// One holder the app did not expect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The policy target key.
    pub target: String,
    /// The holder.
    pub account_id: AccountId,
    /// Why it is unexpected.
    pub kind: FindingKind,
    /// What the sweep does about it.
    pub disposition: Disposition,
    /// The ended grant that should have removed it, for `endedStillHeld`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    /// The group whose role gives the access, for `viaGroup`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// That group's name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// When the sweeps first saw this holding without a break: one incident, one alert (repeated
    /// daily), however many sweeps see it; a holding that goes and comes back is a new incident.
    pub since: Timestamp,
    /// For `keptGrace`: when the grace period of a dropped permanent admin ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_until: Option<Timestamp>,
}

/// Why a holder is unexpected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FindingKind {
    /// The access is still held after the app's grant ended.
    EndedStillHeld,
    /// The access was given outside the app.
    Drift,
    /// The access comes from a group's role (`group_direct`): given outside the app, and not the
    /// app's to remove.
    ViaGroup,
}

/// What the sweep does about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Disposition {
    /// Revoke it.
    Revoke,
    /// Report it (drift mode `report`).
    Report,
    /// Kept: revoking would leave fewer org admins than the floor.
    KeptForFloor,
    /// Kept: the holder list is incomplete (or the policy invalid), so nobody is revoked.
    KeptIncomplete,
    /// Kept: the group is managed by the identity provider.
    ExternallyManaged,
    /// Kept: no permanent admin holds org admin, so the sweep cannot tell which org admins the
    /// organisation still needs, and revokes none.
    KeptNoPermanentAdmin,
    /// Reported, naming the group: the access comes from the group's role, and the app never
    /// changes a group's roles or members to take it away. An admin must.
    ReportGroup,
    /// Kept: a policy change dropped this account from the permanent admins less than
    /// [`crate::policy::state::GRACE_DAYS`] ago.
    KeptGrace,
}

/// An access the sweep watches: a policy target, or an access the policy no longer lists that
/// grants of the app gave (from their own copies).
struct Watched<'a> {
    key: &'a str,
    label: &'a str,
    access: &'a Access,
    standing_holders: &'a [AccountId],
    /// Not (or no longer with this access) in the policy: only the app's own leftovers are
    /// findings here; anyone else holding it is no business of the app's any more.
    orphan: bool,
    /// A snapshot entry must name this access (the key is in the policy with another access).
    tagged: bool,
}

impl Watched<'_> {
    fn reads(&self, th: &TargetHolders) -> bool {
        th.target == self.key
            && match &th.access {
                Some(a) => a.same_as(self.access),
                None => !self.tagged,
            }
    }
}

/// The accesses to watch: every policy target, then each access that a known grant copied and
/// the policy no longer lists under that key.
fn watched<'a>(policy: &'a Policy, grants: &'a [Grant]) -> Vec<Watched<'a>> {
    let mut out: Vec<Watched<'a>> = policy
        .targets
        .iter()
        .map(|t| Watched {
            key: &t.key,
            label: &t.label,
            access: &t.access,
            standing_holders: &t.standing_holders,
            orphan: false,
            tagged: false,
        })
        .collect();
    for g in grants {
        let listed = policy.target(&g.target);
        if listed.is_some_and(|t| t.access.same_as(&g.access))
            || out
                .iter()
                .any(|w| w.key == g.target && w.access.same_as(&g.access))
        {
            continue;
        }
        out.push(Watched {
            key: &g.target,
            label: &g.target_label,
            access: &g.access,
            standing_holders: &[],
            orphan: true,
            tagged: listed.is_some(),
        });
    }
    out
}

/// The org admin count against the floor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FloorReport {
    /// Org admins now.
    pub org_admins: u64,
    /// Org admins after the planned revocations.
    pub after: u64,
    /// The policy's minimum.
    pub min: u32,
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

    let mut by_holding: HashMap<(&str, &str), Vec<&Grant>> = HashMap::new();
    for g in &input.grants {
        by_holding
            .entry((g.subject.as_str(), g.target.as_str()))
            .or_default()
            .push(g);
    }
    // When each finding was first seen; the first of any repeated key wins, as a scan would.
    let mut first_seen: HashMap<(&str, &str, FindingKind), Timestamp> = HashMap::new();
    for p in &input.previous_findings {
        first_seen
            .entry((p.target.as_str(), p.account_id.as_str(), p.kind))
            .or_insert(p.since);
    }

    let mut findings = Vec::new();
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
        let holders: BTreeSet<&str> = th.holders.iter().map(String::as_str).collect();
        for holder in holders {
            if policy.is_permanent(holder) || target.standing_holders.iter().any(|s| s == holder) {
                continue;
            }
            let grants: Vec<&Grant> = by_holding
                .get(&(holder, target.key))
                .map(|gs| {
                    gs.iter()
                        .copied()
                        .filter(|g| g.access.same_as(target.access))
                        .collect()
                })
                .unwrap_or_default();
            if grants.iter().any(|g| g.covers_holding()) {
                continue;
            }
            let ended = grants
                .iter()
                .filter(|g| g.status == Status::Ended)
                .max_by_key(|g| (g.requested_at, g.id.as_str()));
            let kind = if ended.is_some() {
                FindingKind::EndedStillHeld
            } else if target.orphan {
                // Not the app's to govern any more; only its own leftovers are.
                continue;
            } else {
                FindingKind::Drift
            };
            // A permanent admin dropped by a recent change keeps the role through the grace
            // period: a mistyped list must not revoke the real admins on the next sweep.
            let grace = input
                .former_permanent_admins
                .iter()
                .find(|f| kind == FindingKind::Drift && f.account_id == holder && f.in_grace(now));
            let disposition = if th.externally_synced {
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
                group_id: None,
                group_name: None,
                since: first_seen
                    .get(&(target.key, holder, kind))
                    .copied()
                    .unwrap_or(now),
                grace_until: grace.and_then(FormerPermanentAdmin::grace_until),
            });
            org_role.push(target.access.is_org_admin());
            accesses.push(target);
        }
        if !target.orphan {
            let added = via_group_findings(policy, target, th, now, &first_seen, &mut findings);
            for _ in 0..added {
                // Never revoked (the app does not change groups), so never part of the floor.
                org_role.push(false);
                accesses.push(target);
            }
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
        floor,
        fingerprint,
        audit,
        audit_head,
    }
}

/// Members of groups that hold the target's role, except permanent admins and the target's
/// standing holders (who may hold it anyway): one `viaGroup` finding per member and group, read
/// even when the rest of the target's read is incomplete (reporting needs no complete picture).
fn via_group_findings(
    policy: &Policy,
    target: &Watched<'_>,
    th: &TargetHolders,
    now: Timestamp,
    first_seen: &HashMap<(&str, &str, FindingKind), Timestamp>,
    findings: &mut Vec<Finding>,
) -> usize {
    let before = findings.len();
    for group in &th.via_groups {
        let members: BTreeSet<&str> = group.account_ids.iter().map(String::as_str).collect();
        for member in members {
            if policy.is_permanent(member) || target.standing_holders.iter().any(|s| s == member) {
                continue;
            }
            findings.push(Finding {
                target: target.key.to_owned(),
                account_id: member.to_owned(),
                kind: FindingKind::ViaGroup,
                disposition: Disposition::ReportGroup,
                grant_id: None,
                group_id: Some(group.group_id.clone()),
                group_name: group.group_name.clone(),
                grace_until: None,
                since: first_seen
                    .get(&(target.key, member, FindingKind::ViaGroup))
                    .copied()
                    .unwrap_or(now),
            });
        }
    }
    findings.len().saturating_sub(before)
}

/// Accounts named in one group alert; the rest are counted.
const VIA_GROUP_NAMED: usize = 5;

/// One alert (and one comment on the alert issue) per target and group, not per member: a group
/// can have hundreds of members, and what an admin must change is the group.
fn emit_via_groups(
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

/// Keeps as many org admins as the floor needs, turning their revocations into alerts.
/// `org_role[i]` says whether `findings[i]` is about the org admin role.
fn apply_floor(
    policy: &Policy,
    findings: &mut [Finding],
    org_role: &[bool],
    org_admins: Option<&BTreeSet<&str>>,
) -> Option<FloorReport> {
    let is_org = |i: usize| org_role.get(i).copied().unwrap_or(false);
    let keep_all = |findings: &mut [Finding], disposition: Disposition| {
        for (i, f) in findings.iter_mut().enumerate() {
            if is_org(i) && f.disposition == Disposition::Revoke {
                f.disposition = disposition;
            }
        }
    };
    let Some(set) = org_admins else {
        // The org admin count is unknown: no org-role revocation may go ahead.
        keep_all(findings, Disposition::KeptIncomplete);
        return None;
    };
    let total = u64::try_from(set.len()).unwrap_or(u64::MAX);
    if !policy
        .permanent_admins
        .iter()
        .any(|a| set.contains(a.as_str()))
    {
        // Without a permanent admin among them, which org admins are safe to remove cannot be
        // told: keeping one at random (and revoking the others) could leave only the wrong one.
        keep_all(findings, Disposition::KeptNoPermanentAdmin);
        return Some(FloorReport {
            org_admins: total,
            after: total,
            min: policy.min_org_admins,
        });
    }
    let min = u64::from(policy.min_org_admins.max(1));
    let mut remaining = total;
    let mut revoked: BTreeSet<String> = BTreeSet::new();
    // Ended grants first (the app's own leftovers), then drift; stable by account.
    let mut order: Vec<usize> = (0..findings.len())
        .filter(|&i| {
            is_org(i)
                && findings
                    .get(i)
                    .is_some_and(|f| f.disposition == Disposition::Revoke)
        })
        .collect();
    order.sort_by(|&a, &b| {
        let key = |i: usize| findings.get(i).map(|f| (f.kind, f.account_id.clone()));
        key(a).cmp(&key(b))
    });
    for i in order {
        let Some(f) = findings.get_mut(i) else {
            continue;
        };
        if revoked.contains(&f.account_id) {
            continue;
        }
        if remaining > min {
            remaining = remaining.saturating_sub(1);
            revoked.insert(f.account_id.clone());
        } else {
            f.disposition = Disposition::KeptForFloor;
        }
    }
    Some(FloorReport {
        org_admins: total,
        after: remaining,
        min: policy.min_org_admins,
    })
}

fn emit(
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

fn alert(key: String, severity: Severity, code: &str, message: String) -> Action {
    Action::Alert {
        key,
        severity,
        code: code.to_owned(),
        message,
        grant_id: None,
        issue_key: None,
    }
}

fn fingerprint(findings: &[Finding]) -> String {
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

fn audit_entry(
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
        event: "sweep".into(),
        outcome: AuditOutcome::Noted,
        grant_id: None,
        issue_key: None,
        target: None,
        details,
    }
}

/// Input of `guard_revocation`: a revoke about to be executed and a fresh read of the org admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuardInput {
    /// The current policy.
    pub policy: Policy,
    /// The revoke action about to be executed.
    pub action: Action,
    /// Who holds the org admin role right now; needed only when the action revokes it. An
    /// incomplete read still counts: the admins it confirms are a lower bound.
    #[serde(default)]
    pub org_admins: Option<TargetHolders>,
    /// The grants of the account for the action's target, read just now: a sweep's revoke
    /// decided minutes ago must not remove access that a grant has given since.
    #[serde(default)]
    pub grants: Vec<Grant>,
}

/// Whether a revoke may go ahead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardOutcome {
    /// Whether to execute it.
    pub allowed: bool,
    /// Why not: a stable code (`ADMIN_FLOOR`, `PERMANENT_ADMIN`, `HOLDERS_UNKNOWN`,
    /// `COVERED_BY_GRANT`) and a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<crate::error::ErrorBody>,
    /// The revoke is no longer wanted (a grant covers the access now): drop it, do not retry.
    #[serde(default)]
    pub obsolete: bool,
}

/// The last check before a revoke is executed: it never removes a permanent admin, never access
/// that a grant covers now (for the sweep's revokes), and never an org admin whose removal would
/// leave fewer org admins than the floor, judged on a fresh read. The wrapper reports a refusal
/// back to `decide` as a retryable failure, so the revoke is retried with back-off and alerted,
/// rather than dropped; an obsolete revoke is dropped.
pub fn guard_revocation(input: &GuardInput) -> GuardOutcome {
    let refuse = |code: &str, message: String| GuardOutcome {
        allowed: false,
        reason: Some(crate::error::ErrorBody {
            code: code.to_owned(),
            message,
            path: None,
        }),
        obsolete: false,
    };
    let allow = GuardOutcome {
        allowed: true,
        reason: None,
        obsolete: false,
    };
    let Action::Revoke {
        access,
        account_id,
        grant_id,
        target,
        ..
    } = &input.action
    else {
        return allow;
    };
    if input.policy.is_permanent(account_id) {
        return refuse(
            "PERMANENT_ADMIN",
            format!("`{account_id}` is a permanent admin and is never revoked"),
        );
    }
    if grant_id.is_none() {
        if let Some(g) = input
            .grants
            .iter()
            .find(|g| g.subject == *account_id && g.target == *target && g.covers_holding())
        {
            return GuardOutcome {
                obsolete: true,
                ..refuse(
                    "COVERED_BY_GRANT",
                    format!("grant `{}` gives `{account_id}` this access now", g.id),
                )
            };
        }
    }
    if !access.is_org_admin() {
        return allow;
    }
    let Some(admins) = input.org_admins.as_ref() else {
        return refuse(
            "HOLDERS_UNKNOWN",
            "the org admins could not be read; not revoking org admin blind".into(),
        );
    };
    let others: BTreeSet<&str> = admins
        .holders
        .iter()
        .map(String::as_str)
        .filter(|h| *h != account_id.as_str())
        .collect();
    let min = usize::try_from(input.policy.min_org_admins.max(1)).unwrap_or(usize::MAX);
    if others.len() >= min {
        return allow;
    }
    if !admins.complete {
        return refuse(
            "HOLDERS_UNKNOWN",
            format!(
                "only {} other org admin(s) could be confirmed and {min} must remain; not revoking until the org admins can be read",
                others.len()
            ),
        );
    }
    refuse(
        "ADMIN_FLOOR",
        format!(
            "revoking `{account_id}` would leave {} org admin(s); at least {min} must remain",
            others.len()
        ),
    )
}
