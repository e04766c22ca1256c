//! Notices: who is told what, and when, through Jira's own notifications (a comment that
//! mentions someone notifies them). The approvers when a request arrives, a reminder before the
//! approval deadline, and the requester's warning before the window ends.
//!
//! Each notice is at most one comment with its audit record, sent once: the grant remembers the
//! reminder it sent and the window end it warned about, so a repeated tick sends nothing new.

use serde_json::Value;

use crate::audit::details;
use crate::audit_event::AuditEvent;
use crate::comment::Comment;
use crate::grant::{Grant, Notices, Status};
use crate::policy::{AccountId, Policy, Target};
use crate::step::Step;
use crate::time::Timestamp;

/// The notices of a grant submitted at `now` under `spec`, with its approval deadline: a
/// reminder that would fall at or before the submission is not planned.
pub(crate) fn plan(spec: &Target, now: Timestamp, deadline: Timestamp) -> Notices {
    let before = i64::from(spec.approval_reminder_before_minutes);
    let approval_reminder_at = (before > 0)
        .then(|| deadline.plus_seconds(-before.saturating_mul(60)))
        .flatten()
        .filter(|at| *at > now);
    Notices {
        approval_reminder_at,
        approval_reminded_at: None,
        window_end_warning_minutes: spec.window_end_warning_minutes,
        warned_window_end: None,
    }
}

/// When the approval reminder is due, while it is still to be sent.
pub fn reminder_due(grant: &Grant) -> Option<Timestamp> {
    let n = &grant.notices;
    match (grant.status, n.approval_reminder_at, n.approval_reminded_at) {
        (Status::Requested, Some(at), None) if at < grant.approval_deadline => Some(at),
        _ => None,
    }
}

/// When the end-of-window warning is due for the current window end, while it is still to be
/// sent. A window shorter than the warning gets none: it would arrive with the access.
pub fn warning_due(grant: &Grant) -> Option<Timestamp> {
    let minutes = grant.notices.window_end_warning_minutes;
    let (Status::Active, Some(w), Some(activation)) =
        (grant.status, grant.window, grant.activation.as_ref())
    else {
        return None;
    };
    if minutes == 0 || grant.notices.warned_window_end == Some(w.end) {
        return None;
    }
    let at = w.end.plus_seconds(-i64::from(minutes).saturating_mul(60))?;
    (at > activation.at && at < w.end).then_some(at)
}

/// The approvers to mention about `grant`, at most the target's `maxApproversNotified`, in the
/// policy's order: named approvers of today's policy who could approve now (never the requester
/// or the subject, nobody who already approved). Also how many more could, and how many
/// approver groups there are (their members are not known to the core, so never mentioned).
pub(crate) fn approvers_to_notify(policy: &Policy, grant: &Grant) -> Recipients {
    let Some(spec) = policy.target(&grant.target) else {
        return Recipients::default();
    };
    let mut eligible: Vec<&AccountId> = Vec::new();
    for a in &spec.approvers.account_ids {
        let excluded = *a == grant.requester
            || *a == grant.subject
            || grant.approvals.iter().any(|x| x.approver == *a)
            || eligible.contains(&a);
        if !excluded {
            eligible.push(a);
        }
    }
    let limit = usize::try_from(spec.max_approvers_notified).unwrap_or(usize::MAX);
    let more = eligible.len().saturating_sub(limit);
    eligible.truncate(limit);
    Recipients {
        accounts: eligible.into_iter().cloned().collect(),
        more,
        groups: spec.approvers.group_ids.len(),
    }
}

/// Whom a notice to the approvers mentions.
#[derive(Debug, Default)]
pub(crate) struct Recipients {
    pub accounts: Vec<AccountId>,
    /// Eligible named approvers left out by `maxApproversNotified`.
    pub more: usize,
    /// Approver groups (members not mentioned).
    pub groups: usize,
}

