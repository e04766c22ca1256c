//! The text reader (`read_text`: JSON text straight into the typed input, no `Value` tree) reads
//! what `serde_json` reads, the same way: for any text near a valid `decide` input, it refuses
//! exactly the texts `serde_json` cannot parse (with `serde_json`'s message, at `input`), and
//! reads every other text to the value `serde_json` reads from it (numbers as JavaScript holds
//! them), or refuses it where `serde_json` refuses it too (`serde_json::from_value`, serde's own
//! `Value` deserializer, is the reference).
//! `PROPTEST_CASES=100000 cargo test --release --test text_reader` runs it longer.

use jit_admin_core::boundary::{as_javascript_numbers, read_text, Unread};
use jit_admin_core::{DecideInput, DecisionError, EvidenceInput, HealthInput};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const INPUTS: [&str; 4] = [
    include_str!("../contract/examples/01-submit.input.json"),
    include_str!("../contract/examples/02-approve.input.json"),
    include_str!("../contract/examples/07-approve-extension.input.json"),
    include_str!("../contract/examples/09-action-failed-revoke.input.json"),
];

/// Fragments that change what JSON text means: structure, escapes, the number forms JavaScript
/// reads alike, numbers it cannot hold, and the literals.
const FRAGMENTS: [&str; 30] = [
    ",",
    ":",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "\\",
    " ",
    "\n",
    "0",
    "-",
    ".",
    "e",
    "1",
    "60.0",
    "6e1",
    "-0",
    "1e400",
    "9007199254740993",
    "18446744073709551616",
    "null",
    "true",
    "\\u0041",
    "\\ud800",
    "\\n",
    "\u{1}",
    "é",
    r#""type":"tick","#,
    r#""grant":null,"#,
];

/// What serde_json makes of the text: not JSON (its message), or the input it reads (if any).
fn reference(text: &str) -> Result<Option<DecideInput>, String> {
    let mut value = serde_json::from_str::<Value>(text).map_err(|e| e.to_string())?;
    as_javascript_numbers(&mut value);
    Ok(serde_json::from_value::<DecideInput>(value).ok())
}

/// Whether any object in the text has a key twice (a `Value` keeps the last; a struct refuses).
fn has_duplicate_keys(text: &str) -> bool {
    #[derive(Default)]
    struct Dup(bool);
    impl<'de> serde::Deserialize<'de> for Dup {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Dup;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("any JSON")
                }
                fn visit_bool<E>(self, _: bool) -> Result<Dup, E> {
                    Ok(Dup(false))
                }
                fn visit_i64<E>(self, _: i64) -> Result<Dup, E> {
                    Ok(Dup(false))
                }
                fn visit_u64<E>(self, _: u64) -> Result<Dup, E> {
                    Ok(Dup(false))
                }
                fn visit_f64<E>(self, _: f64) -> Result<Dup, E> {
                    Ok(Dup(false))
                }
                fn visit_str<E>(self, _: &str) -> Result<Dup, E> {
                    Ok(Dup(false))
                }
                fn visit_unit<E>(self) -> Result<Dup, E> {
                    Ok(Dup(false))
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(
                    self,
                    mut a: A,
                ) -> Result<Dup, A::Error> {
                    let mut dup = false;
                    while let Some(Dup(d)) = a.next_element()? {
                        dup |= d;
                    }
                    Ok(Dup(dup))
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut a: A,
                ) -> Result<Dup, A::Error> {
                    let mut keys = std::collections::BTreeSet::new();
                    let mut dup = false;
                    while let Some((k, Dup(d))) = a.next_entry::<String, Dup>()? {
                        dup |= d || !keys.insert(k);
                    }
                    Ok(Dup(dup))
                }
            }
            d.deserialize_any(V)
        }
    }
    serde_json::from_str::<Dup>(text).is_ok_and(|d| d.0)
}

/// A valid input with up to three edits: a fragment inserted, a span deleted, or a span replaced
/// by a fragment, each at a character boundary.
fn near_valid() -> impl Strategy<Value = String> {
    let edit = (
        0..3u8,
        any::<prop::sample::Index>(),
        0..12usize,
        0..FRAGMENTS.len(),
    );
    (0..INPUTS.len(), prop::collection::vec(edit, 0..=3)).prop_map(|(which, edits)| {
        let mut text = INPUTS[which].to_owned();
        for (kind, at, len, fragment) in edits {
            let boundaries: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain([text.len()])
                .collect();
            let start = boundaries[at.index(boundaries.len())];
            let end = boundaries
                .iter()
                .copied()
                .find(|&b| b >= start + len)
                .unwrap_or(text.len());
            match kind {
                0 => text.insert_str(start, FRAGMENTS[fragment]),
                1 => text.replace_range(start..end, ""),
                _ => text.replace_range(start..end, FRAGMENTS[fragment]),
            }
        }
        text
    })
}

