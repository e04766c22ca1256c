//! `AuditEvent`: the name of every audit record the core writes, one closed list.
//!
//! Each name is written exactly as the string it always was (`"submitRequest"`, `"sweep"`, …), so
//! stored records and their hashes are unchanged. A name this core does not know (a record written
//! by another version of the app) reads as [`AuditEvent::Unknown`] and is written back unchanged,
//! so verifying a chain never refuses a record for its name: only its hash can break a link.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! audit_events {
    ($($(#[doc = $doc:literal])+ $variant:ident => $name:literal,)+) => {
        /// What an audit record is about: the event a person or the system caused, or a fact the
        /// core noted. Serialised as its name.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AuditEvent {
            $($(#[doc = $doc])+ $variant,)+
            /// A name this core does not write, kept as it was read (records of another version).
            Unknown(String),
        }

        impl AuditEvent {
            /// Every name this core writes, in the order the admin page lists them.
            pub const ALL: &'static [AuditEvent] = &[$(AuditEvent::$variant,)+];

            /// The name as it appears in records.
            pub fn as_str(&self) -> &str {
                match self {
                    $(AuditEvent::$variant => $name,)+
                    AuditEvent::Unknown(name) => name,
                }
            }

            /// The event with this name; [`AuditEvent::Unknown`] for a name this core does not write.
            pub fn from_name(name: &str) -> Self {
                match name {
                    $($name => AuditEvent::$variant,)+
                    other => AuditEvent::Unknown(other.to_owned()),
                }
            }
        }
    };
}

audit_events! {
    /// A request was submitted (the grant was created).
    SubmitRequest => "submitRequest",
    /// An approver approved the request.
    Approve => "approve",
    /// An approver rejected the request.
    Reject => "reject",
    /// The requester cancelled the request.
    Cancel => "cancel",
    /// The requester elevated (or broke glass, or the grant activated itself).
    Activate => "activate",
    /// The requester finished early.
    Complete => "complete",
    /// An approver or permanent admin revoked the grant.
    Revoke => "revoke",
    /// The grant expired (approval deadline, unused window, window end).
    Expire => "expire",
    /// The requester asked for more time.
    RequestExtension => "requestExtension",
    /// An approver approved an extension.
    ApproveExtension => "approveExtension",
    /// An approver rejected an extension.
    RejectExtension => "rejectExtension",
    /// The organization confirmed the access was given.
    AccessGranted => "accessGranted",
    /// The organization confirmed the access was removed.
    AccessRevoked => "accessRevoked",
    /// Giving the access failed.
    GrantFailed => "grantFailed",
    /// Removing the access failed.
    RevokeFailed => "revokeFailed",
    /// Giving the access is tried again.
    RetryGrant => "retryGrant",
    /// Removing the access is tried again.
    RetryRevoke => "retryRevoke",
    /// A revocation was not issued (the subject is a permanent admin).
    RevocationSkipped => "revocationSkipped",
    /// Access landed after the request ended, and is being removed.
    LateGrant => "lateGrant",
    /// A grant that may have landed is being removed.
    Cleanup => "cleanup",
    /// The current policy no longer allows the grant, which ended.
    EndedByPolicy => "endedByPolicy",
    /// The sweep compared who holds what with the policy.
    Sweep => "sweep",
    /// A policy was saved and applied.
    PolicyChange => "policyChange",
    /// A guard-rail change was proposed for a second permanent admin.
    ProposePolicyChange => "proposePolicyChange",
    /// A pending guard-rail change was approved and applied.
    ApprovePolicyChange => "approvePolicyChange",
    /// A pending guard-rail change was withdrawn.
    WithdrawPolicyChange => "withdrawPolicyChange",
    /// A timer event (recorded only when refused).
    Tick => "tick",
    /// A policy check of one grant (recorded only when refused).
    PolicyCheck => "policyCheck",
    /// An action result (recorded only when refused).
    ActionSucceeded => "actionSucceeded",
    /// An action failure (recorded only when refused).
    ActionFailed => "actionFailed",
    /// The evidence pack of an ended grant: what its holder did in the org's audit log.
    EvidenceCollected => "evidenceCollected",
    /// The approvers who have not approved were reminded before the approval deadline.
    ApprovalReminder => "approvalReminder",
    /// The requester was warned that the window ends soon, with the way to ask for more time.
    WindowEndWarning => "windowEndWarning",
}

impl fmt::Display for AuditEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for AuditEvent {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for AuditEvent {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for AuditEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AuditEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|name| Self::from_name(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_its_event_and_is_written_as_it_was() {
        for event in AuditEvent::ALL {
            let text = serde_json::to_string(event).unwrap();
            assert_eq!(text, format!("\"{}\"", event.as_str()));
            assert_eq!(&serde_json::from_str::<AuditEvent>(&text).unwrap(), event);
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = AuditEvent::ALL.iter().map(AuditEvent::as_str).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before);
    }

    #[test]
    fn an_unknown_name_is_kept_as_it_was_read() {
        let event: AuditEvent = serde_json::from_str("\"someFutureEvent\"").unwrap();
        assert_eq!(event, AuditEvent::Unknown("someFutureEvent".into()));
        assert_eq!(
            serde_json::to_string(&event).unwrap(),
            "\"someFutureEvent\""
        );
    }
}
