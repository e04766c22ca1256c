//! The audit trail: one record per decision, hash-chained so that a removed or edited record shows.
//!
//! A record's hash is the SHA-256 of its canonical JSON (RFC 8785) without the `hash` member, so
//! an auditor can recompute it with any JCS implementation (`core/CONTRACT.md`, "The audit
//! chain"). Records written before carry no `hashVersion` and were hashed over serde_json's
//! compact output in a fixed member order; they still verify, but a chain never goes back to
//! that form once it has left it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};
use sha2::{Digest, Sha256};

use crate::audit_event::AuditEvent;
use crate::json::canonical;
use crate::time::Timestamp;

/// The hash that the first record of a chain points back to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The `hashVersion` of every record the core writes: SHA-256 over the record's RFC 8785
/// canonical JSON without `hash`.
pub const HASH_VERSION: u32 = 2;

/// The version of records without `hashVersion` (written before [`HASH_VERSION`]): SHA-256 over
/// serde_json's compact JSON of `{seq, prevHash, at, actor, event, outcome, grantId?, issueKey?,
/// target?, details}` in that order, with the keys of `details`' objects sorted.
pub const LEGACY_HASH_VERSION: u32 = 1;

/// What happened, before it is placed in the chain.
// No `deny_unknown_fields` here or on `AuditRecord`: serde does not support it with `flatten`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// When.
    pub at: Timestamp,
    /// Who: an account id, or `system`.
    pub actor: String,
    /// The event (`approve`, `activate`, `sweep`, …), written as its name.
    pub event: AuditEvent,
    /// `accepted`, `refused` or `noted`.
    pub outcome: AuditOutcome,
    /// The grant, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub grant_id: Option<String>,
    /// The request issue, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub issue_key: Option<String>,
    /// The policy target, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub target: Option<String>,
    /// Facts specific to the event (state reached, window, error code, …).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    pub details: Map<String, Value>,
}

/// Whether the event was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum AuditOutcome {
    /// The event changed the grant.
    Accepted,
    /// The event was refused.
    Refused,
    /// A fact worth keeping (an action result, a sweep finding).
    Noted,
}

impl AuditOutcome {
    /// The outcome as it is serialised (and hashed).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Refused => "refused",
            Self::Noted => "noted",
        }
    }
}

/// A chained audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// The previous record's hash ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// SHA-256 (hex) of this record without this field.
    pub hash: String,
    /// How `hash` was computed: [`HASH_VERSION`] on every record the core writes; absent on
    /// records written before it ([`LEGACY_HASH_VERSION`]). It is itself hashed, so a record
    /// cannot be passed off as the older form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_version: Option<u32>,
    /// The entry.
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// The end of a chain: where the next record attaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditHead {
    /// The last record's `seq` (0 for an empty chain).
    pub seq: u64,
    /// The last record's hash.
    pub hash: String,
}

impl Default for AuditHead {
    fn default() -> Self {
        Self {
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
        }
    }
}

/// What a legacy (version 1) hash covers, in this member order; `details` keys come sorted from
/// serde_json's map.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LegacyHashed<'a> {
    seq: u64,
    prev_hash: &'a str,
    #[serde(flatten)]
    entry: &'a AuditEntry,
}

/// The hash of a record in the given version; `None` for a version this core does not know.
fn hash_of(version: u32, seq: u64, prev_hash: &str, entry: &AuditEntry) -> Option<String> {
    let bytes = match version {
        HASH_VERSION => canonical_bytes(seq, prev_hash, entry),
        // The same writer as every answer: one copy of serde_json's code for it in the module.
        LEGACY_HASH_VERSION => crate::json::write::to_bytes(
            &LegacyHashed {
                seq,
                prev_hash,
                entry,
            },
            512,
        )
        .unwrap_or_default(),
        _ => return None,
    };
    Some(hex(&Sha256::digest(&bytes)))
}

