//! Bounds on every string and list the core accepts, so hostile input gets a clear error and
//! stored records stay within the platform's size limits.

use crate::decision::DecideInput;
use crate::error::DecisionError;
use crate::event::Event;

/// Longest justification or reason, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Longest account id, grant id, issue key or target key.
pub const MAX_ID_CHARS: usize = 128;
/// Most extension requests (approved, rejected or lapsed) one grant may collect.
pub const MAX_EXTENSION_REQUESTS: usize = 20;
/// Longest duration any target may allow: 30 days.
pub const MAX_POLICY_MINUTES: u32 = 30 * 24 * 60;

/// Checks an id: 1 to [`MAX_ID_CHARS`] characters, none of them control characters.
pub fn check_id(path: &str, value: &str) -> Result<(), DecisionError> {
    match id_problem(value) {
        None => Ok(()),
        Some(message) => Err(DecisionError::invalid(path, message)),
    }
}

/// What is wrong with an id, if anything (allocates only for a problem).
pub fn id_problem(value: &str) -> Option<String> {
    let n = value.chars().count();
    if n == 0 {
        return Some("must not be empty".into());
    }
    if n > MAX_ID_CHARS {
        return Some(format!("must be at most {MAX_ID_CHARS} characters"));
    }
    if value.chars().any(char::is_control) || value.trim() != value {
        return Some("must not contain control characters or surrounding spaces".into());
    }
    None
}

/// Checks a storage-safe id (used in keys): letters, digits and `:._-` only.
pub fn check_key_safe_id(path: &str, value: &str) -> Result<(), DecisionError> {
    check_id(path, value)?;
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-'))
    {
        return Err(DecisionError::invalid(
            path,
            "may only contain letters, digits and `:._-`",
        ));
    }
    Ok(())
}

/// Checks free text: at most [`MAX_TEXT_CHARS`] characters.
pub fn check_text(path: &str, value: &str) -> Result<(), DecisionError> {
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(DecisionError::invalid(
            path,
            format!("must be at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Checks the parts of a `decide` input that typed deserialization cannot.
pub fn check_decide_input(input: &DecideInput) -> Result<(), DecisionError> {
    if let Some(actor) = &input.actor {
        check_id("actor.accountId", &actor.account_id)?;
        if actor.group_ids.len() > 1000 {
            return Err(DecisionError::invalid(
                "actor.groupIds",
                "must list at most 1000 groups",
            ));
        }
    }
    match &input.event {
        Event::Submit {
            grant_id,
            issue_key,
            target,
            subject,
            justification,
            start,
            ..
        } => {
            check_key_safe_id("event.grantId", grant_id)?;
            check_id("event.issueKey", issue_key)?;
            check_id("event.target", target)?;
            if let Some(subject) = subject {
                check_id("event.subject", subject)?;
            }
            if let Some(start) = start {
                if start.chars().count() > 64 {
                    return Err(DecisionError::invalid("event.start", "is not a date-time"));
                }
            }
            check_text("event.justification", justification)?;
        }
        Event::Reject { reason: Some(r) }
        | Event::Revoke { reason: Some(r) }
        | Event::RejectExtension { reason: Some(r) } => check_text("event.reason", r)?,
        Event::RequestExtension { justification, .. } => {
            check_text("event.justification", justification)?;
        }
        _ => {}
    }
    if let Some(requester) = &input.context.requester {
        check_id("context.requester.accountId", &requester.account_id)?;
        if requester.group_ids.len() > 1000 {
            return Err(DecisionError::invalid(
                "context.requester.groupIds",
                "must list at most 1000 groups",
            ));
        }
    }
    if input.context.refusals.len() > 100 {
        return Err(DecisionError::invalid(
            "context.refusals",
            "must list at most 100 tallies",
        ));
    }
    if let Some(grant) = &input.grant {
        if grant.extensions.len() > MAX_EXTENSION_REQUESTS {
            return Err(DecisionError::invalid(
                "grant.extensions",
                "has too many entries",
            ));
        }
        if grant.approvals.len() > 100 {
            return Err(DecisionError::invalid(
                "grant.approvals",
                "has too many entries",
            ));
        }
    }
    Ok(())
}