impl Recipients {
    /// Appends "who is asked" to a comment: the mentions, then the approvers not mentioned.
    pub fn mention(&self, mut body: Comment) -> Comment {
        for (i, a) in self.accounts.iter().enumerate() {
            if i > 0 {
                body = body.text(", ");
            }
            body = body.mention(a);
        }
        let mut rest = Vec::new();
        if self.more > 0 {
            rest.push(format!(
                "{} more approver{}",
                self.more,
                if self.more == 1 { "" } else { "s" }
            ));
        }
        if self.groups > 0 {
            rest.push(format!(
                "the members of {} approver group{}",
                self.groups,
                if self.groups == 1 { "" } else { "s" }
            ));
        }
        if self.accounts.is_empty() && rest.is_empty() {
            rest.push("the approvers".to_owned());
        }
        if !rest.is_empty() {
            let lead = if self.accounts.is_empty() {
                ""
            } else {
                " and "
            };
            body = body.text(format!("{lead}{}", rest.join(" and ")));
        }
        body
    }

    /// The mentioned accounts, for the audit record.
    pub fn audit(&self) -> Value {
        Value::from(self.accounts.clone())
    }
}

/// The paragraph of the submission comment that asks the approvers.
pub(crate) fn announce(step: &Step<'_>, body: Comment) -> (Comment, Value) {
    let who = approvers_to_notify(step.policy, &step.grant);
    let body = who
        .mention(body.paragraph().text("Approval needed from "))
        .text(format!(
            " by {}; the request expires unapproved after that.",
            step.grant.approval_deadline
        ));
    (body, who.audit())
}

/// Reminds the approvers who have not approved, once, if it is due.
pub(crate) fn remind(step: &mut Step<'_>) {
    if reminder_due(&step.grant).is_none_or(|at| at > step.now) {
        return;
    }
    step.grant.notices.approval_reminded_at = Some(step.now);
    let g = &step.grant;
    let who = approvers_to_notify(step.policy, g);
    let got = g.approvals.len();
    let body = who
        .mention(Comment::new().text("Reminder: "))
        .text(format!(
            " — this request needs approval by {} ({got} of {} approvals so far) or it expires unapproved.",
            g.approval_deadline, g.required_approvals
        ))
        .finish();
    let deadline = g.approval_deadline.to_string();
    step.comment(body);
    step.record(
        AuditEvent::ApprovalReminder,
        details([
            ("notified", who.audit()),
            ("approvalDeadline", Value::from(deadline)),
        ]),
    );
}

/// Warns the requester, once per window end, that the access ends soon and how to keep it.
pub(crate) fn warn(step: &mut Step<'_>) {
    if warning_due(&step.grant).is_none_or(|at| at > step.now) {
        return;
    }
    let Some(end) = step.grant.window.map(|w| w.end) else {
        return;
    };
    step.grant.notices.warned_window_end = Some(end);
    let g = &step.grant;
    // Whole minutes, rounded up: a tick a few seconds late still says "in 10 minutes".
    let minutes = step
        .now
        .seconds_until(end)
        .saturating_add(59)
        .div_euclid(60)
        .max(1);
    let left = step.policy.target(&g.target).map_or(0, |t| {
        t.max_extensions.saturating_sub(g.approved_extensions())
    });
    let how = if g.pending_extension().is_some() {
        "Your request for more time is waiting for approval.".to_owned()
    } else if left > 0 {
        format!(
            "To keep it, use “Ask for more time” on this request ({left} extension{} left).",
            if left == 1 { "" } else { "s" }
        )
    } else {
        "No more extensions are allowed: raise a new request if you still need it.".to_owned()
    };
    let body = Comment::new()
        .mention(&g.requester)
        .text(format!(
            " your {} ends at {end} (in {minutes} minute{}). {how}",
            g.target_label,
            if minutes == 1 { "" } else { "s" }
        ))
        .finish();
    step.comment(body);
    step.record(
        AuditEvent::WindowEndWarning,
        details([
            ("windowEnd", Value::from(end.to_string())),
            ("extensionsLeft", Value::from(left)),
        ]),
    );
}
