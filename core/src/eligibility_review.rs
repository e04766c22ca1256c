//! The eligibility review (`eligibilityReview`): standing eligibility is itself a risk, so every
//! person and group the policy lets request, approve or break glass on each target is listed with
//! when they last used that right, and flagged once idle longer than the policy's
//! `idleAfterDays`. The activity comes from the grants the wrapper read; groups are credited with
//! what their members did when those members are not listed by name for the same right.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::grant::{Grant, Outcome};
use crate::policy::{AccountId, Policy, Principals};
use crate::time::Timestamp;

/// Days without use after which an eligibility is flagged, when the policy sets none.
pub const IDLE_AFTER_DAYS_DEFAULT: u32 = 90;

/// Input of `eligibilityReview`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReviewInput {
    /// The policy in force.
    pub policy: Policy,
    /// The grants read (the activity); older grants than `historyFrom` are not expected.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub grants: Vec<Grant>,
    /// The groups of accounts the core asked about (`needsGroupsOf`), as Jira answered.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub memberships: Vec<Membership>,
    /// Where the activity read begins (the app's first audit record, or the oldest grant read
    /// when the read stopped early). Someone never active counts as idle from here; absent: no
    /// history, and nobody never active is flagged.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub history_from: Option<Timestamp>,
    /// The current time.
    pub now: Timestamp,
}

/// The groups one account belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Membership {
    /// The account.
    pub account_id: AccountId,
    /// Its group ids.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub group_ids: Vec<String>,
}

/// The answer of `eligibilityReview`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Review {
    /// The idle period applied (the policy's, or [`IDLE_AFTER_DAYS_DEFAULT`]).
    pub idle_after_days: u32,
    /// Where the activity read begins, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub history_from: Option<Timestamp>,
    /// One row per target, right and principal, in policy order.
    pub rows: Vec<ReviewRow>,
    /// How many rows are flagged idle.
    pub idle_count: u32,
    /// Accounts whose groups would credit activity to a group: look them up, pass them as
    /// `memberships` and ask again. Until then those groups' rows say `attributionComplete: false`.
    pub needs_groups_of: Vec<AccountId>,
}

/// The right a row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum EligibilityRole {
    /// May request the target (`requesters`).
    Requester,
    /// May approve or reject requests and extensions (`approvers`).
    Approver,
    /// May activate without approval (`breakGlass`).
    BreakGlass,
}

/// Whom a row is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Principal {
    /// A person, by account id.
    #[serde(rename_all = "camelCase")]
    Account {
        /// The account.
        account_id: AccountId,
    },
    /// A group, by group id.
    #[serde(rename_all = "camelCase")]
    Group {
        /// The group.
        group_id: String,
    },
}

/// One standing eligibility and its use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ReviewRow {
    /// The target key.
    pub target: String,
    /// Its label.
    pub target_label: String,
    /// The right.
    pub role: EligibilityRole,
    /// Who holds it.
    pub principal: Principal,
    /// The last time it was used (a request, an approval or rejection, a break-glass activation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub last_used: Option<Timestamp>,
    /// The request issue of that last use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub last_issue_key: Option<String>,
    /// How often it was used in the history read.
    pub uses: u32,
    /// Whole days since the last use (or since `historyFrom` when never used); absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub idle_days: Option<u32>,
    /// Unused for longer than `idleAfterDays`.
    pub idle: bool,
    /// For a group: false while a member's groups are unknown, so some use may be missing.
    pub attribution_complete: bool,
}

/// One use of a right, read from a grant.
struct Use<'a> {
    target: &'a str,
    role: EligibilityRole,
    actor: &'a str,
    at: Timestamp,
    issue_key: &'a str,
}

/// Every use of a right recorded in the grants: requests and extension requests, approvals and
/// rejections (of requests and extensions alike), and break-glass activations.
fn uses(grants: &[Grant]) -> Vec<Use<'_>> {
    let mut out = Vec::new();
    for g in grants {
        let mut one = Vec::new();
        one.push((
            EligibilityRole::Requester,
            g.requester.as_str(),
            g.requested_at,
        ));
        for a in &g.approvals {
            one.push((EligibilityRole::Approver, a.approver.as_str(), a.at));
        }
        if let (Some(Outcome::Rejected), Some(e)) = (g.outcome, &g.ending) {
            one.push((EligibilityRole::Approver, e.by.as_str(), e.at));
        }
        if let Some(a) = g.activation.as_ref().filter(|a| a.break_glass) {
            one.push((EligibilityRole::BreakGlass, a.by.as_str(), a.at));
        }
        for x in &g.extensions {
            one.push((
                EligibilityRole::Requester,
                g.requester.as_str(),
                x.requested_at,
            ));
            for a in &x.approvals {
                one.push((EligibilityRole::Approver, a.approver.as_str(), a.at));
            }
            if let (Some(by), Some(at)) = (&x.rejected_by, x.decided_at) {
                one.push((EligibilityRole::Approver, by.as_str(), at));
            }
        }
        out.extend(one.into_iter().map(|(role, actor, at)| Use {
            target: &g.target,
            role,
            actor,
            at,
            issue_key: &g.issue_key,
        }));
    }
    out
}

