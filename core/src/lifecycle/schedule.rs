//! Time: deadlines, window start and end, and retries, applied when a `tick` arrives; and the
//! "wake me at T" action that makes sure a tick arrives on time.

use serde_json::Value;

use crate::action::Action;
use crate::audit::details;
use crate::audit_event::AuditEvent;
use crate::comment::Comment;
use crate::eligibility::{standing, Standing};
use crate::grant::{Grant, Outcome, Status};
use crate::lifecycle::activation;
use crate::lifecycle::notice;
use crate::lifecycle::policy_check::end_ineligible;
use crate::lifecycle::request::end_without_access;
use crate::lifecycle::revocation::end_with_revoke;
use crate::provisioning::issue::retry_due;
use crate::step::Step;
use crate::time::Timestamp;

/// The next instant at which this grant needs a tick, if any.
pub fn next_attention(grant: &Grant) -> Option<Timestamp> {
    let lifecycle = match (grant.status, grant.window) {
        (Status::Requested, _) => Some(earliest(
            grant.approval_deadline,
            notice::reminder_due(grant),
        )),
        (Status::Active, Some(w)) => Some(earliest(w.end, notice::warning_due(grant))),
        (Status::Approved, Some(w)) if grant.auto_activate => Some(w.start.min(w.end)),
        (Status::Approved, Some(w)) => Some(w.end),
        _ => None,
    };
    let retry = grant.provisioning.pending.as_ref().map(|p| p.retry_at);
    match (lifecycle, retry) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn earliest(at: Timestamp, notice: Option<Timestamp>) -> Timestamp {
    notice.map_or(at, |n| n.min(at))
}

/// Whether a tick at `now` would change this grant.
pub fn is_due(grant: &Grant, now: Timestamp) -> bool {
    next_attention(grant).is_some_and(|t| t <= now)
}

/// Applies everything that is due at `step.now`.
pub(crate) fn tick(step: &mut Step<'_>) {
    let now = step.now;
    match (step.grant.status, step.grant.window) {
        (Status::Requested, _) if now >= step.grant.approval_deadline => {
            end_without_access(step, Outcome::Unapproved, None);
            let body = Comment::new()
                .mention(&step.grant.requester)
                .text(format!(
                    " this request expired unapproved: it was not approved by {}. Raise a new request if you still need the access.",
                    step.grant.approval_deadline
                ))
                .finish();
            step.comment(body);
            step.record(
                AuditEvent::Expire,
                details([("reason", Value::from("approval deadline passed"))]),
            );
        }
        (Status::Approved, Some(w)) if now >= w.end => {
            end_without_access(step, Outcome::Expired, None);
            step.comment(
                Comment::new()
                    .text("The approved window passed without activation.")
                    .finish(),
            );
            step.record(
                AuditEvent::Expire,
                details([("reason", Value::from("window passed unused"))]),
            );
        }
        (Status::Approved, Some(w)) if step.grant.auto_activate && now >= w.start => {
            // Nobody clicks here, so the policy of today is checked on the requester's behalf.
            match standing(step.policy, &step.grant, step.requester) {
                Standing::Allowed => activation::start(step, false),
                Standing::Disallowed(reason) => end_ineligible(step, &reason),
                // Their groups are unknown: wait; the sweep ticks a due grant again.
                Standing::Unknown => {}
            }
        }
        (Status::Active, Some(w)) if now >= w.end => {
            step.comment(
                Comment::new()
                    .text("The window ended: removing access.")
                    .finish(),
            );
            end_with_revoke(step, Outcome::Expired, None);
            let lateness = w.end.seconds_until(now);
            step.record(
                AuditEvent::Expire,
                details([
                    ("windowEnd", Value::from(w.end.to_string())),
                    ("lateBySeconds", Value::from(lateness)),
                ]),
            );
        }
        (Status::Requested, _) => notice::remind(step),
        (Status::Active, Some(_)) => notice::warn(step),
        _ => {}
    }
    retry_due(step);
}

/// After a decision: if the grant's next attention time moved, ask to be woken then.
pub(crate) fn reschedule(step: &mut Step<'_>) {
    let next = next_attention(&step.grant);
    if next == step.grant.wake_at {
        return;
    }
    step.grant.wake_at = next;
    if let Some(at) = next {
        // The version too: a grant's wake time can come back to an earlier value (a reminder or
        // a result timeout in between), and a wake claimed under the same key would not run
        // again while the earlier chain was dropped as superseded.
        let key = format!("{}:wake:{}:v{}", step.grant.id, at.millis(), step.version);
        let grant_id = step.grant.id.clone();
        step.actions.push(Action::Wake { key, grant_id, at });
    }
}
