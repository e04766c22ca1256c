//! The admin floor: the sweep keeps as many org admins as the policy's minimum needs, and none
//! when it cannot tell which are safe to remove.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::policy::Policy;
use crate::sweep::drift::{Disposition, Finding};

/// The org admin count against the floor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FloorReport {
    /// Org admins now.
    pub org_admins: u64,
    /// Org admins after the planned revocations.
    pub after: u64,
    /// The policy's minimum.
    pub min: u32,
}

/// Keeps as many org admins as the floor needs, turning their revocations into alerts.
/// `org_role[i]` says whether `findings[i]` is about the org admin role.
pub(super) fn apply_floor(
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
