//! The typed errors of every decision, each with a stable code the UI can show.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why the core refused an event or an input.
///
/// Every variant maps to a stable, upper-case code (see [`DecisionError::code`]) that callers may
/// match on; messages are for people and may change.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecisionError {
    /// The input is malformed; `path` names the offending field (`event.durationMinutes`).
    #[error("invalid input at `{path}`: {message}")]
    InvalidInput {
        /// Dotted path of the bad field.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// The policy itself is invalid; the first problem is quoted, `validate_policy` lists all.
    #[error("the policy is invalid: {first}")]
    InvalidPolicy {
        /// The first problem found.
        first: String,
        /// Path of the first problem.
        path: String,
    },
    /// The policy has no target with this key.
    #[error("there is no target `{target}` in the policy")]
    UnknownTarget {
        /// The requested target key.
        target: String,
    },
    /// The grant's target is no longer in the policy, so nothing more may be approved on it.
    #[error("the target `{target}` of this grant is no longer in the policy")]
    TargetRemoved {
        /// The target key.
        target: String,
    },
    /// The grant's target now grants different access than the grant was approved for.
    #[error("the target `{target}` now grants different access than this grant")]
    TargetChanged {
        /// The target key.
        target: String,
    },
    /// Whether the requester may still request the target rests on their groups, which could
    /// not be read; nothing is approved or activated on their behalf until they can be.
    #[error("cannot confirm that `{account}` may still request `{target}`: their groups could not be read; try again")]
    EligibilityUnknown {
        /// The requester.
        account: String,
        /// The target key.
        target: String,
    },
    /// The actor may not request this target.
    #[error("`{account}` is not eligible to request `{target}`")]
    NotEligible {
        /// The actor.
        account: String,
        /// The target key.
        target: String,
    },
    /// The actor may not elevate this service account.
    #[error("`{account}` is not an owner of the service account `{subject}`")]
    NotOwner {
        /// The actor.
        account: String,
        /// The service account.
        subject: String,
    },
    /// The actor is not an approver of this target.
    #[error("`{account}` is not an approver for `{target}`")]
    NotApprover {
        /// The actor.
        account: String,
        /// The target key.
        target: String,
    },
    /// The requester tried to approve or reject their own request or extension.
    #[error("`{account}` cannot decide on their own request")]
    SelfApproval {
        /// The actor.
        account: String,
    },
    /// An extension approver already approved this grant's request or an earlier extension.
    #[error("`{account}` already approved this grant; an extension needs a different approver")]
    SameApprover {
        /// The actor.
        account: String,
    },
    /// Only the requester may take this step.
    #[error("only the requester `{requester}` can {step}")]
    NotRequester {
        /// The grant's requester.
        requester: String,
        /// The refused step, in words.
        step: String,
    },
    /// The event makes no sense in the grant's current state.
    #[error("cannot {step} a grant that is {state}")]
    InvalidState {
        /// The refused step, in words.
        step: String,
        /// The current state, in words.
        state: String,
    },
    /// The requester already has an open grant for the same access.
    #[error("`{subject}` already has an open grant for `{target}` (`{existing}`)")]
    DuplicateRequest {
        /// Who would receive the access.
        subject: String,
        /// The target key.
        target: String,
        /// The open grant.
        existing: String,
    },
    /// A permanent admin already holds admin rights and cannot be elevated.
    #[error("`{account}` is a permanent admin and already holds admin rights")]
    PermanentAdmin {
        /// The account.
        account: String,
    },
    /// Activation outside the approved window.
    #[error("the approved window is {start} to {end}; it is now {now}")]
    OutsideWindow {
        /// Window start.
        start: String,
        /// Window end.
        end: String,
        /// The current time.
        now: String,
    },
    /// A duration or total window longer than the target allows.
    #[error("{what} of {requested} minutes is longer than the {max} minutes allowed")]
    DurationTooLong {
        /// What was too long (a duration, an extension, the total window).
        what: String,
        /// Requested minutes.
        requested: u64,
        /// Allowed minutes.
        max: u64,
    },
    /// The grant already had as many extensions as the target allows.
    #[error("this grant already had {max} extension(s), the most `{target}` allows")]
    TooManyExtensions {
        /// The limit.
        max: u32,
        /// The target key.
        target: String,
    },
    /// The requested start is further ahead than the target allows.
    #[error("the start is {requested} minutes ahead; `{target}` allows at most {max}")]
    StartTooFar {
        /// Minutes ahead.
        requested: i64,
        /// The limit.
        max: u32,
        /// The target key.
        target: String,
    },
    /// A justification is missing or too short.
    #[error("a justification of at least {min_length} characters is required")]
    JustificationRequired {
        /// Minimum length in characters.
        min_length: u32,
    },
}

