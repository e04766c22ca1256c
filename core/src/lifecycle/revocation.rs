//! Revocation by a person: the requester marks the work done, or an approver or permanent admin
//! revokes, and the grant ends at once with its access revoked. (The window's end is
//! `schedule`'s; confirming the revoke and retrying it is `provisioning`'s.)

use serde_json::Value;

use crate::action::RevokeReason;
use crate::audit::details;
use crate::audit_event::AuditEvent;
use crate::comment::Comment;
use crate::eligibility::{may_revoke, Actor};
use crate::error::DecisionError;
use crate::grant::{AccessState, Ending, Outcome, Status};
use crate::lifecycle::request::end_without_access;
use crate::provisioning::issue::issue_revoke;
use crate::step::{lapse_extension, Step};

/// The requester says the work is done.
pub(crate) fn complete(step: &mut Step<'_>, actor: &Actor) -> Result<(), DecisionError> {
    let g = &step.grant;
    if actor.account_id != g.requester {
        return Err(DecisionError::NotRequester {
            requester: g.requester.clone(),
            step: "mark this grant done".into(),
        });
    }
    match (g.status, g.outcome) {
        (Status::Active, _) => {}
        (Status::Ended, Some(Outcome::Completed)) => return Ok(()),
        _ => return Err(DecisionError::state("complete", g.state_word())),
    }
    step.comment(
        Comment::new()
            .mention(&actor.account_id)
            .text(" marked the work done.")
            .finish(),
    );
    end_with_revoke(step, Outcome::Completed, None);
    step.record(AuditEvent::Complete, details([]));
    Ok(())
}

/// An approver or permanent admin ends the grant early.
pub(crate) fn revoke(
    step: &mut Step<'_>,
    actor: &Actor,
    reason: Option<&str>,
) -> Result<(), DecisionError> {
    let g = &step.grant;
    if !may_revoke(actor, step.policy.target(&g.target), step.policy) {
        return Err(DecisionError::NotApprover {
            account: actor.account_id.clone(),
            target: g.target.clone(),
        });
    }
    let said = |what: &str| {
        Comment::new()
            .mention(&actor.account_id)
            .text(what)
            .user_text("Reason", reason.unwrap_or_default())
            .finish()
    };
    match (g.status, g.outcome) {
        (Status::Active, _) => {
            step.comment(said(" revoked this grant."));
            end_with_revoke(step, Outcome::Revoked, reason);
        }
        (Status::Approved, _) => {
            end_without_access(step, Outcome::Revoked, reason);
            step.comment(said(" revoked the approval before activation."));
        }
        (Status::Ended, Some(Outcome::Revoked)) => return Ok(()),
        _ => return Err(DecisionError::state("revoke", g.state_word())),
    }
    step.record(
        AuditEvent::Revoke,
        details([("reason", reason.map_or(Value::Null, Value::from))]),
    );
    Ok(())
}

/// Ends an active grant and removes its access.
pub(crate) fn end_with_revoke(step: &mut Step<'_>, outcome: Outcome, reason: Option<&str>) {
    let now = step.now;
    let g = &mut step.grant;
    g.status = Status::Ended;
    g.outcome = Some(outcome);
    g.ending = Some(Ending {
        at: now,
        by: step.actor.to_owned(),
        reason: reason.map(str::to_owned),
    });
    step.changed = true;
    lapse_extension(step);
    let why = match outcome {
        Outcome::Completed => RevokeReason::Completed,
        Outcome::Expired => RevokeReason::Expired,
        Outcome::Failed => RevokeReason::Cleanup,
        Outcome::Ineligible => RevokeReason::Ineligible,
        _ => RevokeReason::Revoked,
    };
    match step.grant.provisioning.state {
        AccessState::Granting | AccessState::Granted => issue_revoke(step, why),
        AccessState::NotGranted
        | AccessState::Revoking
        | AccessState::Revoked
        | AccessState::Retained => {}
    }
}
