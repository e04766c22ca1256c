//! Bounds on every string and list the core accepts, so hostile input gets a clear error and
//! stored records stay within the platform's size limits.

use crate::error::DecisionError;

/// Longest justification or reason, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Longest account id, grant id, issue key or target key.
pub const MAX_ID_CHARS: usize = 128;
/// Most extension requests (approved, rejected or lapsed) one grant may collect.
pub const MAX_EXTENSION_REQUESTS: usize = 20;
/// Most approvers one comment may mention (`maxApproversNotified`): a mention notifies, and a
/// request should reach a few people, not page a whole department.
pub const MAX_APPROVERS_NOTIFIED: u32 = 20;
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
