//! The canonical JSON form of RFC 8785 (JSON Canonicalization Scheme, JCS): the bytes the audit
//! chain hashes, which any JCS implementation reproduces from the same JSON value.
//!
//! JCS is JSON as ECMAScript's `JSON.stringify` writes it, with no white space and the members of
//! every object sorted by their names' UTF-16 code units:
//! - strings: `"` `\` and the control characters below U+0020 are escaped (`\b \t \n \f \r`, the
//!   others as `\u00xx` in lower case); everything else, U+007F and U+2028 included, is written
//!   as its UTF-8 bytes;
//! - numbers: IEEE 754 doubles written as ECMAScript's `Number.prototype.toString` does (shortest
//!   round-trip digits, `1e+21` from 10²¹ up, `1e-7` below 10⁻⁶, `-0` as `0`). Integers up to
//!   2⁵³ therefore come out as their decimal digits; a larger one is the double nearest to it,
//!   as in every JCS implementation.
//!
//! The core writes only integers into audit records, far below 2⁵³ (counts, minutes, versions),
//! so for them JCS is also Python's `json.dumps(v, sort_keys=True, separators=(",", ":"),
//! ensure_ascii=False)`. Other numbers are still written exactly as RFC 8785 says, so a record
//! from elsewhere is judged by the standard, not by this crate's habits.

use serde_json::{Map, Number, Value};

/// `value` in canonical form.
#[cfg(test)]
pub(crate) fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, value);
    out
}

/// Appends `value` in canonical form.
pub(crate) fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(out, map),
    }
}

/// Appends an object, its members sorted by the UTF-16 code units of their names.
pub(crate) fn write_object(out: &mut Vec<u8>, map: &Map<String, Value>) {
    out.push(b'{');
    // serde_json's map is ordered by UTF-8 bytes, which is code point order. That equals UTF-16
    // order unless a name holds a character from U+E000 up (UTF-8 lead byte 0xEE or more):
    // UTF-16 puts the surrogates of U+10000.. before U+E000..U+FFFF.
    let plain = map.keys().all(|k| k.bytes().all(|b| b < 0xEE));
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    if !plain {
        members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    }
    for (i, (name, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, name);
        out.push(b':');
        write_value(out, value);
    }
    out.push(b'}');
}

/// Appends a string literal, escaped as `JSON.stringify` escapes it.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            for nibble in [b >> 4, b & 0xf] {
                out.push(HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'));
            }
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

/// The largest integer up to which every integer is a double: below it, digits are the answer.
const EXACT: u64 = 1 << 53;

/// Appends a number as ECMAScript writes the double it denotes.
pub(crate) fn write_number(out: &mut Vec<u8>, n: &Number) {
    use std::io::Write;
    // Writing into a Vec cannot fail.
    if let Some(u) = n.as_u64().filter(|u| *u <= EXACT) {
        let _ = write!(out, "{u}");
    } else if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= EXACT) {
        let _ = write!(out, "{i}");
    } else {
        // Without serde_json's `arbitrary_precision` every number has a double.
        out.extend_from_slice(es_number(n.as_f64().unwrap_or(0.0)).as_bytes());
    }
}

/// ECMAScript's `Number::toString(x)` (ECMA-262, 6.1.6.1.20) for a finite double; JSON has no
/// NaN or infinity, and serde_json never holds one.
pub(crate) fn es_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".to_owned();
    }
    if x < 0.0 {
        return format!("-{}", es_number(-x));
    }
    let (digits, exponent) = shortest(x);
    let k = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    // n: where the decimal point goes, counted from the left of the digits.
    let n = exponent.saturating_add(1);
    let zeros = |count: i64| "0".repeat(usize::try_from(count).unwrap_or(0));
    // The digits are ASCII and at least one, so these splits always succeed.
    let split = |at: i64| {
        digits
            .split_at_checked(usize::try_from(at).unwrap_or(0))
            .unwrap_or((digits.as_str(), ""))
    };
    let (head, tail) = split(1);
    if k <= n && n <= 21 {
        format!("{digits}{}", zeros(n - k))
    } else if 0 < n && n <= 21 {
        let (int, frac) = split(n);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", zeros(-n))
    } else {
        let e = n - 1;
        let sign = if e < 0 { '-' } else { '+' };
        let abs = e.unsigned_abs();
        if tail.is_empty() {
            format!("{head}e{sign}{abs}")
        } else {
            format!("{head}.{tail}e{sign}{abs}")
        }
    }
}

