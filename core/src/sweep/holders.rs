//! Who holds each watched access, and why: a permanent admin, a standing holder, a grant of the
//! app, a permanent admin dropped less than the grace period ago, a leftover of an ended grant,
//! drift, or a group's role. Decided here once, for the sweep (which turns the unexpected ones
//! into findings) and for anyone who shows holders (`explainHolders`).

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::grant::{Grant, Status};
use crate::policy::state::FormerPermanentAdmin;
use crate::policy::{Access, AccountId, Policy};
use crate::sweep::snapshot::{GroupHolders, HolderSnapshot, TargetHolders};
use crate::time::Timestamp;

/// One holder of a watched access and why they hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Holder {
    /// The policy target key (for an access the policy no longer lists, the key its grants had).
    pub target: String,
    /// The holder.
    pub account_id: AccountId,
    /// Why they hold it.
    pub reason: HolderReason,
}

/// Why an account holds an access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum HolderReason {
    /// A permanent admin of the policy: never revoked.
    Permanent {},
    /// One of the target's standing holders (an integration the policy allows).
    Standing {},
    /// A grant of the app that gives it now (being given, given, or being removed).
    #[serde(rename_all = "camelCase")]
    Grant {
        /// The grant.
        grant_id: String,
        /// Its request issue.
        issue_key: String,
        /// The end of its window, once approved.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        until: Option<Timestamp>,
    },
    /// A permanent admin an approved policy change dropped: kept, and reported, until the grace
    /// period ends; drift after that.
    #[serde(rename_all = "camelCase")]
    Grace {
        /// When the grace period ends.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        until: Option<Timestamp>,
    },
    /// Still held after the app's grant ended: a leftover the sweep removes.
    #[serde(rename_all = "camelCase")]
    EndedStillHeld {
        /// The ended grant that should have removed it.
        grant_id: String,
    },
    /// Given outside the app (drift).
    Drift {},
    /// Holding through a group's role (`group_direct`): given outside the app, and not the app's to
    /// remove.
    #[serde(rename_all = "camelCase")]
    ViaGroup {
        /// The group.
        group_id: String,
        /// Its name, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        group_name: Option<String>,
    },
}

/// Input of `explainHolders`: the sweep's picture of who holds what, without its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HoldersInput {
    /// The current policy.
    pub policy: Policy,
    /// The grants that may matter: open ones and recently ended ones.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub grants: Vec<Grant>,
    /// Who holds each target, as read from the organization.
    pub snapshot: HolderSnapshot,
    /// The current time.
    pub now: Timestamp,
    /// Accounts an approved policy change dropped from the permanent admins (stored with the
    /// policy).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub former_permanent_admins: Vec<FormerPermanentAdmin>,
}

/// The answer of `explainHolders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct HoldersExplained {
    /// Every holder of every watched access that was read, with why.
    pub holders: Vec<Holder>,
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

/// The grants of each (subject, target key).
pub(super) type ByHolding<'a> = HashMap<(&'a str, &'a str), Vec<&'a Grant>>;

/// Indexes the grants by who holds what through them.
pub(super) fn by_holding(grants: &[Grant]) -> ByHolding<'_> {
    let mut out: ByHolding<'_> = HashMap::new();
    for g in grants {
        out.entry((g.subject.as_str(), g.target.as_str()))
            .or_default()
            .push(g);
    }
    out
}