impl DecisionError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidInput { .. } => "INVALID_INPUT",
            Self::InvalidPolicy { .. } => "INVALID_POLICY",
            Self::UnknownTarget { .. } => "UNKNOWN_TARGET",
            Self::TargetRemoved { .. } => "TARGET_REMOVED",
            Self::TargetChanged { .. } => "TARGET_CHANGED",
            Self::EligibilityUnknown { .. } => "ELIGIBILITY_UNKNOWN",
            Self::NotEligible { .. } => "NOT_ELIGIBLE",
            Self::NotOwner { .. } => "NOT_OWNER",
            Self::NotApprover { .. } => "NOT_APPROVER",
            Self::SelfApproval { .. } => "SELF_APPROVAL",
            Self::SameApprover { .. } => "SAME_APPROVER",
            Self::NotRequester { .. } => "NOT_REQUESTER",
            Self::InvalidState { .. } => "INVALID_STATE",
            Self::DuplicateRequest { .. } => "DUPLICATE_REQUEST",
            Self::PermanentAdmin { .. } => "PERMANENT_ADMIN",
            Self::OutsideWindow { .. } => "OUTSIDE_WINDOW",
            Self::DurationTooLong { .. } => "DURATION_TOO_LONG",
            Self::TooManyExtensions { .. } => "TOO_MANY_EXTENSIONS",
            Self::StartTooFar { .. } => "START_TOO_FAR",
            Self::JustificationRequired { .. } => "JUSTIFICATION_REQUIRED",
        }
    }

    /// The input path the error is about, when there is one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::InvalidInput { path, .. } | Self::InvalidPolicy { path, .. } => Some(path),
            Self::UnknownTarget { .. } => Some("event.target"),
            Self::NotOwner { .. } => Some("event.subject"),
            Self::DurationTooLong { what, .. } if what == "a duration" => {
                Some("event.durationMinutes")
            }
            Self::DurationTooLong { .. } => Some("event.minutes"),
            Self::StartTooFar { .. } => Some("event.start"),
            Self::JustificationRequired { .. } => Some("event.justification"),
            _ => None,
        }
    }

    /// Whether the refusal is about who the actor is (and so worth an audit record).
    pub fn is_authorization(&self) -> bool {
        matches!(
            self,
            Self::NotEligible { .. }
                | Self::NotOwner { .. }
                | Self::NotApprover { .. }
                | Self::SelfApproval { .. }
                | Self::SameApprover { .. }
                | Self::NotRequester { .. }
        )
    }

    /// The error as the plain value the boundary returns.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code().to_owned(),
            message: self.to_string(),
            path: self.path().map(str::to_owned),
        }
    }

    pub(crate) fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            path: path.into(),
            message: message.into(),
        }
    }

    pub(crate) fn state(step: &str, state: &str) -> Self {
        Self::InvalidState {
            step: step.to_owned(),
            state: state.to_owned(),
        }
    }
}

/// An error as a plain value: `{code, message, path}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Stable code, e.g. `SAME_APPROVER`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// Offending input path, when there is one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub path: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_upper_snake_case_and_messages_have_no_final_period() {
        let samples = [
            DecisionError::invalid("event.x", "bad"),
            DecisionError::state("approve", "active"),
            DecisionError::SameApprover {
                account: "bob".into(),
            },
            DecisionError::JustificationRequired { min_length: 10 },
        ];
        for e in samples {
            assert!(e.code().chars().all(|c| c.is_ascii_uppercase() || c == '_'));
            assert!(!e.to_string().ends_with('.'));
        }
    }

    #[test]
    fn an_invalid_input_error_names_its_path() {
        let body = DecisionError::invalid("event.durationMinutes", "must be at least 1").to_body();
        assert_eq!(body.code, "INVALID_INPUT");
        assert_eq!(body.path.as_deref(), Some("event.durationMinutes"));
    }
}
