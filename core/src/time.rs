//! Instants and spans of time, passed in by the caller and checked so arithmetic never panics.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant in UTC with millisecond precision.
///
/// Inputs are RFC 3339 strings with an explicit offset (`Z` or `+02:00`); they are stored and
/// written back in UTC. Sub-millisecond digits are dropped on the way in so that a value always
/// serialises to the same text, which the audit chain's hashes depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Parses an RFC 3339 instant with an offset.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parsed = DateTime::parse_from_rfc3339(text.trim())
            .map_err(|e| format!("`{text}` is not an RFC 3339 date-time with an offset ({e})"))?;
        Ok(Self::from_utc(parsed.with_timezone(&Utc)))
    }

    /// Wraps a UTC instant, dropping sub-millisecond precision.
    pub fn from_utc(at: DateTime<Utc>) -> Self {
        let millis = at.timestamp_millis();
        // INVARIANT: a value that came from a DateTime converts back from its own milliseconds.
        Self(DateTime::from_timestamp_millis(millis).unwrap_or(at))
    }

    /// Builds an instant from Unix milliseconds, if representable.
    pub fn from_millis(millis: i64) -> Option<Self> {
        DateTime::from_timestamp_millis(millis).map(Self)
    }

    /// Unix milliseconds.
    pub fn millis(self) -> i64 {
        self.0.timestamp_millis()
    }

    /// This instant plus `minutes`, or `None` past the representable range.
    pub fn plus_minutes(self, minutes: u32) -> Option<Self> {
        self.plus_seconds(i64::from(minutes).checked_mul(60)?)
    }

    /// This instant plus (or minus) `seconds`, or `None` past the representable range.
    pub fn plus_seconds(self, seconds: i64) -> Option<Self> {
        let delta = TimeDelta::try_seconds(seconds)?;
        self.0.checked_add_signed(delta).map(Self)
    }

    /// Whole seconds from `self` until `later` (negative when `later` is earlier).
    pub fn seconds_until(self, later: Timestamp) -> i64 {
        later.0.signed_duration_since(self.0).num_seconds()
    }

    /// Whole minutes from `self` until `later`, rounded down.
    pub fn minutes_until(self, later: Timestamp) -> i64 {
        later.0.signed_duration_since(self.0).num_minutes()
    }

    /// The UTC hour, `YYYY-MM-DDTHH`, used to bucket repeated refusals.
    pub fn hour(self) -> String {
        use chrono::Timelike;
        format!("{}T{:02}", self.day(), self.0.time().hour())
    }

    /// The UTC calendar day, `YYYY-MM-DD`, used to bucket repeated alerts.
    pub fn day(self) -> String {
        use chrono::Datelike;
        // Written by hand: chrono's strftime machinery would add its parser to the Wasm module.
        let d = self.0.date_naive();
        format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
    }
}

impl fmt::Display for Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, exactly as chrono's `to_rfc3339_opts(Millis, true)` writes
    /// it, without its formatting machinery and in one `write_str` (every audit hash and answer
    /// writes timestamps, and in Wasm each small write into serde_json's buffer is a
    /// `memory.copy`, a runtime call in V8).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use chrono::{Datelike, Timelike};
        let (date, time) = (self.0.date_naive(), self.0.time());
        let year = date.year();
        if !(0..=9999).contains(&year) {
            // ISO 8601 requires the explicit sign for out-of-range years.
            write!(f, "{year:+05}")?;
        }
        let (mut second, mut nano) = (time.second(), time.nanosecond());
        if nano >= 1_000_000_000 {
            second += 1;
            nano -= 1_000_000_000;
        }
        let mut out = Digits::default();
        if (0..=9999).contains(&year) {
            out.number(year.unsigned_abs(), 4);
        }
        for (separator, value) in [
            (b'-', date.month()),
            (b'-', date.day()),
            (b'T', time.hour()),
            (b':', time.minute()),
            (b':', second),
        ] {
            out.push(separator);
            out.number(value, 2);
        }
        out.push(b'.');
        out.number(nano / 1_000_000, 3);
        out.push(b'Z');
        f.write_str(out.as_str())
    }
}

/// A short ASCII buffer on the stack.
#[derive(Default)]
struct Digits {
    bytes: [u8; 24],
    len: usize,
}

impl Digits {
    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    /// `value` in exactly `width` decimal digits (zero-padded; higher digits dropped).
    fn number(&mut self, value: u32, width: u32) {
        for place in (0..width).rev() {
            let digit = value / 10u32.saturating_pow(place) % 10;
            self.push(b'0'.saturating_add(u8::try_from(digit).unwrap_or(0)));
        }
    }

    fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..self.len).unwrap_or_default();
        std::str::from_utf8(bytes).unwrap_or_default()
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("valid test timestamp")
    }

    #[test]
    fn offsets_are_normalised_to_utc() {
        assert_eq!(
            at("2026-03-29T03:30:00+02:00").to_string(),
            "2026-03-29T01:30:00.000Z"
        );
    }

    #[test]
    fn sub_millisecond_digits_are_dropped_so_text_round_trips() {
        let t = at("2026-01-01T00:00:00.123456789Z");
        assert_eq!(t.to_string(), "2026-01-01T00:00:00.123Z");
        assert_eq!(at(&t.to_string()), t);
    }

    #[test]
    fn written_exactly_as_chrono_writes_rfc3339_with_millis() {
        use chrono::SecondsFormat;
        for millis in [
            0,
            1,
            999,
            1_780_304_400_123,
            -1,
            -62_135_596_800_000,
            -62_135_596_800_001,
            253_402_300_799_999,
            253_402_300_800_000,
            8_210_266_876_799_999,
            -8_334_601_228_800_000,
        ] {
            let t = Timestamp::from_millis(millis).expect("representable");
            assert_eq!(
                t.to_string(),
                t.0.to_rfc3339_opts(SecondsFormat::Millis, true)
            );
        }
    }

    #[test]
    fn a_date_without_offset_is_refused() {
        assert!(Timestamp::parse("2026-01-01T00:00:00").is_err());
        assert!(Timestamp::parse("tomorrow").is_err());
    }

    #[test]
    fn leap_day_is_accepted_and_a_non_leap_feb_29_is_refused() {
        assert!(Timestamp::parse("2028-02-29T12:00:00Z").is_ok());
        assert!(Timestamp::parse("2027-02-29T12:00:00Z").is_err());
    }

    #[test]
    fn arithmetic_past_the_range_gives_none_instead_of_panicking() {
        let far = at("9999-12-31T23:59:59Z");
        assert_eq!(far.plus_seconds(i64::MAX), None);
        assert_eq!(far.plus_seconds(i64::MIN), None);
        let edge = Timestamp::from_millis(8_210_266_876_799_999).expect("chrono's last instant");
        assert_eq!(edge.plus_minutes(1), None);
        assert_eq!(edge.plus_minutes(u32::MAX), None);
    }
}
