//! Extensions: more time on the same grant, approved by someone who has not approved it before.

use serde_json::Value;

use crate::audit::details;
use crate::audit_event::AuditEvent;
use crate::comment::Comment;
use crate::eligibility::{require_standing, Actor};
use crate::error::DecisionError;
use crate::grant::{Approval, Extension, ExtensionStatus, Status};
use crate::lifecycle::approval::check_approver;
use crate::lifecycle::request::check_justification;
use crate::limits::MAX_EXTENSION_REQUESTS;
use crate::policy::validation;
use crate::step::Step;

/// The requester asks for `minutes` more.
pub(crate) fn request(
    step: &mut Step<'_>,
    actor: &Actor,
    minutes: i64,
    justification: &str,
) -> Result<(), DecisionError> {
    let g = &step.grant;
    if actor.account_id != g.requester {
        return Err(DecisionError::NotRequester {
            requester: g.requester.clone(),
            step: "ask for an extension".into(),
        });
    }
    let window = active_window(step, "ask for an extension of")?;
    if let Some(pending) = g.pending_extension() {
        let same =
            i64::from(pending.minutes) == minutes && pending.justification == justification.trim();
        return if same {
            Ok(())
        } else {
            Err(DecisionError::state(
                "ask for another extension of",
                "waiting on an extension",
            ))
        };
    }
    let spec = step
        .policy
        .target(&g.target)
        .ok_or_else(|| DecisionError::TargetRemoved {
            target: g.target.clone(),
        })?;
    // More time only while the current policy still allows the grant at all.
    require_standing(step.policy, g, Some(actor))?;
    validation::require_valid(step.policy)?;
    if minutes < 1 {
        return Err(DecisionError::invalid(
            "event.minutes",
            "must be at least 1 minute",
        ));
    }
    let minutes_u64 = u64::try_from(minutes).unwrap_or(u64::MAX);
    if minutes_u64 > u64::from(spec.max_duration_minutes) {
        return Err(DecisionError::DurationTooLong {
            what: "an extension".into(),
            requested: minutes_u64,
            max: u64::from(spec.max_duration_minutes),
        });
    }
    if g.approved_extensions() >= spec.max_extensions
        || g.extensions.len() >= MAX_EXTENSION_REQUESTS
    {
        return Err(DecisionError::TooManyExtensions {
            max: spec.max_extensions,
            target: spec.key.clone(),
        });
    }
    let total = u64::try_from(window.minutes())
        .unwrap_or(0)
        .saturating_add(minutes_u64);
    if total > spec.max_total() {
        return Err(DecisionError::DurationTooLong {
            what: "the total window".into(),
            requested: total,
            max: spec.max_total(),
        });
    }
    let justification = check_justification(spec, justification, "event.justification")?;
    let minutes = u32::try_from(minutes)
        .map_err(|_| DecisionError::invalid("event.minutes", "is too large"))?;
    let number = u32::try_from(g.extensions.len())
        .unwrap_or(u32::MAX)
        .saturating_add(1);
    let now = step.now;
    step.grant.extensions.push(Extension {
        number,
        requested_at: now,
        minutes,
        justification: justification.clone(),
        status: ExtensionStatus::Pending,
        approvals: Vec::new(),
        decided_at: None,
        rejected_by: None,
    });
    step.comment(
        Comment::new()
            .mention(&actor.account_id)
            .text(format!(
                " asks to extend by {minutes} minutes (extension {number}). It needs an approver who has not approved this grant before."
            ))
            .user_text("Justification", &justification)
            .finish(),
    );
    step.record(
        AuditEvent::RequestExtension,
        details([
            ("extension", Value::from(number)),
            ("minutes", Value::from(minutes)),
            ("justification", Value::from(justification)),
        ]),
    );
    Ok(())
}