/// The RFC 8785 canonical JSON of the record without `hash`: its members written in the
/// canonical (sorted) order by hand, so the entry is not copied into a JSON value first.
fn canonical_bytes(seq: u64, prev_hash: &str, entry: &AuditEntry) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::with_capacity(512);
    let member = |out: &mut Vec<u8>, name: &[u8]| {
        out.push(if out.is_empty() { b'{' } else { b',' });
        out.push(b'"');
        out.extend_from_slice(name);
        out.extend_from_slice(b"\":");
    };
    member(&mut out, b"actor");
    canonical::write_str(&mut out, &entry.actor);
    member(&mut out, b"at");
    // A timestamp is digits, `-`, `:`, `T`, `.` and `Z`: nothing to escape.
    out.push(b'"');
    let _ = write!(out, "{}", entry.at);
    out.push(b'"');
    member(&mut out, b"details");
    canonical::write_object(&mut out, &entry.details);
    member(&mut out, b"event");
    canonical::write_str(&mut out, entry.event.as_str());
    if let Some(grant_id) = &entry.grant_id {
        member(&mut out, b"grantId");
        canonical::write_str(&mut out, grant_id);
    }
    member(&mut out, b"hashVersion");
    canonical::write_number(&mut out, &Number::from(HASH_VERSION));
    if let Some(issue_key) = &entry.issue_key {
        member(&mut out, b"issueKey");
        canonical::write_str(&mut out, issue_key);
    }
    member(&mut out, b"outcome");
    canonical::write_str(&mut out, entry.outcome.as_str());
    member(&mut out, b"prevHash");
    canonical::write_str(&mut out, prev_hash);
    member(&mut out, b"seq");
    canonical::write_number(&mut out, &Number::from(seq));
    if let Some(target) = &entry.target {
        member(&mut out, b"target");
        canonical::write_str(&mut out, target);
    }
    out.push(b'}');
    out
}

/// Lower-case hex of a digest (one `format!` per byte cost a sixth of a `decide`).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        for nibble in [b >> 4, b & 0xf] {
            out.push(char::from(
                DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    out
}

/// Builds an entry's `details` map from pairs.
pub(crate) fn details<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Appends entries to the chain that ends at `head`, returning the records and the new head.
pub fn chain(head: &AuditHead, entries: Vec<AuditEntry>) -> (Vec<AuditRecord>, AuditHead) {
    let mut seq = head.seq;
    let mut prev = head.hash.clone();
    let mut records = Vec::with_capacity(entries.len());
    for entry in entries {
        seq = seq.saturating_add(1);
        let hash = hash_of(HASH_VERSION, seq, &prev, &entry).unwrap_or_default();
        records.push(AuditRecord {
            seq,
            prev_hash: prev,
            hash: hash.clone(),
            hash_version: Some(HASH_VERSION),
            entry,
        });
        prev = hash;
    }
    (records, AuditHead { seq, hash: prev })
}

/// The result of verifying a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Whether every link holds.
    pub valid: bool,
    /// How many records were checked.
    pub checked: u64,
    /// The first broken link, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub first_broken: Option<BrokenLink>,
    /// The head of the verified prefix.
    pub head: AuditHead,
}

/// Where and why a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct BrokenLink {
    /// Index in the given list.
    pub index: u64,
    /// The record's claimed seq.
    pub seq: u64,
    /// What is wrong.
    pub reason: String,
}

/// Verifies records that continue the chain from `anchor` (the genesis when `None`), reporting
/// the first broken link: a gap in `seq`, a `prevHash` that does not match, a hash version that
/// is unknown or older than an earlier record's, or a record whose content no longer matches its
/// hash.
pub fn verify(records: &[AuditRecord], anchor: Option<&AuditHead>) -> Verification {
    let mut head = anchor.cloned().unwrap_or_default();
    let mut checked: u64 = 0;
    // The newest hash version seen so far: the chain may move up to a newer form, never back.
    let mut newest = LEGACY_HASH_VERSION;
    for (index, record) in records.iter().enumerate() {
        let index = u64::try_from(index).unwrap_or(u64::MAX);
        let broken = |reason: String| BrokenLink {
            index,
            seq: record.seq,
            reason,
        };
        let expected_seq = head.seq.saturating_add(1);
        let version = record.hash_version.unwrap_or(LEGACY_HASH_VERSION);
        let problem = if record.seq != expected_seq {
            Some(broken(format!(
                "expected seq {expected_seq}, found {}",
                record.seq
            )))
        } else if record.prev_hash != head.hash {
            Some(broken(
                "prevHash does not match the previous record's hash".to_owned(),
            ))
        } else if !matches!(record.hash_version, None | Some(HASH_VERSION)) {
            Some(broken(format!(
                "unknown hashVersion {version} (records of version {LEGACY_HASH_VERSION} carry none)"
            )))
        } else if version < newest {
            Some(broken(format!(
                "hash version {version} after version {newest}: a chain never returns to an older hash form"
            )))
        } else if hash_of(version, record.seq, &record.prev_hash, &record.entry).as_deref()
            != Some(record.hash.as_str())
        {
            Some(broken(
                "the record's content does not match its hash".to_owned(),
            ))
        } else {
            None
        };
        if let Some(first_broken) = problem {
            return Verification {
                valid: false,
                checked,
                first_broken: Some(first_broken),
                head,
            };
        }
        head = AuditHead {
            seq: record.seq,
            hash: record.hash.clone(),
        };
        newest = version;
        checked = checked.saturating_add(1);
    }
    Verification {
        valid: true,
        checked,
        first_broken: None,
        head,
    }
}

