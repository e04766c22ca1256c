//! Activation: the requester elevates inside the approved window, and the grant action is issued.

use serde_json::Value;

use crate::action::{Action, Severity};
use crate::audit::details;
use crate::audit_event::AuditEvent;
use crate::comment::Comment;
use crate::eligibility::{may_break_glass, require_standing, Actor};
use crate::error::DecisionError;
use crate::grant::{Activation, Status};
use crate::provisioning::issue::issue_grant;
use crate::step::Step;
use crate::window::Window;

/// The requester elevates now; a break-glass account may do so before approval.
pub(crate) fn activate(step: &mut Step<'_>, actor: &Actor) -> Result<(), DecisionError> {
    let g = &step.grant;
    if actor.account_id != g.requester {
        return Err(DecisionError::NotRequester {
            requester: g.requester.clone(),
            step: "elevate with this grant".into(),
        });
    }
    match g.status {
        Status::Active => Ok(()),
        Status::Approved => {
            let window = g
                .window
                .ok_or_else(|| DecisionError::state("activate", "without a window"))?;
            if !window.contains(step.now) {
                return Err(DecisionError::OutsideWindow {
                    start: window.start.to_string(),
                    end: window.end.to_string(),
                    now: step.now.to_string(),
                });
            }
            // The approval was given under the policy of its day; the access is given under
            // today's: a requester removed since, a removed or changed target, or a service
            // account no longer owned is refused here even before the kill switch ends the grant.
            require_standing(step.policy, g, Some(actor))?;
            start(step, false);
            Ok(())
        }
        Status::Requested => {
            let spec = step.policy.target(&g.target);
            if !spec.is_some_and(|t| may_break_glass(actor, t)) {
                return Err(DecisionError::state("activate", g.state_word()));
            }
            require_standing(step.policy, g, Some(actor))?;
            let window =
                Window::at_approval(step.now, step.now, g.duration_minutes).ok_or_else(|| {
                    DecisionError::invalid("grant.durationMinutes", "window is out of range")
                })?;
            step.grant.window = Some(window);
            start(step, true);
            Ok(())
        }
        Status::Ended => Err(DecisionError::state("activate", g.state_word())),
    }
}

/// Marks the grant active and issues the grant action. `step.actor` is who activated
/// (`system` for automatic activation at the window start).
pub(crate) fn start(step: &mut Step<'_>, break_glass: bool) {
    let now = step.now;
    step.grant.status = Status::Active;
    step.grant.activation = Some(Activation {
        at: now,
        by: step.actor.to_owned(),
        break_glass,
    });
    issue_grant(step);
    let end = step
        .grant
        .window
        .map(|w| w.end.to_string())
        .unwrap_or_default();
    if break_glass {
        let key = step.key("alert");
        let message = format!(
            "Break-glass activation: {} activated {} without approval until {end}. Justification: {}",
            step.grant.requester,
            step.grant.target_label,
            crate::lifecycle::request::quote(&step.grant.justification)
        );
        let body = Comment::new()
            .text("\u{26a0} Break-glass activation: ")
            .mention(&step.grant.requester)
            .text(format!(
                " activated {} without approval until {end}.",
                step.grant.target_label
            ))
            .user_text("Justification", &step.grant.justification)
            .finish();
        step.act(Action::Alert {
            key,
            severity: Severity::Critical,
            code: "BREAK_GLASS".into(),
            message: message.clone(),
            grant_id: Some(step.grant.id.clone()),
            issue_key: Some(step.grant.issue_key.clone()),
        });
        step.comment(body);
    } else {
        let who = if step.actor == crate::step::SYSTEM {
            Comment::new().text("Automatic activation")
        } else {
            Comment::new().mention(step.actor).text(" elevated")
        };
        let body = who
            .text(format!(
                ": granting {} ({}) until {end}.",
                step.grant.target_label,
                step.grant.access.describe()
            ))
            .finish();
        step.comment(body);
    }
    step.record(
        AuditEvent::Activate,
        details([
            ("breakGlass", Value::from(break_glass)),
            ("windowEnd", Value::from(end)),
        ]),
    );
}
