//! Reading typed inputs from JSON values, with the path of the first bad field.
//!
//! Inputs arrive as `serde_json::Value` (parsed from text natively, converted from a JS object in
//! Wasm). This deserializer walks the value and keeps the current path in a side stack that
//! non-generic code maintains, so an error says `targets[0].maxDurationMinutes` rather than only
//! what was wrong. Doing this here, instead of wrapping every visitor the way a generic
//! path-tracking wrapper does, keeps one deserializer instantiation per input type, which roughly
//! halves the Wasm module.

use std::cell::{Cell, RefCell};
use std::fmt::{self, Write as _};

use serde::de::value::StringDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Number, Value};

use crate::error::DecisionError;

/// A path segment.
enum Segment {
    Key(String),
    Index(usize),
}

thread_local! {
    /// The path of the value being read; on an error it is left pointing at the failure. One
    /// stack per thread, so that a hand-written `Deserialize` (events) that reads its fields with
    /// [`read_nested`] continues the path of the read it is part of: the path travels as
    /// segments, never inside an error message.
    static PATH: RefCell<Vec<Segment>> = const { RefCell::new(Vec::new()) };
    /// How many reads are under way on this thread (a nested read inside a tracked one, or not).
    static READS: Cell<u32> = const { Cell::new(0) };
}

fn push(segment: Segment) {
    PATH.with(|p| p.borrow_mut().push(segment));
}

fn pop() {
    PATH.with(|p| {
        p.borrow_mut().pop();
    });
}

fn render(segments: &[Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Key(k) if out.is_empty() => out.push_str(k),
            Segment::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Segment::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

/// The error of a tracked read: serde_json's own error (so messages read exactly as serde_json
/// words them), and, for a missing field, the field's name as data. serde raises "missing field"
/// from the struct that lacks it, where the tracked path stops one level short.
#[derive(Debug)]
pub(crate) struct ReadError {
    inner: serde_json::Error,
    missing: Option<&'static str>,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

impl std::error::Error for ReadError {}

impl de::Error for ReadError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self {
            inner: serde_json::Error::custom(msg),
            missing: None,
        }
    }

    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self {
            inner: serde_json::Error::invalid_type(unexp, exp),
            missing: None,
        }
    }

    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self {
            inner: serde_json::Error::invalid_value(unexp, exp),
            missing: None,
        }
    }

    fn missing_field(field: &'static str) -> Self {
        Self {
            inner: serde_json::Error::missing_field(field),
            missing: Some(field),
        }
    }
}

