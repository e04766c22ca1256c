//! Who the actor is and what the policy lets them do: request, approve, revoke.

use serde::{Deserialize, Serialize};

use crate::policy::{AccountId, Policy, Principals, Target};

/// The person behind an event, as the platform identified them.
///
/// The account id comes from the Forge context or the transition's `atlassianId`, never from a
/// request payload; the group ids are looked up by the wrapper, never by the core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Actor {
    /// The actor's account id.
    pub account_id: AccountId,
    /// The ids of the groups the actor belongs to.
    #[serde(default)]
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