fn check(text: &str) -> Result<(), TestCaseError> {
    let read = read_text::<DecideInput>(text.as_bytes());
    match (reference(text), read) {
        (Err(message), Err(Unread::NotJson(e))) => {
            prop_assert_eq!(
                e,
                DecisionError::InvalidInput {
                    path: "input".into(),
                    message
                }
            );
        }
        (Err(message), other) => prop_assert!(false, "not JSON ({message}) but read as {other:?}"),
        (Ok(_), Err(Unread::NotJson(e))) => prop_assert!(false, "JSON refused as not JSON: {e:?}"),
        (Ok(Some(expected)), Ok(input)) => prop_assert_eq!(input, expected),
        (Ok(Some(_)), Err(Unread::Invalid(e))) => {
            prop_assert!(
                has_duplicate_keys(text),
                "serde_json reads it, refused: {e:?}"
            );
        }
        (Ok(None), Ok(input)) => prop_assert!(false, "serde_json refuses it, read as {input:?}"),
        (Ok(None), Err(Unread::Invalid(_))) => {}
    }
    Ok(())
}

#[test]
fn every_contract_input_is_read_as_serde_json_reads_it() {
    for text in INPUTS {
        assert!(read_text::<DecideInput>(text.as_bytes()).is_ok(), "{text}");
        check(text).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(2000)))]

    #[test]
    fn near_valid_text_is_read_as_serde_json_reads_it(text in near_valid()) {
        check(&text)?;
    }
}

/// What `read_text` makes of `text` next to what serde_json makes of it (numbers as JavaScript
/// holds them): the same input, or the error `read_text` gave.
fn read_both<T: DeserializeOwned + PartialEq + std::fmt::Debug>(
    text: &str,
) -> Result<T, DecisionError> {
    let mut value: Value = serde_json::from_str(text).expect("JSON");
    as_javascript_numbers(&mut value);
    let reference = serde_json::from_value::<T>(value);
    match read_text::<T>(text.as_bytes()) {
        Ok(read) => {
            assert_eq!(Some(&read), reference.as_ref().ok(), "{text}");
            Ok(read)
        }
        Err(Unread::Invalid(e)) => {
            assert!(reference.is_err(), "serde_json reads it, refused: {e:?}");
            Err(e)
        }
        Err(Unread::NotJson(e)) => panic!("JSON refused as not JSON: {e:?}"),
    }
}

fn path_of(e: DecisionError) -> String {
    match e {
        DecisionError::InvalidInput { path, .. } => path,
        other => panic!("not an input error: {other:?}"),
    }
}

const HEALTH: &str = r#"{"now":"2026-06-01T09:00:00Z","key":{"outcome":"ok","orgIds":["o"],"configuredOrgId":"o"},
    "directory":{"outcome":"ok","count":1},"roleEndpoints":{"outcome":"failed","error":{"code":"FORBIDDEN","message":"no"}},
    "targets":[],"queue":{"push":"ok"},"sweep":{"outcome":"ok"}}"#;

#[test]
fn evidence_and_health_inputs_are_read_as_serde_json_reads_them_with_the_bad_field_at_its_path() {
    let evidence = include_str!("../contract/examples/29-evidence-report.input.json");
    read_both::<EvidenceInput>(evidence).expect("the contract example reads");
    let mut bad: Value = serde_json::from_str(evidence).unwrap();
    bad["events"][1]["actorId"] = Value::from(5);
    let e = read_both::<EvidenceInput>(&bad.to_string()).unwrap_err();
    assert_eq!(path_of(e), "events[1].actorId");
    let mut bad: Value = serde_json::from_str(evidence).unwrap();
    bad["read"]["pages"] = Value::from(-1);
    let e = read_both::<EvidenceInput>(&bad.to_string()).unwrap_err();
    assert!(path_of(e).starts_with("read"), "{bad}");

    read_both::<HealthInput>(HEALTH).expect("a probe report reads");
    let mut bad: Value = serde_json::from_str(HEALTH).unwrap();
    bad["directory"]["count"] = Value::from("one");
    assert_eq!(
        path_of(read_both::<HealthInput>(&bad.to_string()).unwrap_err()),
        "directory.count"
    );
    let mut bad: Value = serde_json::from_str(HEALTH).unwrap();
    bad["queue"]["surprise"] = Value::from(1);
    assert_eq!(
        path_of(read_both::<HealthInput>(&bad.to_string()).unwrap_err()),
        "queue.surprise"
    );
}
