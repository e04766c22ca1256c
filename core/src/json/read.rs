//! Reading typed inputs from JSON text, with the path of the first bad field.
//!
//! Every input arrives as JSON text (from `JSON.stringify` in Wasm, as a string natively) and is
//! read straight into its Rust type: no `serde_json::Value` tree in between (building one and
//! walking it again cost several times the decision; see "Decide through Wasm" in
//! BENCHMARKS.md). The deserializer keeps the current path in a side stack that non-generic code
//! maintains, so an error says `targets[0].maxDurationMinutes` rather than only what was wrong.
//! Doing this here, instead of wrapping every visitor the way a generic path-tracking wrapper
//! does, keeps one deserializer instantiation per input type: the Wasm module holds each
//! `Deserialize` impl once, for this reader (a second reader beside it cost 240 KB).
//!
//! Leaves are read by `serde_json` itself (numbers, and strings with escapes), and text that is
//! not JSON is refused with `serde_json`'s own message, so the JSON accepted, and the numbers and
//! strings read from it, are exactly `serde_json`'s; numbers are then read as JavaScript holds
//! them ([`as_javascript_numbers`]).

use std::cell::{Cell, RefCell};
use std::fmt::{self, Write as _};

use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::{Number, Value};

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

#[inline(never)]
fn push(segment: Segment) {
    PATH.with(|p| p.borrow_mut().push(segment));
}

