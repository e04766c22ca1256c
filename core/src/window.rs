//! The approved window: when the access may be held.

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// The approved window `[start, end)`.
///
/// It is fixed at approval: it starts at the later of the requested start and the approval time,
/// so time spent waiting for approval does not eat into it, and lasts the requested duration.
/// Only an approved extension moves its end; a late activation does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Window {
    /// First instant the access may be held.
    pub start: Timestamp,
    /// The instant the access must be gone.
    pub end: Timestamp,
}

impl Window {
    /// The window for a request approved at `approved_at`, or `None` if it would overflow time.
    pub fn at_approval(
        requested_start: Timestamp,
        approved_at: Timestamp,
        minutes: u32,
    ) -> Option<Self> {
        let start = requested_start.max(approved_at);
        Some(Self {
            start,
            end: start.plus_minutes(minutes)?,
        })
    }

    /// Whether `now` is inside the window.
    pub fn contains(&self, now: Timestamp) -> bool {
        self.start <= now && now < self.end
    }

    /// Seconds left at `now` (0 when over).
    pub fn seconds_remaining(&self, now: Timestamp) -> i64 {
        now.seconds_until(self.end).max(0)
    }

    /// Total length in minutes.
    pub fn minutes(&self) -> i64 {
        self.start.minutes_until(self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse(s).expect("valid")
    }

    #[test]
    fn waiting_for_approval_does_not_eat_the_window() {
        let w = Window::at_approval(at("2026-01-01T09:00:00Z"), at("2026-01-01T09:40:00Z"), 60)
            .expect("in range");
        assert_eq!(w.start, at("2026-01-01T09:40:00Z"));
        assert_eq!(w.end, at("2026-01-01T10:40:00Z"));
    }

    #[test]
    fn an_early_approval_keeps_the_requested_start() {
        let w = Window::at_approval(at("2026-01-02T09:00:00Z"), at("2026-01-01T17:00:00Z"), 30)
            .expect("in range");
        assert_eq!(w.start, at("2026-01-02T09:00:00Z"));
        assert!(!w.contains(at("2026-01-01T17:00:00Z")));
        assert!(w.contains(at("2026-01-02T09:29:59Z")));
        assert!(!w.contains(at("2026-01-02T09:30:00Z")));
    }
}