/// The rights a target gives, in row order.
fn rights(target: &crate::policy::Target) -> [(EligibilityRole, Principals); 3] {
    [
        (EligibilityRole::Requester, target.requesters.clone()),
        (EligibilityRole::Approver, target.approvers.clone()),
        (
            EligibilityRole::BreakGlass,
            Principals {
                account_ids: target.break_glass.clone(),
                group_ids: Vec::new(),
            },
        ),
    ]
}

/// Whole days from `from` to `to` (0 when `to` is earlier).
fn days_between(from: Timestamp, to: Timestamp) -> u32 {
    u32::try_from(from.minutes_until(to).max(0) / (24 * 60)).unwrap_or(u32::MAX)
}

/// The eligibility review: every standing right of the policy, its last use and whether it is idle.
pub fn eligibility_review(input: &ReviewInput) -> Review {
    let idle_after_days = input
        .policy
        .idle_after_days
        .unwrap_or(IDLE_AFTER_DAYS_DEFAULT);
    let all = uses(&input.grants);
    let groups_of: BTreeMap<&str, BTreeSet<&str>> = input
        .memberships
        .iter()
        .map(|m| {
            (
                m.account_id.as_str(),
                m.group_ids.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    let mut rows = Vec::new();
    let mut needs: BTreeSet<AccountId> = BTreeSet::new();
    for target in &input.policy.targets {
        for (role, principals) in rights(target) {
            let here: Vec<&Use> = all
                .iter()
                .filter(|u| u.target == target.key && u.role == role)
                .collect();
            // Uses by someone not listed by name went through a group (or predate a change): the
            // groups they belong to are credited, once their groups are known.
            let unnamed: Vec<&&Use> = here
                .iter()
                .filter(|u| !principals.account_ids.iter().any(|a| a == u.actor))
                .collect();
            let mut unknown = false;
            if !principals.group_ids.is_empty() {
                for u in &unnamed {
                    if !groups_of.contains_key(u.actor) {
                        unknown = true;
                        needs.insert(u.actor.to_owned());
                    }
                }
            }
            for account in &principals.account_ids {
                let mine = here.iter().filter(|u| u.actor == account.as_str());
                rows.push(row(
                    input,
                    target,
                    role,
                    Principal::Account {
                        account_id: account.clone(),
                    },
                    mine.copied(),
                    idle_after_days,
                    true,
                ));
            }
            for group in &principals.group_ids {
                let theirs = unnamed.iter().filter(|u| {
                    groups_of
                        .get(u.actor)
                        .is_some_and(|g| g.contains(group.as_str()))
                });
                rows.push(row(
                    input,
                    target,
                    role,
                    Principal::Group {
                        group_id: group.clone(),
                    },
                    theirs.map(|u| **u),
                    idle_after_days,
                    !unknown,
                ));
            }
        }
    }
    let idle_count = u32::try_from(rows.iter().filter(|r| r.idle).count()).unwrap_or(u32::MAX);
    Review {
        idle_after_days,
        history_from: input.history_from,
        rows,
        idle_count,
        needs_groups_of: needs.into_iter().collect(),
    }
}

/// One row from the uses credited to its principal.
fn row<'a>(
    input: &ReviewInput,
    target: &crate::policy::Target,
    role: EligibilityRole,
    principal: Principal,
    used: impl Iterator<Item = &'a Use<'a>>,
    idle_after_days: u32,
    attribution_complete: bool,
) -> ReviewRow {
    let mut uses: u32 = 0;
    let mut last: Option<&Use> = None;
    for u in used {
        uses = uses.saturating_add(1);
        match last {
            Some(l) if l.at >= u.at => {}
            _ => last = Some(u),
        }
    }
    let since = last.map(|u| u.at).or(input.history_from);
    let idle_days = since.map(|s| days_between(s, input.now));
    // Idle means unused for longer than the period: exactly the period is not yet idle.
    let idle = since.is_some_and(|s| {
        s.minutes_until(input.now) > i64::from(idle_after_days).saturating_mul(24 * 60)
    });
    ReviewRow {
        target: target.key.clone(),
        target_label: target.label.clone(),
        role,
        principal,
        last_used: last.map(|u| u.at),
        last_issue_key: last.map(|u| u.issue_key.to_owned()),
        uses,
        idle_days,
        idle,
        attribution_complete,
    }
}