#[inline(never)]
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
    match value {
        Value::Number(n) => {
            if let Some(javascript) = javascript_number(n) {
                *n = javascript;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(as_javascript_numbers),
        Value::Object(map) => map.values_mut().for_each(as_javascript_numbers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

/// The number JavaScript would hold for `n`, when that is not `n` as it stands (see
/// [`as_javascript_numbers`]).
pub(crate) fn javascript_number(n: &Number) -> Option<Number> {
    const SAFE: f64 = 9_007_199_254_740_991.0;
    let safe_integer = n.as_u64().map_or_else(
        || n.as_i64().map(|i| i.unsigned_abs() <= SAFE as u64),
        |u| Some(u <= SAFE as u64),
    );
    match (safe_integer, n.as_f64()) {
        (Some(true), _) => None,
        (_, Some(f)) if f.fract() == 0.0 && f.abs() <= SAFE => {
            // A whole float within the safe range: an integer, as JavaScript prints it.
            #[allow(clippy::cast_possible_truncation, reason = "whole and within ±2^53")]
            let whole = f as i64;
            Some(Number::from(whole))
        }
        (_, Some(f)) => Number::from_f64(f),
        (_, None) => None,
    }
}

/// Why JSON text could not be read as an input.
#[derive(Debug)]
pub enum Unread {
    /// The text is not JSON at all (refused as such by every entry point).
    NotJson(DecisionError),
    /// JSON, but not the input: the first bad field, at its path.
    Invalid(DecisionError),
}

/// Reads a typed input from JSON text (UTF-8), with numbers as JavaScript holds them, naming
/// the path of the first bad field.
///
/// Text that is not JSON is refused with `serde_json`'s message at `input`, wherever the fault
/// lies (before or after a bad field): the reader stops at the first problem it meets, and
/// only then is the whole text checked by `serde_json`. Fields are read, and so a first bad
/// field found, in the order the text gives them.
pub fn read_text<T: DeserializeOwned>(text: &[u8]) -> Result<T, Unread> {
    read_at_root(text).map_err(|(path, message)| {
        // A `Value`, not `IgnoredAny`: only building numbers finds one out of range (`1e400`).
        if let Err(e) = serde_json::from_slice::<Value>(text) {
            return Unread::NotJson(DecisionError::InvalidInput {
                path: "input".into(),
                message: e.to_string(),
            });
        }
        Unread::Invalid(DecisionError::InvalidInput {
            path: if path.is_empty() {
                "input".to_owned()
            } else {
                path
            },
            message,
        })
    })
}

/// Reads a typed input from a JSON value (written as text and read by [`read_text`]), naming
/// the path of the first bad field.
pub fn read<T: DeserializeOwned>(value: Value) -> Result<T, DecisionError> {
    let text = serde_json::to_vec(&value).map_err(|e| DecisionError::InvalidInput {
        path: "input".into(),
        message: e.to_string(),
    })?;
    read_text(&text).map_err(|e| match e {
        Unread::NotJson(e) | Unread::Invalid(e) => e,
    })
}

/// Reads `T` from `text` as a read of its own. On failure returns the dotted path of the bad
/// field (empty for the root) and the message.
///
/// Read once without keeping the path (no key copied for it: a third of the reading), and only
/// when that fails, again with it: the same code either way, so the module holds it once.
fn read_at_root<T: DeserializeOwned>(text: &[u8]) -> Result<T, (String, String)> {
    let outer = PATH.with(RefCell::take);
    READS.with(|r| r.set(r.get().saturating_add(1)));
    let result = tracked::<T>(text, false).or_else(|_| {
        PATH.with(|p| p.borrow_mut().clear());
        tracked::<T>(text, true)
    });
    READS.with(|r| r.set(r.get().saturating_sub(1)));
    let path = PATH.with(|p| render(&p.replace(outer)));
    result.map_err(|e| (path, e.to_string()))
}

/// Reads `T` from `text` and, on failure, leaves the path at the failure (a missing field
/// included) when `track` says to keep it.
fn tracked<T: DeserializeOwned>(text: &[u8], track: bool) -> Result<T, ReadError> {
    // UTF-8 checked once for the whole text, so that strings are slices of it. Outside strings
    // any byte that is not ASCII is refused anyway, so this refuses nothing serde_json reads.
    let Ok(whole) = std::str::from_utf8(text) else {
        return Err(not_json());
    };
    let mut reader = Text {
        text: whole,
        bytes: text,
        at: 0,
        depth: 0,
        track,
    };
    let value = T::deserialize(&mut reader).inspect_err(|e| {
        if let Some(field) = e.missing {
            push(Segment::Key(field.to_owned()));
        }
    })?;
    reader.skip_whitespace();
    if reader.at == text.len() {
        Ok(value)
    } else {
        Err(not_json())
    }
}

/// Reads `T` from `value` inside a hand-written `Deserialize`: within a tracked read the path
/// goes on from where that read is (its error names `event.durationMinutes`, not just `event`);
/// read any other way (serde_json directly), the path is put in front of the message.
pub(crate) fn read_nested<T: DeserializeOwned, E: de::Error>(value: Value) -> Result<T, E> {
    let text = serde_json::to_vec(&value).map_err(E::custom)?;
    if READS.with(Cell::get) == 0 {
        return read_at_root(&text).map_err(|(path, message)| {
            if path.is_empty() {
                E::custom(message)
            } else {
                E::custom(format!("at `{path}`: {message}"))
            }
        });
    }
    tracked(&text, true).map_err(|e| E::custom(e))
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

/// Text that is not JSON (or JSON `serde_json` would not read, such as nesting beyond its
/// limit). [`read_text`] answers it with `serde_json`'s own message for the whole text.
fn not_json() -> ReadError {
    <ReadError as de::Error>::custom("not JSON")
}

/// `serde_json` refuses the 128th level of nesting.
const MAX_DEPTH: u32 = 127;

/// The reader: JSON text and where it is in it.
struct Text<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    depth: u32,
    /// Whether the path is kept (on the stack that [`render`] reads).
    track: bool,
}

/// A string as read: borrowed when it has no escapes, decoded by `serde_json` when it has.
enum Str<'a> {
    Plain(&'a str),
    Decoded(String),
}

impl Str<'_> {
    fn as_str(&self) -> &str {
        match self {
            Str::Plain(s) => s,
            Str::Decoded(s) => s,
        }
    }
}

impl<'a> Text<'a> {
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Result<u8, Error> {
        self.skip_whitespace();
        self.bytes.get(self.at).copied().ok_or_else(not_json)
    }

    fn eat(&mut self, byte: u8) -> Result<(), Error> {
        if self.peek()? == byte {
            self.at += 1;
            Ok(())
        } else {
            Err(not_json())
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Error> {
        let end = self.at.saturating_add(word.len());
        if self.bytes.get(self.at..end) == Some(word) {
            self.at = end;
            Ok(())
        } else {
            Err(not_json())
        }
    }

    /// A string, at its opening quote.
    fn string(&mut self) -> Result<Str<'a>, Error> {
        let start = self.at;
        // Most strings have no escape: up to the closing quote in one scan, then a slice.
        let rest = self.bytes.get(start + 1..).ok_or_else(not_json)?;
        let stop = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .ok_or_else(not_json)?;
        if rest.get(stop) == Some(&b'"') {
            self.at = start + 1 + stop + 1;
            return self
                .text
                .get(start + 1..start + 1 + stop)
                .map(Str::Plain)
                .ok_or_else(not_json);
        }
        let mut i = start + 1 + stop;
        let mut escaped = false;
        loop {
            match *self.bytes.get(i).ok_or_else(not_json)? {
                b'"' => break,
                // The escaped byte cannot end the string; `serde_json` checks the escape.
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                // `serde_json` refuses control characters in strings.
                0..=0x1f => return Err(not_json()),
                _ => i += 1,
            }
        }
        self.at = i + 1;
        if escaped {
            let token = self.bytes.get(start..=i).ok_or_else(not_json)?;
            serde_json::from_slice::<String>(token)
                .map(Str::Decoded)
                .map_err(|_| not_json())
        } else {
            self.text
                .get(start + 1..i)
                .map(Str::Plain)
                .ok_or_else(not_json)
        }
    }

    /// A number, as JavaScript would hold it.
    fn number(&mut self) -> Result<Number, Error> {
        let start = self.at;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
        }
        let token = self.bytes.get(start..self.at).ok_or_else(not_json)?;
        // Most numbers are small whole ones: no leading zero, at most 15 digits (below 2^53).
        if token.len() <= 15
            && token.iter().all(u8::is_ascii_digit)
            && (token.len() == 1 || token.first() != Some(&b'0'))
        {
            let whole = token.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            return Ok(Number::from(whole));
        }
        let number = serde_json::from_slice::<Number>(token).map_err(|_| not_json())?;
        Ok(javascript_number(&number).unwrap_or(number))
    }

    /// Steps into an array or object, at its opening bracket.
    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(not_json());
        }
        self.at += 1;
        Ok(())
    }
}

/// One JSON value's start: a scalar read whole, or an array or object stepped into.
enum Token<'a> {
    Null,
    Bool(bool),
    Str(Str<'a>),
    Number(Number),
    Array,
    Object,
}

impl<'a> Text<'a> {
    fn push(&self, segment: Segment) {
        if self.track {
            push(segment);
        }
    }

    fn pop(&self) {
        if self.track {
            pop();
        }
    }

    /// The next value's token. The reading is here, outside the code generic over visitors,
    /// which is instantiated once per type read and so is kept to the calls into the visitor.
    #[inline(never)]
    fn token(&mut self) -> Result<Token<'a>, Error> {
        Ok(match self.peek()? {
            b'n' => self.literal(b"null").map(|()| Token::Null)?,
            b't' => self.literal(b"true").map(|()| Token::Bool(true))?,
            b'f' => self.literal(b"false").map(|()| Token::Bool(false))?,
            b'"' => Token::Str(self.string()?),
            b'-' | b'0'..=b'9' => Token::Number(self.number()?),
            b'[' => self.enter().map(|()| Token::Array)?,
            b'{' => self.enter().map(|()| Token::Object)?,
            _ => return Err(not_json()),
        })
    }

    /// Whether another item follows in an array (after its first, a comma is eaten).
    #[inline(never)]
    fn more_items(&mut self, first: bool) -> Result<bool, Error> {
        match self.peek()? {
            b']' => Ok(false),
            b',' if !first => {
                self.at += 1;
                Ok(true)
            }
            _ if first => Ok(true),
            _ => Err(not_json()),
        }
    }

    /// The end of an array: items the visitor left unread are counted into the error.
    #[inline(never)]
    fn end_array(&mut self, read: usize, mut first: bool) -> Result<(), Error> {
        let mut len = read;
        while self.more_items(first)? {
            first = false;
            self.push(Segment::Index(len));
            de::Deserializer::deserialize_ignored_any(&mut *self, de::IgnoredAny)?;
            self.pop();
            len = len.saturating_add(1);
        }
        if len > read {
            return Err(de::Error::invalid_length(len, &"fewer elements"));
        }
        self.eat(b']')?;
        self.depth -= 1;
        Ok(())
    }

    /// The next key of an object, put on the path (`None` at its end).
    #[inline(never)]
    fn next_key(&mut self, first: bool) -> Result<Option<Str<'a>>, Error> {
        match self.peek()? {
            b'}' => return Ok(None),
            b',' if !first => self.at += 1,
            _ if first => {}
            _ => return Err(not_json()),
        }
        if self.peek()? != b'"' {
            return Err(not_json());
        }
        let key = self.string()?;
        // Kept on the path while the key and its value are read: an unknown field is reported
        // at its own path.
        if self.track {
            self.push(Segment::Key(key.as_str().to_owned()));
        }
        Ok(Some(key))
    }

    #[inline(never)]
    fn end_object(&mut self) -> Result<(), Error> {
        self.eat(b'}')?;
        self.depth -= 1;
        Ok(())
    }

    /// The error for a value that is not what `expected` reads (`exact_numbers`: a number is
    /// named as the visitor would have been handed it, else as a float, as `deserialize_enum`
    /// always named it).
    #[inline(never)]
    fn refuse(&mut self, expected: &dyn de::Expected, exact_numbers: bool) -> Error {
        let token = match self.token() {
            Ok(token) => token,
            Err(e) => return e,
        };
        let unexpected = match &token {
            Token::Null => de::Unexpected::Unit,
            Token::Bool(b) => de::Unexpected::Bool(*b),
            Token::Str(s) => de::Unexpected::Str(s.as_str()),
            Token::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) if exact_numbers => de::Unexpected::Unsigned(u),
                (_, Some(i), _) if exact_numbers => de::Unexpected::Signed(i),
                (_, _, Some(f)) => de::Unexpected::Float(f),
                _ => de::Unexpected::Other("number"),
            },
            Token::Array => de::Unexpected::Seq,
            Token::Object => de::Unexpected::Map,
        };
        de::Error::invalid_type(unexpected, expected)
    }
}

