//! Provisioning: issuing the grant and revoke actions that change who holds access, applying
//! their results, and retrying them with back-off until a result confirms them.

pub(crate) mod backoff;
pub(crate) mod issue;
pub(crate) mod results;