/// Numbers as JavaScript hands them over, so that every entry point reads the same text the same
/// way, natively (`*_json`) or from Wasm (`JSON.stringify` of a parsed object): JavaScript has one
/// kind of number, a double. A whole number within ±(2^53 − 1) (`Number.isSafeInteger`) is an
/// integer, however it was written (`60`, `60.0`, `6e1`); anything else is a float (`1.5`, and a
/// whole number beyond 2^53, which JavaScript cannot hold exactly): a `u64` field then refuses
/// it rather than reading digits JavaScript would have rounded.
pub fn as_javascript_numbers(value: &mut Value) {
    const SAFE: f64 = 9_007_199_254_740_991.0;
    match value {
        Value::Number(n) => {
            let safe_integer = n.as_u64().map_or_else(
                || n.as_i64().map(|i| i.unsigned_abs() <= SAFE as u64),
                |u| Some(u <= SAFE as u64),
            );
            match (safe_integer, n.as_f64()) {
                (Some(true), _) => {}
                (_, Some(f)) if f.fract() == 0.0 && f.abs() <= SAFE => {
                    // A whole float within the safe range: an integer, as JavaScript prints it.
                    #[allow(clippy::cast_possible_truncation, reason = "whole and within ±2^53")]
                    let whole = f as i64;
                    *n = Number::from(whole);
                }
                (_, Some(f)) => {
                    if let Some(float) = Number::from_f64(f) {
                        *n = float;
                    }
                }
                (_, None) => {}
            }
        }
        Value::Array(items) => items.iter_mut().for_each(as_javascript_numbers),
        Value::Object(map) => map.values_mut().for_each(as_javascript_numbers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

/// Reads a typed input from a JSON value, naming the path of the first bad field.
///
/// Every entry point reads through `serde_json::Value`, whatever the caller handed over (JSON text
/// natively or from Wasm): one deserializer for every input type keeps the Wasm module small, and
/// errors name the same paths everywhere.
pub fn read<T: DeserializeOwned>(value: Value) -> Result<T, DecisionError> {
    from_value(value).map_err(|(path, message)| DecisionError::InvalidInput {
        path: if path.is_empty() {
            "input".to_owned()
        } else {
            path
        },
        message,
    })
}

/// Reads `T` from `value`. On failure returns the dotted path of the bad field (empty for the
/// root) and serde's message.
pub(crate) fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, (String, String)> {
    let outer = PATH.with(RefCell::take);
    READS.with(|r| r.set(r.get().saturating_add(1)));
    let result = tracked::<T>(value);
    READS.with(|r| r.set(r.get().saturating_sub(1)));
    let path = PATH.with(|p| render(&p.replace(outer)));
    result.map_err(|e| (path, e.to_string()))
}

/// Reads `T` from `value` and, on failure, leaves the path at the failure (a missing field
/// included).
fn tracked<T: DeserializeOwned>(value: Value) -> Result<T, ReadError> {
    T::deserialize(Tracked { value }).inspect_err(|e| {
        if let Some(field) = e.missing {
            push(Segment::Key(field.to_owned()));
        }
    })
}

/// Reads `T` from `value` inside a hand-written `Deserialize`: within a tracked read the path
/// goes on from where that read is (its error names `event.durationMinutes`, not just `event`);
/// read any other way (serde_json directly), the path is put in front of the message.
pub(crate) fn read_nested<T: DeserializeOwned, E: de::Error>(value: Value) -> Result<T, E> {
    if READS.with(Cell::get) == 0 {
        return from_value(value).map_err(|(path, message)| {
            if path.is_empty() {
                E::custom(message)
            } else {
                E::custom(format!("at `{path}`: {message}"))
            }
        });
    }
    tracked(value).map_err(|e| E::custom(e))
}

/// The error of a hand-written `Deserialize` about one of its fields: the field is added to the
/// path of a tracked read (and named in the message otherwise).
pub(crate) fn field_error<E: de::Error>(field: &str, message: &str) -> E {
    if READS.with(Cell::get) == 0 {
        return E::custom(format!("at `{field}`: {message}"));
    }
    push(Segment::Key(field.to_owned()));
    E::custom(message)
}

type Error = ReadError;

struct Tracked {
    value: Value,
}

fn visit_number<'de, V: Visitor<'de>>(n: &Number, visitor: V) -> Result<V::Value, Error> {
    if let Some(u) = n.as_u64() {
        visitor.visit_u64(u)
    } else if let Some(i) = n.as_i64() {
        visitor.visit_i64(i)
    } else {
        visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
    }
}

impl<'de> de::Deserializer<'de> for Tracked {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => visit_number(&n, visitor),
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => {
                let len = items.len();
                let mut seq = Seq {
                    items: items.into_iter(),
                    index: 0,
                };
                let out = visitor.visit_seq(&mut seq)?;
                if seq.items.len() > 0 {
                    return Err(de::Error::invalid_length(len, &"fewer elements"));
                }
                Ok(out)
            }
            Value::Object(map) => visitor.visit_map(Fields {
                entries: map.into_iter(),
                value: None,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    /// Only unit variants are read this way (`"requested"`, `"enforce"`); tagged enums buffer.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => visitor.visit_enum(StringDeserializer::<Error>::new(s)),
            other => Err(de::Error::invalid_type(unexpected(&other), &"a string")),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(n) => n
            .as_f64()
            .map_or(de::Unexpected::Other("number"), de::Unexpected::Float),
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

struct Seq {
    items: std::vec::IntoIter<Value>,
    index: usize,
}

impl<'de> de::SeqAccess<'de> for Seq {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(value) = self.items.next() else {
            return Ok(None);
        };
        push(Segment::Index(self.index));
        let out = seed.deserialize(Tracked { value })?;
        pop();
        self.index = self.index.saturating_add(1);
        Ok(Some(out))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Fields {
    entries: <Map<String, Value> as IntoIterator>::IntoIter,
    value: Option<Value>,
}

impl<'de> de::MapAccess<'de> for Fields {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        // Kept on the path while the key and its value are read: an unknown field is reported
        // at its own path.
        push(Segment::Key(key.clone()));
        seed.deserialize(StringDeserializer::<Error>::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self.value.take().unwrap_or(Value::Null);
        let out = seed.deserialize(Tracked { value })?;
        pop();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code, reason = "fields are read only by the deserializer")]
    struct Outer {
        targets: Vec<Inner>,
        mode: Option<Mode>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code, reason = "fields are read only by the deserializer")]
    struct Inner {
        max_minutes: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    enum Mode {
        Report,
    }

    fn err(json: Value) -> (String, String) {
        from_value::<Outer>(json).expect_err("refused")
    }

    #[test]
    fn a_bad_nested_field_is_reported_at_its_dotted_path_with_indexes() {
        let (path, message) =
            err(serde_json::json!({"targets": [{"maxMinutes": 1}, {"maxMinutes": "x"}]}));
        assert_eq!(path, "targets[1].maxMinutes");
        assert!(message.contains("invalid type"), "{message}");
    }

    #[test]
    fn an_unknown_field_is_reported_at_its_own_path() {
        let (path, _) = err(serde_json::json!({"targets": [], "extra": true}));
        assert_eq!(path, "extra");
    }

    #[test]
    fn negative_fractional_and_overflowing_numbers_are_refused_for_unsigned_fields() {
        for bad in [
            serde_json::json!(-1),
            serde_json::json!(1.5),
            serde_json::json!(1e20),
        ] {
            let (path, _) = err(serde_json::json!({"targets": [{"maxMinutes": bad}]}));
            assert_eq!(path, "targets[0].maxMinutes");
        }
    }

    #[test]
    fn unit_enums_read_from_strings_and_refuse_anything_else() {
        assert!(from_value::<Outer>(serde_json::json!({"targets": [], "mode": "report"})).is_ok());
        assert_eq!(
            err(serde_json::json!({"targets": [], "mode": "chaos"})).0,
            "mode"
        );
        assert_eq!(err(serde_json::json!({"targets": [], "mode": 3})).0, "mode");
    }
}