pub(crate) fn visit_number<'de, V: Visitor<'de>, E: de::Error>(
    n: &Number,
    visitor: V,
) -> Result<V::Value, E> {
    if let Some(u) = n.as_u64() {
        visitor.visit_u64(u)
    } else if let Some(i) = n.as_i64() {
        visitor.visit_i64(i)
    } else {
        visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
    }
}

impl<'de> de::Deserializer<'de> for &mut Text<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.token()? {
            Token::Null => visitor.visit_unit(),
            Token::Bool(b) => visitor.visit_bool(b),
            // `visit_str` for both kinds: each visitor is instantiated once per string.
            Token::Str(s) => visitor.visit_str(s.as_str()),
            Token::Number(n) => visit_number(&n, visitor),
            Token::Array => {
                let mut items = Items {
                    text: &mut *self,
                    first: true,
                    index: 0,
                };
                let out = visitor.visit_seq(&mut items)?;
                let (read, first) = (items.index, items.first);
                self.end_array(read, first)?;
                Ok(out)
            }
            Token::Object => {
                let out = visitor.visit_map(Entries {
                    text: &mut *self,
                    first: true,
                })?;
                self.end_object()?;
                Ok(out)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    /// A struct is an object: its visitor's sequence form (fields by position) is never read,
    /// so it is never compiled into the module.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if self.peek()? != b'{' {
            return Err(self.refuse(&visitor, true));
        }
        self.deserialize_any(visitor)
    }

    /// Only unit variants are read this way (`"requested"`, `"enforce"`); tagged enums buffer.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if self.peek()? != b'"' {
            return Err(self.refuse(&"a string", false));
        }
        visitor.visit_enum(StrDeserializer::<Error>::new(self.string()?.as_str()))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

