//! Property tests of the sweep and the revocation guard under hostile policies and snapshots:
//! no permanent admin is ever revoked, the org-admin floor always holds, an incomplete picture
//! removes nobody, and every holder is explained once, as the findings say.

use jit_admin_core::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const ACCOUNTS: [&str; 8] = [
    "perm-1", "perm-2", "perm-3", "alice", "erin", "x-1", "x-2", "x-3",
];

fn policy(permanent: Vec<String>, min: u32, enforce: bool) -> Policy {
    let mut p: Policy = serde_json::from_value(serde_json::json!({
        "targets": [
            {"key": "org-admin", "label": "Org admin", "access": {"type": "orgRole", "role": "atlassian/org-admin"},
             "requesters": {"accountIds": ["alice", "erin"]}, "approvers": {"accountIds": ["bob", "carol", "dan"]}},
            {"key": "jira-admins", "label": "Jira admins", "access": {"type": "groupMembership", "groupId": "g1"},
             "requesters": {"accountIds": ["alice", "erin"]}, "approvers": {"accountIds": ["bob", "carol", "dan"]}}
        ]
    }))
    .expect("policy");
    p.permanent_admins = permanent;
    p.min_org_admins = min;
    p.drift_mode = if enforce {
        DriftMode::Enforce
    } else {
        DriftMode::Report
    };
    p
}