/// Why one account holds a watched access, with what the sweep needs to act on it.
pub(super) enum Holding<'a> {
    Permanent,
    Standing,
    /// Covered by this grant of the app.
    Grant(&'a Grant),
    /// Drift, kept while this former permanent admin's grace period runs.
    Grace(&'a FormerPermanentAdmin),
    /// Left over from this ended grant.
    EndedStillHeld(&'a Grant),
    Drift,
    /// Through this group's role.
    ViaGroup(&'a GroupHolders),
    /// On an access the policy no longer lists, held by someone the app never gave it to.
    NotTheApps,
}

impl Holding<'_> {
    /// The explanation people see; `None` for a holding that is no business of the app's.
    pub(super) fn reason(&self) -> Option<HolderReason> {
        Some(match self {
            Self::Permanent => HolderReason::Permanent {},
            Self::Standing => HolderReason::Standing {},
            Self::Grant(g) => HolderReason::Grant {
                grant_id: g.id.clone(),
                issue_key: g.issue_key.clone(),
                until: g.window.as_ref().map(|w| w.end),
            },
            Self::Grace(f) => HolderReason::Grace {
                until: f.grace_until(),
            },
            Self::EndedStillHeld(g) => HolderReason::EndedStillHeld {
                grant_id: g.id.clone(),
            },
            Self::Drift => HolderReason::Drift {},
            Self::ViaGroup(group) => HolderReason::ViaGroup {
                group_id: group.group_id.clone(),
                group_name: group.group_name.clone(),
            },
            Self::NotTheApps => return None,
        })
    }
}

/// Whether the policy lets this account hold the target anyway (a permanent admin, a standing
/// holder), whatever route it holds it by.
fn allowed(policy: &Policy, target: &Watched<'_>, account: &str) -> Option<Holding<'static>> {
    if policy.is_permanent(account) {
        Some(Holding::Permanent)
    } else if target.standing_holders.iter().any(|s| s == account) {
        Some(Holding::Standing)
    } else {
        None
    }
}

/// Every holder of one watched access and why, in the order the sweep reports them: direct
/// holders by account, then each group's members by account (groups are read for policy targets
/// only, and even when the rest of the read is incomplete: reporting needs no complete picture).
/// Permanent admins and standing holders who hold it through a group are left out of the group's
/// members: they may hold it anyway.
pub(super) fn explain_target<'a>(
    policy: &Policy,
    target: &Watched<'_>,
    th: &'a TargetHolders,
    by_holding: &ByHolding<'a>,
    former: &'a [FormerPermanentAdmin],
    now: Timestamp,
) -> Vec<(&'a str, Holding<'a>)> {
    let mut out = Vec::new();
    let holders: BTreeSet<&str> = th.holders.iter().map(String::as_str).collect();
    for holder in holders {
        let held = allowed(policy, target, holder)
            .unwrap_or_else(|| by_grants(target, holder, by_holding, former, now));
        out.push((holder, held));
    }
    if !target.orphan {
        for group in &th.via_groups {
            let members: BTreeSet<&str> = group.account_ids.iter().map(String::as_str).collect();
            for member in members {
                if allowed(policy, target, member).is_none() {
                    out.push((member, Holding::ViaGroup(group)));
                }
            }
        }
    }
    out
}

/// A direct holder the policy does not allow anyway: covered by a grant, left over from an ended
/// one, or drift (kept through the grace period of a dropped permanent admin).
fn by_grants<'a>(
    target: &Watched<'_>,
    holder: &str,
    by_holding: &ByHolding<'a>,
    former: &'a [FormerPermanentAdmin],
    now: Timestamp,
) -> Holding<'a> {
    let grants: Vec<&'a Grant> = by_holding
        .get(&(holder, target.key))
        .map(|gs| {
            gs.iter()
                .copied()
                .filter(|g| g.access.same_as(target.access))
                .collect()
        })
        .unwrap_or_default();
    if let Some(g) = grants.iter().find(|g| g.covers_holding()) {
        return Holding::Grant(g);
    }
    let ended = grants
        .iter()
        .filter(|g| g.status == Status::Ended)
        .max_by_key(|g| (g.requested_at, g.id.as_str()));
    if let Some(g) = ended {
        return Holding::EndedStillHeld(g);
    }
    if target.orphan {
        // Not the app's to govern any more; only its own leftovers are.
        return Holding::NotTheApps;
    }
    // A permanent admin dropped by a recent change keeps the role through the grace period: a
    // mistyped list must not revoke the real admins on the next sweep.
    match former
        .iter()
        .find(|f| f.account_id == holder && f.in_grace(now))
    {
        Some(f) => Holding::Grace(f),
        None => Holding::Drift,
    }
}

/// Whether an explanation is worth showing: on an access the policy no longer lists, only the
/// app's own grants and leftovers are.
pub(super) fn shown(target: &Watched<'_>, held: &Holding<'_>) -> bool {
    !target.orphan || matches!(held, Holding::Grant(_) | Holding::EndedStillHeld(_))
}

/// Every holder of every watched access that was read, and why (`explainHolders`).
pub fn explain_holders(input: &HoldersInput) -> HoldersExplained {
    let by_holding = by_holding(&input.grants);
    let mut holders = Vec::new();
    for target in &watched(&input.policy, &input.grants) {
        let Some(th) = input.snapshot.targets.iter().find(|t| target.reads(t)) else {
            continue;
        };
        for (account, held) in explain_target(
            &input.policy,
            target,
            th,
            &by_holding,
            &input.former_permanent_admins,
            input.now,
        ) {
            if !shown(target, &held) {
                continue;
            }
            if let Some(reason) = held.reason() {
                holders.push(Holder {
                    target: target.key.to_owned(),
                    account_id: account.to_owned(),
                    reason,
                });
            }
        }
    }
    HoldersExplained { holders }
}
