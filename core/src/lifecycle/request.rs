//! The request: who asks for what, when, for how long and why — and its withdrawal.

use serde_json::Value;

use crate::audit::details;
use crate::audit_event::AuditEvent;
use crate::comment::Comment;
use crate::eligibility::{may_request, Actor};
use crate::error::DecisionError;
use crate::event::Event;
use crate::grant::Ending;
use crate::grant::{Grant, Outcome, Provisioning, Status, GRANT_SCHEMA};
use crate::input::DecideInput;
use crate::lifecycle::notice;
use crate::limits;
use crate::policy::validation;
use crate::policy::{Policy, Target};
use crate::step::Step;
use crate::time::Timestamp;

/// How far in the past a requested start may be (clock skew between browser and server); such a
/// start is moved to now.
const START_TOLERANCE_SECONDS: i64 = 5 * 60;

/// Creates a grant from a `submit` event.
pub(crate) fn submit(input: &DecideInput) -> Result<Step<'_>, DecisionError> {
    let Event::Submit {
        grant_id,
        issue_key,
        target,
        subject,
        start,
        duration_minutes,
        justification,
    } = &input.event
    else {
        return Err(DecisionError::invalid("event.type", "expected `submit`"));
    };
    let actor = input
        .actor
        .as_ref()
        .ok_or_else(|| DecisionError::invalid("actor", "this event needs the acting account"))?;
    let policy = &input.policy;
    let now = input.now;
    let spec = policy
        .target(target)
        .ok_or_else(|| DecisionError::UnknownTarget {
            target: target.clone(),
        })?;
    validation::require_valid(policy)?;

    let subject = check_subject(policy, actor, subject.as_deref())?;
    if !may_request(actor, spec) {
        return Err(DecisionError::NotEligible {
            account: actor.account_id.clone(),
            target: spec.key.clone(),
        });
    }
    if policy.is_permanent(&subject) {
        return Err(DecisionError::PermanentAdmin { account: subject });
    }
    let minutes = check_duration(spec, *duration_minutes)?;
    let start = check_start(spec, start.as_deref(), now)?;
    let justification = check_justification(spec, justification, "event.justification")?;
    if let Some(existing) = input
        .context
        .open_grants
        .iter()
        .find(|g| g.subject == subject && g.target == spec.key)
    {
        return Err(DecisionError::DuplicateRequest {
            subject,
            target: spec.key.clone(),
            existing: existing.id.clone(),
        });
    }
    let approval_deadline = start
        .plus_minutes(spec.approval_deadline_minutes)
        .ok_or_else(|| DecisionError::invalid("event.start", "is too far in the future"))?;

    let grant = Grant {
        schema: GRANT_SCHEMA,
        id: grant_id.clone(),
        issue_key: issue_key.clone(),
        version: 0,
        target: spec.key.clone(),
        target_label: spec.label.clone(),
        access: spec.access.clone(),
        requester: actor.account_id.clone(),
        subject: subject.clone(),
        justification: justification.clone(),
        requested_at: now,
        requested_start: start,
        duration_minutes: minutes,
        approval_deadline,
        required_approvals: spec.required_approvals.max(1),
        auto_activate: spec.auto_activate,
        status: Status::Requested,
        outcome: None,
        approvals: Vec::new(),
        window: None,
        activation: None,
        extensions: Vec::new(),
        ending: None,
        provisioning: Provisioning::none(),
        wake_at: None,
        notices: notice::plan(spec, now, approval_deadline),
    };
    let mut step = Step::new(input, grant, &actor.account_id);
    let mut body = Comment::new().mention(&actor.account_id).text(format!(
        " requested {} ({})",
        spec.label,
        spec.access.describe()
    ));
    if subject != actor.account_id {
        body = body.text(" for service account ").mention(&subject);
    }
    let when = if start == now {
        "now".to_owned()
    } else {
        format!("from {start}")
    };
    let (body, notified) = notice::announce(
        &step,
        body.text(format!(" {when} for {minutes} minutes."))
            .user_text("Justification", &justification),
    );
    step.comment(body.finish());
    step.record(
        AuditEvent::SubmitRequest,
        details([
            ("subject", Value::from(subject)),
            ("requestedStart", Value::from(start.to_string())),
            ("durationMinutes", Value::from(minutes)),
            ("justification", Value::from(justification)),
            (
                "approvalDeadline",
                Value::from(approval_deadline.to_string()),
            ),
            ("notified", notified),
        ]),
    );
    Ok(step)
}

