//! The lifecycle of a grant, one step per module: request, approval, activation, extension,
//! revocation by a person, the policy check, the timers and the notices they send.

pub(crate) mod activation;
pub(crate) mod approval;
pub(crate) mod extension;
pub(crate) mod notice;
pub(crate) mod policy_check;
pub(crate) mod request;
pub(crate) mod revocation;
pub(crate) mod schedule;