/// Like [`verify`], and also checks that the chain ends where the store says it does: a record
/// removed from the end leaves every remaining link intact, so only the head can reveal it.
pub fn verify_to(
    records: &[AuditRecord],
    anchor: Option<&AuditHead>,
    expected: Option<&AuditHead>,
) -> Verification {
    let mut v = verify(records, anchor);
    if let (true, Some(expected)) = (v.valid, expected) {
        if *expected != v.head {
            v.valid = false;
            v.first_broken = Some(BrokenLink {
                index: v.checked,
                seq: v.head.seq.saturating_add(1),
                reason: format!(
                    "the chain ends at seq {} but its head is at seq {}: records are missing from the end",
                    v.head.seq, expected.seq
                ),
            });
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(event: &str) -> AuditEntry {
        AuditEntry {
            at: Timestamp::parse("2026-01-01T00:00:00Z").expect("valid"),
            actor: "alice".into(),
            event: AuditEvent::from_name(event),
            outcome: AuditOutcome::Accepted,
            grant_id: Some("REQ-1".into()),
            issue_key: Some("REQ-1".into()),
            target: Some("org-admin".into()),
            details: Map::new(),
        }
    }

    #[test]
    fn a_fresh_chain_verifies() {
        let (records, head) = chain(&AuditHead::default(), vec![entry("a"), entry("b")]);
        let v = verify(&records, None);
        assert!(v.valid);
        assert_eq!(v.checked, 2);
        assert_eq!(v.head, head);
    }

    #[test]
    fn an_edited_record_is_reported_as_the_first_broken_link() {
        let (mut records, _) = chain(
            &AuditHead::default(),
            vec![entry("a"), entry("b"), entry("c")],
        );
        records[1].entry.actor = "mallory".into();
        let v = verify(&records, None);
        assert!(!v.valid);
        assert_eq!(v.first_broken.map(|b| b.seq), Some(2));
    }

    #[test]
    fn a_removed_record_is_reported() {
        let (mut records, _) = chain(
            &AuditHead::default(),
            vec![entry("a"), entry("b"), entry("c")],
        );
        records.remove(1);
        let v = verify(&records, None);
        assert_eq!(v.first_broken.map(|b| b.index), Some(1));
    }

    #[test]
    fn records_cut_from_the_end_show_against_the_stored_head() {
        let (mut records, head) = chain(
            &AuditHead::default(),
            vec![entry("a"), entry("b"), entry("c")],
        );
        assert!(verify_to(&records, None, Some(&head)).valid);
        records.pop();
        let v = verify_to(&records, None, Some(&head));
        assert!(!v.valid);
        assert_eq!(v.first_broken.map(|b| b.seq), Some(3));
    }

    #[test]
    fn a_chain_continues_from_an_anchor() {
        let (first, head) = chain(&AuditHead::default(), vec![entry("a")]);
        let (second, _) = chain(&head, vec![entry("b")]);
        assert!(verify(&second, Some(&head)).valid);
        assert!(!verify(&second, None).valid);
        assert!(verify(&[first, second].concat(), None).valid);
    }

    /// Today's contract examples before RFC 8785 (contract 2, records without `hashVersion`).
    fn legacy_chain() -> Vec<AuditRecord> {
        serde_json::from_str(include_str!("../tests/fixtures/audit-chain-v1.json"))
            .expect("fixture")
    }

    #[test]
    fn new_records_carry_hash_version_2_over_their_canonical_json_without_hash() {
        let mut e = entry("a");
        e.details.insert("zeta".into(), Value::from(-1));
        e.details.insert(
            "alpha".into(),
            serde_json::json!({"b": "\u{1f600}\"\n", "a": [1, null, true]}),
        );
        e.issue_key = None;
        let (records, _) = chain(&AuditHead::default(), vec![e]);
        assert_eq!(records[0].hash_version, Some(HASH_VERSION));
        // The generic canonicalisation of the record as serialised, without `hash`.
        let mut value = serde_json::to_value(&records[0]).expect("serialises");
        let object = value.as_object_mut().expect("an object");
        object.remove("hash");
        assert!(object.contains_key("hashVersion") && !object.contains_key("issueKey"));
        let expected = hex(&Sha256::digest(canonical::to_vec(&value)));
        assert_eq!(records[0].hash, expected);
    }

    #[test]
    fn a_chain_hashed_the_legacy_way_still_verifies() {
        let records = legacy_chain();
        assert!(records.iter().all(|r| r.hash_version.is_none()));
        let v = verify(&records, None);
        assert!(v.valid, "{v:?}");
        assert_eq!(v.checked, 14);
        let mut edited = records;
        edited[3].entry.actor = "mallory".into();
        assert_eq!(verify(&edited, None).first_broken.map(|b| b.seq), Some(4));
    }

    #[test]
    fn a_legacy_chain_continues_in_the_new_form() {
        let mut records = legacy_chain();
        let anchor = verify(&records, None).head;
        let (newer, head) = chain(&anchor, vec![entry("a"), entry("b")]);
        records.extend(newer);
        let v = verify(&records, None);
        assert!(v.valid, "{v:?}");
        assert_eq!(v.head, head);
    }

    #[test]
    fn a_chain_never_goes_back_to_the_legacy_form() {
        let (first, head) = chain(&AuditHead::default(), vec![entry("a")]);
        // A legacy record, correctly hashed and linked, after a new one.
        let entry = entry("b");
        let hash = hash_of(LEGACY_HASH_VERSION, 2, &head.hash, &entry).expect("known version");
        let legacy = AuditRecord {
            seq: 2,
            prev_hash: head.hash.clone(),
            hash,
            hash_version: None,
            entry,
        };
        assert!(verify(std::slice::from_ref(&legacy), Some(&head)).valid);
        let v = verify(&[first[0].clone(), legacy], None);
        let broken = v.first_broken.expect("refused");
        assert_eq!(broken.seq, 2);
        assert!(broken.reason.contains("never returns"), "{}", broken.reason);
    }

    #[test]
    fn a_record_stripped_of_its_hash_version_no_longer_verifies() {
        let (mut records, _) = chain(&AuditHead::default(), vec![entry("a")]);
        records[0].hash_version = None;
        let v = verify(&records, None);
        assert_eq!(
            v.first_broken.map(|b| b.reason),
            Some("the record's content does not match its hash".to_owned())
        );
    }

    #[test]
    fn an_unknown_hash_version_is_refused() {
        for version in [0, 1, 3] {
            let (mut records, _) = chain(&AuditHead::default(), vec![entry("a")]);
            records[0].hash_version = Some(version);
            let v = verify(&records, None);
            let reason = v.first_broken.map(|b| b.reason).unwrap_or_default();
            assert!(
                reason.contains("unknown hashVersion"),
                "{version}: {reason}"
            );
        }
    }

    #[test]
    fn records_survive_a_json_round_trip_with_their_hashes_intact() {
        let mut e = entry("a");
        e.details.insert("zeta".into(), Value::from(1));
        e.details.insert("alpha".into(), Value::from("x"));
        let (records, _) = chain(&AuditHead::default(), vec![e]);
        let text = serde_json::to_string(&records).expect("serialises");
        let back: Vec<AuditRecord> = serde_json::from_str(&text).expect("parses");
        assert!(verify(&back, None).valid);
    }
}
