//! Events: everything that can happen to a grant, from people, timers and action results.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::action::{Action, ActionError};
use crate::audit_event::AuditEvent;
use crate::json::read::{field_error, read_nested};
use crate::policy::AccountId;

/// An event for `decide`.
///
/// Deserialization is written by hand (see below) because serde's internally tagged enums
/// buffer their content and lose the path of a bad field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    /// The actor asks for access. Creates the grant.
    #[serde(rename_all = "camelCase")]
    Submit {
        /// The new grant's id, chosen by the wrapper.
        grant_id: String,
        /// The request issue.
        issue_key: String,
        /// The policy target key.
        target: String,
        /// A service account to elevate instead of the actor.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<AccountId>,
        /// RFC 3339 start with offset; absent or `"now"` means now.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start: Option<String>,
        /// Minutes; absent means the target's default. An explicit `null` (what `NaN` becomes in
        /// JSON) is refused, never read as "absent".
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_minutes: Option<i64>,
        /// Why.
        #[serde(default)]
        justification: String,
    },
    /// An approver approves the request.
    Approve {},
    /// An approver rejects the request.
    #[serde(rename_all = "camelCase")]
    Reject {
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The requester withdraws the request before activation.
    Cancel {},
    /// The requester elevates now (or a break-glass account activates without approval).
    Activate {},
    /// The requester says the work is done.
    Complete {},
    /// An approver or permanent admin ends the grant.
    #[serde(rename_all = "camelCase")]
    Revoke {
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The requester asks for more time.
    #[serde(rename_all = "camelCase")]
    RequestExtension {
        /// Minutes to add.
        minutes: i64,
        /// Why.
        #[serde(default)]
        justification: String,
    },
    /// An approver approves the pending extension.
    ApproveExtension {},
    /// An approver rejects the pending extension.
    #[serde(rename_all = "camelCase")]
    RejectExtension {
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Time passed: apply whatever is due (deadlines, window start and end, retries).
    Tick {},
    /// The policy changed (or the sweep found the grant no longer allowed): an open grant the
    /// current policy no longer allows ends — without access if it never started, with a revoke
    /// if it is active. A no-op for a grant the policy allows, or when that cannot be told.
    PolicyCheck {},
    /// An action succeeded (for a revoke: and was read back).
    #[serde(rename_all = "camelCase")]
    ActionSucceeded {
        /// The action as it was issued.
        action: Action,
    },
    /// An action failed.
    #[serde(rename_all = "camelCase")]
    ActionFailed {
        /// The action as it was issued.
        action: Action,
        /// Why.
        error: ActionError,
    },
}

impl Event {
    /// The event as it is named in audit records (a refusal's record) and views.
    pub fn audit_event(&self) -> AuditEvent {
        match self {
            Self::Submit { .. } => AuditEvent::SubmitRequest,
            Self::Approve {} => AuditEvent::Approve,
            Self::Reject { .. } => AuditEvent::Reject,
            Self::Cancel {} => AuditEvent::Cancel,
            Self::Activate {} => AuditEvent::Activate,
            Self::Complete {} => AuditEvent::Complete,
            Self::Revoke { .. } => AuditEvent::Revoke,
            Self::RequestExtension { .. } => AuditEvent::RequestExtension,
            Self::ApproveExtension {} => AuditEvent::ApproveExtension,
            Self::RejectExtension { .. } => AuditEvent::RejectExtension,
            Self::Tick {} => AuditEvent::Tick,
            Self::PolicyCheck {} => AuditEvent::PolicyCheck,
            Self::ActionSucceeded { .. } => AuditEvent::ActionSucceeded,
            Self::ActionFailed { .. } => AuditEvent::ActionFailed,
        }
    }

    /// Whether a person (rather than the system) must be behind this event.
    pub fn needs_actor(&self) -> bool {
        !matches!(
            self,
            Self::Tick {}
                | Self::PolicyCheck {}
                | Self::ActionSucceeded { .. }
                | Self::ActionFailed { .. }
        )
    }
}

/// Every event `type` the core reads, in the order errors list them.
pub const EVENT_TYPES: [&str; 14] = [
    "submit",
    "approve",
    "reject",
    "cancel",
    "activate",
    "complete",
    "revoke",
    "requestExtension",
    "approveExtension",
    "rejectExtension",
    "tick",
    "policyCheck",
    "actionSucceeded",
    "actionFailed",
];

/// The fields of each event, read with `deny_unknown_fields` and path tracking.
mod wire {
    use serde::Deserialize;

    use crate::action::{Action, ActionError};
    use crate::policy::AccountId;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Submit {
        pub grant_id: String,
        pub issue_key: String,
        pub target: String,
        #[serde(default)]
        pub subject: Option<AccountId>,
        #[serde(default)]
        pub start: Option<String>,
        #[serde(default, deserialize_with = "super::minutes_if_present")]
        pub duration_minutes: Option<i64>,
        #[serde(default)]
        pub justification: String,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Empty {}

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Reason {
        #[serde(default)]
        pub reason: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Extension {
        #[serde(deserialize_with = "super::minutes")]
        pub minutes: i64,
        #[serde(default)]
        pub justification: String,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Succeeded {
        pub action: Action,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Failed {
        pub action: Action,
        pub error: ActionError,
    }
}

/// A number of minutes that may be left out but, when given, must be a number: `null` is what
/// `NaN` or `undefined` turn into on the way, and reading it as "absent" would silently apply a
/// default the person never chose.
fn minutes_if_present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<i64>::deserialize(d)?.map(Some).ok_or_else(|| {
        D::Error::custom(
            "must be a whole number of minutes, not null (leave it out for the target's default)",
        )
    })
}

/// A required number of minutes, refusing `null` with a message that says so.
fn minutes<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Option::<i64>::deserialize(d)?
        .ok_or_else(|| D::Error::custom("must be a whole number of minutes, not null"))
}

fn fields<T: DeserializeOwned, E: serde::de::Error>(value: Value) -> Result<T, E> {
    read_nested(value)
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut value = Value::deserialize(deserializer)?;
        let Some(object) = value.as_object_mut() else {
            return Err(D::Error::custom("an event must be an object with a `type`"));
        };
        let tag = match object.remove("type") {
            Some(Value::String(tag)) => tag,
            Some(_) => return Err(field_error("type", "must be a string")),
            None => return Err(field_error("type", "missing field `type`")),
        };
        Ok(match tag.as_str() {
            "submit" => {
                let f: wire::Submit = fields(value)?;
                Event::Submit {
                    grant_id: f.grant_id,
                    issue_key: f.issue_key,
                    target: f.target,
                    subject: f.subject,
                    start: f.start,
                    duration_minutes: f.duration_minutes,
                    justification: f.justification,
                }
            }
            "approve" => fields::<wire::Empty, _>(value).map(|_| Event::Approve {})?,
            "cancel" => fields::<wire::Empty, _>(value).map(|_| Event::Cancel {})?,
            "activate" => fields::<wire::Empty, _>(value).map(|_| Event::Activate {})?,
            "complete" => fields::<wire::Empty, _>(value).map(|_| Event::Complete {})?,
            "approveExtension" => {
                fields::<wire::Empty, _>(value).map(|_| Event::ApproveExtension {})?
            }
            "tick" => fields::<wire::Empty, _>(value).map(|_| Event::Tick {})?,
            "policyCheck" => fields::<wire::Empty, _>(value).map(|_| Event::PolicyCheck {})?,
            "reject" => Event::Reject {
                reason: fields::<wire::Reason, _>(value)?.reason,
            },
            "revoke" => Event::Revoke {
                reason: fields::<wire::Reason, _>(value)?.reason,
            },
            "rejectExtension" => Event::RejectExtension {
                reason: fields::<wire::Reason, _>(value)?.reason,
            },
            "requestExtension" => {
                let f: wire::Extension = fields(value)?;
                Event::RequestExtension {
                    minutes: f.minutes,
                    justification: f.justification,
                }
            }
            "actionSucceeded" => Event::ActionSucceeded {
                action: fields::<wire::Succeeded, _>(value)?.action,
            },
            "actionFailed" => {
                let f: wire::Failed = fields(value)?;
                Event::ActionFailed {
                    action: f.action,
                    error: f.error,
                }
            }
            other => {
                return Err(field_error(
                    "type",
                    &format!(
                        "unknown event type `{other}`; expected one of {}",
                        EVENT_TYPES.join(", ")
                    ),
                ))
            }
        })
    }
}
