//! Drift classification: the accesses the sweep watches, and each holder the app did not expect
//! (a finding), why it is unexpected and what the sweep does about it.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::grant::Grant;
use crate::policy::{Access, AccountId, Policy};
use crate::sweep::snapshot::TargetHolders;
use crate::time::Timestamp;

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
pub(super) struct Watched<'a> {
    pub(super) key: &'a str,
    pub(super) label: &'a str,
    pub(super) access: &'a Access,
    pub(super) standing_holders: &'a [AccountId],
    /// Not (or no longer with this access) in the policy: only the app's own leftovers are
    /// findings here; anyone else holding it is no business of the app's any more.
    pub(super) orphan: bool,
    /// A snapshot entry must name this access (the key is in the policy with another access).
    pub(super) tagged: bool,
}

impl Watched<'_> {
    pub(super) fn reads(&self, th: &TargetHolders) -> bool {
        th.target == self.key
            && match &th.access {
                Some(a) => a.same_as(self.access),
                None => !self.tagged,
            }
    }
}

/// The accesses to watch: every policy target, then each access that a known grant copied and
/// the policy no longer lists under that key.
pub(super) fn watched<'a>(policy: &'a Policy, grants: &'a [Grant]) -> Vec<Watched<'a>> {
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

/// Members of groups that hold the target's role, except permanent admins and the target's
/// standing holders (who may hold it anyway): one `viaGroup` finding per member and group, read
/// even when the rest of the target's read is incomplete (reporting needs no complete picture).
pub(super) fn via_group_findings(
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