fn subset() -> impl Strategy<Value = Vec<String>> {
    prop::collection::btree_set(0..ACCOUNTS.len(), 0..ACCOUNTS.len())
        .prop_map(|s| s.into_iter().map(|i| ACCOUNTS[i].to_owned()).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(1024), ..ProptestConfig::default() })]

    #[test]
    fn no_sweep_revokes_a_permanent_admin_or_breaks_the_floor_or_acts_on_an_incomplete_picture(
        permanent in subset(),
        min in 0u32..6,
        enforce in any::<bool>(),
        org_holders in subset(),
        group_holders in subset(),
        complete in any::<bool>(),
        org_complete in any::<bool>(),
        synced in any::<bool>(),
    ) {
        let p = policy(permanent.clone(), min, enforce);
        let snapshot = HolderSnapshot {
            complete,
            targets: vec![
                TargetHolders { target: "org-admin".into(), complete: org_complete, externally_synced: false, access: None, holders: org_holders.clone(), via_groups: vec![] },
                TargetHolders { target: "jira-admins".into(), complete: true, externally_synced: synced, access: None, holders: group_holders.clone(), via_groups: vec![] },
            ],
        };
        let out = sweep(&SweepInput {
            policy: p.clone(),
            grants: vec![],
            snapshot,
            now: Timestamp::parse("2026-06-01T12:00:00Z").expect("time"),
            audit_head: None,
            previous_fingerprint: None,
            previous_findings: vec![],
            requesters: vec![],
            former_permanent_admins: vec![],
        });
        let revoked: Vec<(String, String)> = out.actions.iter().filter_map(|a| match a {
            Action::Revoke { target, account_id, .. } => Some((target.clone(), account_id.clone())),
            _ => None,
        }).collect();
        for (_, account) in &revoked {
            prop_assert!(!permanent.contains(account), "permanent admin {} revoked", account);
        }
        if !complete {
            prop_assert!(revoked.is_empty(), "an incomplete snapshot removes nobody");
        }
        if synced {
            prop_assert!(!revoked.iter().any(|(t, _)| t == "jira-admins"), "a synced group is never modified");
        }
        let org_revoked: BTreeSet<&str> = revoked.iter().filter(|(t, _)| t == "org-admin").map(|(_, a)| a.as_str()).collect();
        if !org_revoked.is_empty() {
            prop_assert!(complete && org_complete);
            let before: BTreeSet<&str> = org_holders.iter().map(String::as_str).collect();
            let after = before.len() - org_revoked.len();
            prop_assert!(after >= usize::try_from(min.max(1)).unwrap_or(usize::MAX), "floor broken: {} left of {}", after, before.len());
            prop_assert!(after >= 1, "the org is never left without an admin");
        }
        if !validate_policy(&p).is_empty() {
            prop_assert!(revoked.is_empty(), "an invalid policy revokes nobody");
        }
    }

    #[test]
    fn every_holder_is_explained_once_and_every_finding_is_an_explained_drift_leftover_or_group(
        permanent in subset(),
        standing in subset(),
        org_holders in subset(),
        group_members in subset(),
        former in subset(),
        complete in any::<bool>(),
    ) {
        let mut p = policy(permanent.clone(), 1, false);
        p.targets[1].standing_holders = standing.clone();
        let snapshot = HolderSnapshot {
            complete,
            targets: vec![
                TargetHolders { target: "org-admin".into(), complete, externally_synced: false, access: None, holders: org_holders.clone(),
                    via_groups: vec![GroupHolders { group_id: "g-legacy".into(), group_name: None, account_ids: group_members.clone() }] },
                TargetHolders { target: "jira-admins".into(), complete: true, externally_synced: false, access: None, holders: org_holders.clone(), via_groups: vec![] },
            ],
        };
        let now = Timestamp::parse("2026-06-01T12:00:00Z").expect("time");
        let former: Vec<FormerPermanentAdmin> = former.into_iter()
            .map(|account_id| FormerPermanentAdmin { account_id, removed_at: Timestamp::parse("2026-05-31T12:00:00Z").expect("time") })
            .collect();
        let out = sweep(&SweepInput {
            policy: p.clone(), grants: vec![], snapshot: snapshot.clone(), now, audit_head: None,
            previous_fingerprint: None, previous_findings: vec![], requesters: vec![],
            former_permanent_admins: former.clone(),
        });
        // Every direct holder once, with a reason; permanent admins (and standing holders where
        // the target lists them) are explained as such, whatever else holds.
        for (target, listed) in [("org-admin", &org_holders), ("jira-admins", &org_holders)] {
            for account in listed {
                let direct: Vec<&Holder> = out.holders.iter()
                    .filter(|h| h.target == target && &h.account_id == account && !matches!(h.reason, HolderReason::ViaGroup { .. }))
                    .collect();
                prop_assert_eq!(direct.len(), 1, "{} on {} explained once", account, target);
                if permanent.contains(account) {
                    prop_assert_eq!(&direct[0].reason, &HolderReason::Permanent {});
                } else if target == "jira-admins" && standing.contains(account) {
                    prop_assert_eq!(&direct[0].reason, &HolderReason::Standing {});
                }
            }
        }
        // A finding is exactly a holder the core explained as drift, grace, a leftover or a group's.
        for f in &out.findings {
            let explained = out.holders.iter().any(|h| h.target == f.target && h.account_id == f.account_id && matches!(
                (&h.reason, f.kind),
                (HolderReason::Drift {} | HolderReason::Grace { .. }, FindingKind::Drift)
                    | (HolderReason::EndedStillHeld { .. }, FindingKind::EndedStillHeld)
                    | (HolderReason::ViaGroup { .. }, FindingKind::ViaGroup)
            ));
            prop_assert!(explained, "finding {:?} has its explanation", f);
        }
        let unexpected = out.holders.iter().filter(|h| !matches!(h.reason, HolderReason::Permanent {} | HolderReason::Standing {} | HolderReason::Grant { .. })).count();
        prop_assert_eq!(unexpected, out.findings.len());
        let explained = explain_holders(&HoldersInput { policy: p, grants: vec![], snapshot, now, former_permanent_admins: former });
        prop_assert_eq!(explained.holders, out.holders);
    }

    #[test]
    fn the_guard_never_allows_removing_the_last_org_admin_or_a_permanent_one(
        permanent in subset(),
        min in 0u32..4,
        holders in subset(),
        complete in any::<bool>(),
        who in 0..ACCOUNTS.len(),
    ) {
        let account = ACCOUNTS[who].to_owned();
        let out = guard_revocation(&GuardInput {
            policy: policy(permanent.clone(), min, true),
            action: Action::Revoke {
                key: "k".into(), grant_id: None, issue_key: None, target: "org-admin".into(),
                access: Access::OrgRole { role: ORG_ADMIN_ROLE.into() }, account_id: account.clone(),
                reason: RevokeReason::Expired, attempt: 1,
            },
            org_admins: Some(TargetHolders { target: "org-admin".into(), complete, externally_synced: false, access: None, holders: holders.clone(), via_groups: vec![] }),
            grants: vec![],
        });
        if out.allowed {
            // Even from an incomplete read, the admins it confirms are enough to keep the floor.
            prop_assert!(!permanent.contains(&account));
            let others = holders.iter().filter(|h| **h != account).count();
            prop_assert!(others >= 1 && others >= usize::try_from(min).unwrap_or(usize::MAX));
        }
    }
}
