//! The audit trail: one record per decision, hash-chained so that a removed or edited record shows.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::audit_event::AuditEvent;
use crate::time::Timestamp;

/// The hash that the first record of a chain points back to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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

/// The part of a record the hash covers. Field order is fixed by this struct and `details`
/// keys are sorted, so the same record always hashes the same.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Hashed<'a> {
    seq: u64,
    prev_hash: &'a str,
    #[serde(flatten)]
    entry: &'a AuditEntry,
}

fn hash_of(seq: u64, prev_hash: &str, entry: &AuditEntry) -> String {
    let bytes = crate::json::write::to_bytes(
        &Hashed {
            seq,
            prev_hash,
            entry,
        },
        512,
    )
    .unwrap_or_default();
    hex(&Sha256::digest(&bytes))
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
        let hash = hash_of(seq, &prev, &entry);
        records.push(AuditRecord {
            seq,
            prev_hash: prev,
            hash: hash.clone(),
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
/// the first broken link: a gap in `seq`, a `prevHash` that does not match, or a record whose
/// content no longer matches its hash.
pub fn verify(records: &[AuditRecord], anchor: Option<&AuditHead>) -> Verification {
    let mut head = anchor.cloned().unwrap_or_default();
    let mut checked: u64 = 0;
    for (index, record) in records.iter().enumerate() {
        let index = u64::try_from(index).unwrap_or(u64::MAX);
        let broken = |reason: String| BrokenLink {
            index,
            seq: record.seq,
            reason,
        };
        let expected_seq = head.seq.saturating_add(1);
        let problem = if record.seq != expected_seq {
            Some(broken(format!(
                "expected seq {expected_seq}, found {}",
                record.seq
            )))
        } else if record.prev_hash != head.hash {
            Some(broken(
                "prevHash does not match the previous record's hash".to_owned(),
            ))
        } else if hash_of(record.seq, &record.prev_hash, &record.entry) != record.hash {
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
