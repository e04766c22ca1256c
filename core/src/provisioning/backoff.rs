//! How long to wait for an action's result, how often a failing grant is retried, and the
//! back-off between attempts.

/// How long to wait for an action's result before issuing it again.
pub const RESULT_TIMEOUT_SECONDS: i64 = 10 * 60;
/// Retries of a failing grant before the grant is declared failed.
pub const MAX_GRANT_ATTEMPTS: u32 = 3;
/// First retry delay; doubles per attempt.
pub const RETRY_BASE_SECONDS: i64 = 30;
/// Longest retry delay.
pub const RETRY_CAP_SECONDS: i64 = 15 * 60;

/// Seconds to wait before attempt `attempt + 1`, after `attempt` failures: 30 s, 60 s, 120 s, …
/// up to 15 minutes.
pub fn backoff_seconds(attempt: u32) -> i64 {
    let exponent = attempt.saturating_sub(1).min(16);
    RETRY_BASE_SECONDS
        .saturating_mul(1_i64 << exponent)
        .min(RETRY_CAP_SECONDS)
}
