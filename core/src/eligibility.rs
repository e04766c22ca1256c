//! Who the actor is and what the policy lets them do: request, approve, revoke.

use serde::{Deserialize, Serialize};

use crate::error::DecisionError;
use crate::grant::Grant;
use crate::policy::{AccountId, Policy, Principals, Target};

/// The person behind an event, as the platform identified them.
///
/// The account id comes from the Forge context or the transition's `atlassianId`, never from a
/// request payload; the group ids are looked up by the wrapper, never by the core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Actor {
    /// The actor's account id.
    pub account_id: AccountId,
    /// The ids of the groups the actor belongs to.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub group_ids: Vec<String>,
}

impl Actor {
    /// An actor with no groups.
    pub fn new(account_id: impl Into<String>) -> Self {
        Self {
            account_id: account_id.into(),
            group_ids: Vec::new(),
        }
    }

    /// Whether the actor is one of `principals`.
    pub fn is_in(&self, principals: &Principals) -> bool {
        principals.account_ids.contains(&self.account_id)
            || principals
                .group_ids
                .iter()
                .any(|g| self.group_ids.contains(g))
    }
}

/// Whether the actor may request this target.
pub fn may_request(actor: &Actor, target: &Target) -> bool {
    actor.is_in(&target.requesters) || may_break_glass(actor, target)
}

/// Whether the actor may approve requests for this target (self-approval is checked apart).
pub fn may_approve(actor: &Actor, target: &Target) -> bool {
    actor.is_in(&target.approvers)
}

/// Whether the actor may end someone's grant early: an approver of the target or a permanent admin.
pub fn may_revoke(actor: &Actor, target: Option<&Target>, policy: &Policy) -> bool {
    policy.is_permanent(&actor.account_id) || target.is_some_and(|t| may_approve(actor, t))
}

/// Whether the actor may activate this target without approval.
pub fn may_break_glass(actor: &Actor, target: &Target) -> bool {
    target.break_glass.contains(&actor.account_id)
}

/// Whether the current policy still allows a grant, judged for its requester.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Standing {
    /// It does.
    Allowed,
    /// It does not; the error says why.
    Disallowed(DecisionError),
    /// It may: the requester is eligible only through groups, and their groups are not known.
    Unknown,
}

/// Whether the current policy still allows `grant`: its target exists and grants the same
/// access, the requester owns the elevated service account, and the requester may request the
/// target (as a requester or a break-glass account). `requester` is the requester as the
/// platform knows them now, with their groups; `None` when that could not be looked up.
pub(crate) fn standing(policy: &Policy, grant: &Grant, requester: Option<&Actor>) -> Standing {
    let Some(target) = policy.target(&grant.target) else {
        return Standing::Disallowed(DecisionError::TargetRemoved {
            target: grant.target.clone(),
        });
    };
    if !target.access.same_as(&grant.access) {
        return Standing::Disallowed(DecisionError::TargetChanged {
            target: grant.target.clone(),
        });
    }
    if grant.subject != grant.requester
        && !policy
            .service_account(&grant.subject)
            .is_some_and(|s| s.owners.contains(&grant.requester))
    {
        return Standing::Disallowed(DecisionError::NotOwner {
            account: grant.requester.clone(),
            subject: grant.subject.clone(),
        });
    }
    let not_eligible = || {
        Standing::Disallowed(DecisionError::NotEligible {
            account: grant.requester.clone(),
            target: target.key.clone(),
        })
    };
    match requester.filter(|r| r.account_id == grant.requester) {
        Some(r) if may_request(r, target) => Standing::Allowed,
        Some(_) => not_eligible(),
        None if may_request(&Actor::new(grant.requester.clone()), target) => Standing::Allowed,
        None if target.requesters.group_ids.is_empty() => not_eligible(),
        None => Standing::Unknown,
    }
}

/// [`standing`] as a check: a disallowed grant is refused with its reason, an unknown one with
/// `ELIGIBILITY_UNKNOWN`.
pub(crate) fn require_standing(
    policy: &Policy,
    grant: &Grant,
    requester: Option<&Actor>,
) -> Result<(), DecisionError> {
    match standing(policy, grant, requester) {
        Standing::Allowed => Ok(()),
        Standing::Disallowed(e) => Err(e),
        Standing::Unknown => Err(DecisionError::EligibilityUnknown {
            account: grant.requester.clone(),
            target: grant.target.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_by_group_counts_like_membership_by_account() {
        let p = Principals {
            account_ids: vec!["bob".into()],
            group_ids: vec!["g-approvers".into()],
        };
        assert!(Actor::new("bob").is_in(&p));
        let carol = Actor {
            account_id: "carol".into(),
            group_ids: vec!["g-approvers".into()],
        };
        assert!(carol.is_in(&p));
        assert!(!Actor::new("mallory").is_in(&p));
    }
}
