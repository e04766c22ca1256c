//! Approval: an allowed approver, never the requester, approves or rejects a request.

use serde_json::Value;

use crate::audit::details;
use crate::audit_event::AuditEvent;
use crate::comment::Comment;
use crate::eligibility::{may_approve, require_standing, Actor};
use crate::error::DecisionError;
use crate::grant::{Approval, Outcome, Status};
use crate::lifecycle::activation;
use crate::lifecycle::request::end_without_access;
use crate::policy::validation;
use crate::policy::Target;
use crate::step::Step;
use crate::window::Window;

/// Checks that `actor` may decide on this grant's request or extension: an approver of the
/// target who is neither the requester nor the elevated account.
pub(crate) fn check_approver<'p>(
    step: &Step<'p>,
    actor: &Actor,
) -> Result<&'p Target, DecisionError> {
    let g = &step.grant;
    if actor.account_id == g.requester || actor.account_id == g.subject {
        return Err(DecisionError::SelfApproval {
            account: actor.account_id.clone(),
        });
    }
    let spec = step
        .policy
        .target(&g.target)
        .ok_or_else(|| DecisionError::TargetRemoved {
            target: g.target.clone(),
        })?;
    if !may_approve(actor, spec) {
        return Err(DecisionError::NotApprover {
            account: actor.account_id.clone(),
            target: g.target.clone(),
        });
    }
    Ok(spec)
}

/// Approves the request; with enough approvals, fixes the window.
pub(crate) fn approve(step: &mut Step<'_>, actor: &Actor) -> Result<(), DecisionError> {
    check_approver(step, actor)?;
    let g = &step.grant;
    let already = g.approvals.iter().any(|a| a.approver == actor.account_id);
    if g.status != Status::Requested {
        return if already {
            Ok(())
        } else {
            Err(DecisionError::state("approve", g.state_word()))
        };
    }
    if already {
        return Ok(());
    }
    if step.now >= g.approval_deadline {
        return Err(DecisionError::state(
            "approve",
            "past its approval deadline",
        ));
    }
    // Approving lets the requester elevate (at once, with automatic activation): only while the
    // current policy still allows the request.
    require_standing(step.policy, g, step.requester)?;
    validation::require_valid(step.policy)?;
    let now = step.now;
    step.grant.approvals.push(Approval {
        approver: actor.account_id.clone(),
        at: now,
    });
    let have = step.grant.approvals.len();
    let need = usize::try_from(step.grant.required_approvals).unwrap_or(usize::MAX);
    if have < need {
        step.comment(
            Comment::new()
                .mention(&actor.account_id)
                .text(format!(" approved ({have} of {need} approvals)."))
                .finish(),
        );
        step.record(
            AuditEvent::Approve,
            details([("approvals", Value::from(have))]),
        );
        return Ok(());
    }
    let window = Window::at_approval(step.grant.requested_start, now, step.grant.duration_minutes)
        .ok_or_else(|| DecisionError::invalid("grant.durationMinutes", "window is out of range"))?;
    step.grant.status = Status::Approved;
    step.grant.window = Some(window);
    step.comment(
        Comment::new()
            .mention(&actor.account_id)
            .text(" approved. ")
            .mention(&step.grant.requester)
            .text(format!(
                " can elevate from {} until {}.",
                window.start, window.end
            ))
            .finish(),
    );
    step.record(
        AuditEvent::Approve,
        details([
            ("approvals", Value::from(have)),
            ("windowStart", Value::from(window.start.to_string())),
            ("windowEnd", Value::from(window.end.to_string())),
        ]),
    );
    if step.grant.auto_activate && window.start <= now {
        activation::start(step, false);
    }
    Ok(())
}

/// Rejects the request (before activation).
pub(crate) fn reject(
    step: &mut Step<'_>,
    actor: &Actor,
    reason: Option<&str>,
) -> Result<(), DecisionError> {
    check_approver(step, actor)?;
    let g = &step.grant;
    match (g.status, g.outcome) {
        (Status::Requested | Status::Approved, _) => {}
        (Status::Ended, Some(Outcome::Rejected))
            if g.ending.as_ref().is_some_and(|e| e.by == actor.account_id) =>
        {
            return Ok(())
        }
        _ => return Err(DecisionError::state("reject", g.state_word())),
    }
    end_without_access(step, Outcome::Rejected, reason);
    step.comment(
        Comment::new()
            .mention(&actor.account_id)
            .text(" rejected this request.")
            .user_text("Reason", reason.unwrap_or_default())
            .finish(),
    );
    step.record(
        AuditEvent::Reject,
        details([("reason", reason.map_or(Value::Null, Value::from))]),
    );
    Ok(())
}