struct Items<'t, 'a> {
    text: &'t mut Text<'a>,
    first: bool,
    index: usize,
}

impl<'de> de::SeqAccess<'de> for Items<'_, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if !self.text.more_items(self.first)? {
            return Ok(None);
        }
        self.first = false;
        self.text.push(Segment::Index(self.index));
        let out = seed.deserialize(&mut *self.text)?;
        self.text.pop();
        self.index = self.index.saturating_add(1);
        Ok(Some(out))
    }
}

struct Entries<'t, 'a> {
    text: &'t mut Text<'a>,
    first: bool,
}

impl<'de> de::MapAccess<'de> for Entries<'_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(key) = self.text.next_key(self.first)? else {
            return Ok(None);
        };
        self.first = false;
        seed.deserialize(StrDeserializer::<Error>::new(key.as_str()))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.text.eat(b':')?;
        let out = seed.deserialize(&mut *self.text)?;
        self.text.pop();
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
        read_at_root::<Outer>(&serde_json::to_vec(&json).unwrap()).expect_err("refused")
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
        let text =
            serde_json::to_vec(&serde_json::json!({"targets": [], "mode": "report"})).unwrap();
        assert!(read_at_root::<Outer>(&text).is_ok());
        assert_eq!(
            err(serde_json::json!({"targets": [], "mode": "chaos"})).0,
            "mode"
        );
        assert_eq!(err(serde_json::json!({"targets": [], "mode": 3})).0, "mode");
    }
}