/// An approver who approved neither the request nor an earlier extension approves the pending
/// extension; with enough approvals, the window end moves.
pub(crate) fn approve(step: &mut Step<'_>, actor: &Actor) -> Result<(), DecisionError> {
    check_approver(step, actor)?;
    let g = &step.grant;
    let me = actor.account_id.as_str();
    let Some(pending) = g.pending_extension() else {
        let repeat = g.extensions.last().is_some_and(|e| {
            e.status == ExtensionStatus::Approved && e.approvals.iter().any(|a| a.approver == me)
        });
        return if repeat {
            Ok(())
        } else {
            Err(DecisionError::state(
                "approve an extension of",
                "without a pending extension",
            ))
        };
    };
    if pending.approvals.iter().any(|a| a.approver == me) {
        return Ok(());
    }
    // The approvers of the request and of every earlier extension are excluded: the pending
    // extension's own approvals were checked just above.
    if g.all_approvers().any(|a| a == me) {
        return Err(DecisionError::SameApprover {
            account: me.to_owned(),
        });
    }
    let window = active_window(step, "approve an extension of")?;
    require_standing(step.policy, g, step.requester)?;
    validation::require_valid(step.policy)?;
    let now = step.now;
    let need = usize::try_from(step.grant.required_approvals).unwrap_or(usize::MAX);
    let Some(ext) = step.grant.extensions.last_mut() else {
        return Err(DecisionError::state(
            "approve an extension of",
            "without a pending extension",
        ));
    };
    ext.approvals.push(Approval {
        approver: me.to_owned(),
        at: now,
    });
    let (number, minutes, have) = (ext.number, ext.minutes, ext.approvals.len());
    if have < need {
        step.comment(
            Comment::new()
                .mention(me)
                .text(format!(" approved extension {number} ({have} of {need})."))
                .finish(),
        );
        step.record(
            AuditEvent::ApproveExtension,
            details([("extension", Value::from(number))]),
        );
        return Ok(());
    }
    let end = window
        .end
        .plus_minutes(minutes)
        .ok_or_else(|| DecisionError::invalid("event.minutes", "window is out of range"))?;
    ext.status = ExtensionStatus::Approved;
    ext.decided_at = Some(now);
    if let Some(w) = step.grant.window.as_mut() {
        w.end = end;
    }
    step.comment(
        Comment::new()
            .mention(me)
            .text(format!(
                " approved extension {number}: the window now ends at {end}."
            ))
            .finish(),
    );
    step.record(
        AuditEvent::ApproveExtension,
        details([
            ("extension", Value::from(number)),
            ("windowEnd", Value::from(end.to_string())),
        ]),
    );
    Ok(())
}

/// An approver rejects the pending extension.
pub(crate) fn reject(
    step: &mut Step<'_>,
    actor: &Actor,
    reason: Option<&str>,
) -> Result<(), DecisionError> {
    check_approver(step, actor)?;
    let g = &step.grant;
    let me = actor.account_id.as_str();
    if g.pending_extension().is_none() {
        let repeat = g.extensions.last().is_some_and(|e| {
            e.status == ExtensionStatus::Rejected && e.rejected_by.as_deref() == Some(me)
        });
        return if repeat {
            Ok(())
        } else {
            Err(DecisionError::state(
                "reject an extension of",
                "without a pending extension",
            ))
        };
    }
    let now = step.now;
    let Some(ext) = step.grant.extensions.last_mut() else {
        return Err(DecisionError::state(
            "reject an extension of",
            "without a pending extension",
        ));
    };
    ext.status = ExtensionStatus::Rejected;
    ext.decided_at = Some(now);
    ext.rejected_by = Some(me.to_owned());
    let number = ext.number;
    step.comment(
        Comment::new()
            .mention(me)
            .text(format!(" rejected extension {number}."))
            .user_text("Reason", reason.unwrap_or_default())
            .finish(),
    );
    step.record(
        AuditEvent::RejectExtension,
        details([
            ("extension", Value::from(number)),
            ("reason", reason.map_or(Value::Null, Value::from)),
        ]),
    );
    Ok(())
}

/// The window of an active grant whose window has not ended.
fn active_window(step: &Step<'_>, what: &str) -> Result<crate::window::Window, DecisionError> {
    let g = &step.grant;
    match (g.status, g.window) {
        (Status::Active, Some(w)) if step.now < w.end => Ok(w),
        (Status::Active, Some(_)) => Err(DecisionError::state(what, "past its window end")),
        _ => Err(DecisionError::state(what, g.state_word())),
    }
}
