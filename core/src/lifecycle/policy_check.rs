//! The policy check (the kill switch, `policyCheck`): an open grant that the current policy no
//! longer allows ends now, with or without a revoke.

use serde_json::Value;

use crate::audit::details;
use crate::audit_event::AuditEvent;
use crate::comment::Comment;
use crate::eligibility::{standing, Standing};
use crate::error::DecisionError;
use crate::grant::{Outcome, Status};
use crate::lifecycle::request::end_without_access;
use crate::lifecycle::revocation::end_with_revoke;
use crate::policy::validation;
use crate::step::Step;

/// The kill switch (`policyCheck`): an open grant that the current policy no longer allows ends
/// now. A no-op for a grant it allows, for one whose requester's groups are unknown and decide
/// it, for an ended grant, and under an invalid policy (which ends nothing until it is fixed).
pub(crate) fn apply_policy(step: &mut Step<'_>) {
    if step.grant.status == Status::Ended || !validation::validate(step.policy).is_empty() {
        return;
    }
    if let Standing::Disallowed(reason) = standing(step.policy, &step.grant, step.requester) {
        end_ineligible(step, &reason);
    }
}

/// Ends a grant the current policy no longer allows: one that never started ends without
/// access, an active one is revoked (from its own copy of the access, whatever the policy says
/// now). Commented on the issue and recorded as `endedByPolicy` with the reason.
pub(crate) fn end_ineligible(step: &mut Step<'_>, reason: &DecisionError) {
    let why = reason.to_string();
    let active = step.grant.status == Status::Active;
    let body = Comment::new()
        .text("The current policy no longer allows this grant of ")
        .mention(&step.grant.requester)
        .text(format!(
            ": {why} ({}). {}",
            reason.code(),
            if active {
                "It ends now and the access is being removed."
            } else {
                "It ends now, without access."
            }
        ))
        .finish();
    step.comment(body);
    if active {
        end_with_revoke(step, Outcome::Ineligible, Some(&why));
    } else {
        end_without_access(step, Outcome::Ineligible, Some(&why));
    }
    step.record(
        AuditEvent::EndedByPolicy,
        details([
            ("code", Value::from(reason.code())),
            ("reason", Value::from(why)),
            ("hadAccess", Value::from(active)),
        ]),
    );
}