/// The shortest decimal digits that read back as `x` (positive, finite), closest to `x` and even
/// on a tie, and the exponent of the first: `x ≈ d₁.d₂… × 10^exponent`. serde_json's own float
/// writer (Żmij) finds exactly those digits, as ECMAScript asks; only its layout (`100.0`,
/// `1e+21`, `1.5e-7`) differs, so the digits are read back out of it. (Rust's `{:e}` takes the
/// upper digits on a tie, RFC 8785's `1424953923781206.2` would come out `…6.3`.)
fn shortest(x: f64) -> (String, i64) {
    let text = crate::json::write::to_string(&x, 32).unwrap_or_default();
    let (mantissa, exponent) = text.split_once(['e', 'E']).unwrap_or((text.as_str(), "0"));
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = int.chars().chain(frac.chars()).collect();
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_start_matches('0').trim_end_matches('0');
    // The point sits after `int` (shifted by the exponent); the first significant digit is
    // `leading` places in, so its exponent is one less than the digits before the point.
    let before_point = i64::try_from(int.len()).unwrap_or(0) + exponent.parse::<i64>().unwrap_or(0);
    let exponent = before_point - i64::try_from(leading).unwrap_or(0) - 1;
    let digits = if digits.is_empty() { "0" } else { digits };
    (digits.to_owned(), exponent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(v: &Value) -> String {
        String::from_utf8(to_vec(v)).expect("canonical JSON is UTF-8")
    }

    /// RFC 8785, Appendix B: IEEE 754 doubles and their canonical text.
    #[test]
    fn numbers_are_written_as_rfc_8785_appendix_b_lists_them() {
        let cases: [(u64, &str); 24] = [
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, expected) in cases {
            let x = f64::from_bits(bits);
            assert_eq!(es_number(x), expected, "{bits:#018x}");
            if let Some(n) = Number::from_f64(x) {
                assert_eq!(text(&Value::Number(n)), expected, "{bits:#018x} as a value");
            }
        }
    }

    #[test]
    fn integers_beyond_two_to_the_53_become_the_nearest_double() {
        assert_eq!(text(&json!(9007199254740993_u64)), "9007199254740992");
        assert_eq!(text(&json!(u64::MAX)), "18446744073709552000");
        assert_eq!(text(&json!(i64::MIN)), "-9223372036854776000");
        assert_eq!(text(&json!(-9007199254740992_i64)), "-9007199254740992");
        assert_eq!(text(&json!(12)), "12");
        assert_eq!(text(&json!(-3)), "-3");
        assert_eq!(text(&json!(4.5)), "4.5");
        assert_eq!(text(&json!(5.0)), "5");
    }

    /// RFC 8785, section 3.2.2 (the sample input of 3.2.1, serialised).
    #[test]
    fn the_rfc_8785_sample_serialises_as_the_rfc_shows() {
        // The RFC's own JSON text, read as a caller's JSON would be.
        let input: Value = serde_json::from_str(
            r#"{
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }"#,
        )
        .expect("the RFC's sample is JSON");
        assert_eq!(
            text(&input),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    /// RFC 8785, section 3.2.3: names sorted by UTF-16 code units, not by code points.
    #[test]
    fn names_sort_by_utf16_code_units_as_in_rfc_8785_section_3_2_3() {
        let input = json!({
            "\u{20ac}": "Euro Sign",
            "\r": "Carriage Return",
            "\u{fb33}": "Hebrew Letter Dalet With Dagesh",
            "1": "One",
            "\u{1f600}": "Emoji: Grinning Face",
            "\u{0080}": "Control",
            "\u{00f6}": "Latin Small Letter O With Diaeresis"
        });
        let expected = concat!(
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{0080}\":\"Control\",",
            "\"\u{00f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",",
            "\"\u{1f600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        );
        assert_eq!(text(&input), expected);
    }

    #[test]
    fn strings_escape_exactly_what_json_stringify_escapes() {
        let s = "a\u{0}\u{1f}\u{7f}\u{2028}\u{8}\t\n\u{b}\u{c}\r\"\\/é😀";
        assert_eq!(
            text(&json!(s)),
            "\"a\\u0000\\u001f\u{7f}\u{2028}\\b\\t\\n\\u000b\\f\\r\\\"\\\\/é😀\""
        );
    }
}