/// The requester withdraws the request before activation.
pub(crate) fn cancel(step: &mut Step<'_>, actor: &Actor) -> Result<(), DecisionError> {
    let g = &step.grant;
    if actor.account_id != g.requester {
        return Err(DecisionError::NotRequester {
            requester: g.requester.clone(),
            step: "cancel this request".into(),
        });
    }
    match (g.status, g.outcome) {
        (Status::Requested | Status::Approved, _) => {}
        (Status::Ended, Some(Outcome::Cancelled)) => return Ok(()),
        _ => return Err(DecisionError::state("cancel", g.state_word())),
    }
    end_without_access(step, Outcome::Cancelled, None);
    step.comment(
        Comment::new()
            .mention(&actor.account_id)
            .text(" cancelled this request.")
            .finish(),
    );
    step.record(AuditEvent::Cancel, details([]));
    Ok(())
}

/// Ends a grant whose access was never activated.
pub(crate) fn end_without_access(step: &mut Step<'_>, outcome: Outcome, reason: Option<&str>) {
    let g = &mut step.grant;
    g.status = Status::Ended;
    g.outcome = Some(outcome);
    g.ending = Some(Ending {
        at: step.now,
        by: step.actor.to_owned(),
        reason: reason.map(str::to_owned),
    });
    step.changed = true;
}

/// Whom the request elevates: the actor, or a service account the actor owns.
fn check_subject(
    policy: &Policy,
    actor: &Actor,
    subject: Option<&str>,
) -> Result<String, DecisionError> {
    match subject {
        None => Ok(actor.account_id.clone()),
        Some(s) if s == actor.account_id => Ok(actor.account_id.clone()),
        Some(s) => match policy.service_account(s) {
            Some(sa) if sa.owners.contains(&actor.account_id) => Ok(s.to_owned()),
            _ => Err(DecisionError::NotOwner {
                account: actor.account_id.clone(),
                subject: s.to_owned(),
            }),
        },
    }
}

/// Checks a requested duration against the target; absent means the default.
pub(crate) fn check_duration(spec: &Target, minutes: Option<i64>) -> Result<u32, DecisionError> {
    let Some(minutes) = minutes else {
        return Ok(spec.default_duration_minutes);
    };
    if minutes < 1 {
        return Err(DecisionError::invalid(
            "event.durationMinutes",
            "must be at least 1 minute",
        ));
    }
    if minutes > i64::from(spec.max_duration_minutes) {
        return Err(DecisionError::DurationTooLong {
            what: "a duration".into(),
            requested: u64::try_from(minutes).unwrap_or(u64::MAX),
            max: u64::from(spec.max_duration_minutes),
        });
    }
    u32::try_from(minutes)
        .map_err(|_| DecisionError::invalid("event.durationMinutes", "is too large"))
}

fn check_start(
    spec: &Target,
    start: Option<&str>,
    now: Timestamp,
) -> Result<Timestamp, DecisionError> {
    let start = match start.map(str::trim) {
        None | Some("") | Some("now") => return Ok(now),
        Some(text) => {
            Timestamp::parse(text).map_err(|m| DecisionError::invalid("event.start", m))?
        }
    };
    let ahead = now.seconds_until(start);
    if ahead < -START_TOLERANCE_SECONDS {
        return Err(DecisionError::invalid(
            "event.start",
            format!("`{start}` is in the past"),
        ));
    }
    let max_seconds = i64::from(spec.max_start_ahead_minutes).saturating_mul(60);
    if ahead > max_seconds {
        return Err(DecisionError::StartTooFar {
            requested: now.minutes_until(start),
            max: spec.max_start_ahead_minutes,
            target: spec.key.clone(),
        });
    }
    Ok(start.max(now))
}

/// Checks a justification against the target's rule; returns it trimmed.
pub(crate) fn check_justification(
    spec: &Target,
    text: &str,
    path: &str,
) -> Result<String, DecisionError> {
    limits::check_text(path, text)?;
    let visible = visible_text(text);
    let min = spec.justification.min_length;
    let long_enough = u32::try_from(visible.chars().count()).unwrap_or(u32::MAX) >= min;
    if spec.justification.required && (visible.is_empty() || !long_enough) {
        return Err(DecisionError::JustificationRequired {
            min_length: min.max(1),
        });
    }
    Ok(visible)
}

/// The text as a reader sees it: without control and invisible formatting characters (zero-width
/// spaces, direction overrides, soft hyphens), with runs of white space as one space, trimmed.
/// Minimum lengths are counted on this, and it is what is stored and quoted in comments, so
/// twenty NULs or a right-to-left override can neither pass for a reason nor disguise one.
pub(crate) fn visible_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else if !c.is_control() && !is_invisible_format(c) {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Unicode format (Cf) characters that render as nothing or reorder text.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Quotes user text on one line, for alert messages (comments carry it as a separate block).
pub(crate) fn quote(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("\u{201c}{}\u{201d}", one_line.trim())
}
