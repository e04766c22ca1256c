//! What a policy change changes: every setting, with lists of ids compared as sets, and which of
//! them are guard rails (the settings whose change needs a second permanent admin).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::policy::Policy;

/// The guard rails: a change to any of these needs a second permanent admin's approval.
///
/// They are the settings that decide who keeps admin rights for good, how many org admins must
/// remain, whether drift is revoked, who may skip approval, who may approve, and which holders
/// are exempt from drift — each of them enough, on its own, to take over or lock out the org —
/// and the evidence pack (turning it off or trimming its high-risk actions hides what an
/// elevated admin did).
pub const GUARD_RAILS: [&str; 11] = [
    "permanentAdmins",
    "maxPermanentAdmins",
    "minOrgAdmins",
    "driftMode",
    "targets (adding or removing one)",
    "targets.*.access",
    "targets.*.approvers",
    "targets.*.requiredApprovals",
    "targets.*.breakGlass",
    "targets.*.standingHolders",
    "evidence",
];

/// Top-level policy fields that are guard rails.
const GUARD_FIELDS: [&str; 5] = [
    "permanentAdmins",
    "maxPermanentAdmins",
    "minOrgAdmins",
    "driftMode",
    "evidence",
];
/// Target fields that are guard rails.
const GUARD_TARGET_FIELDS: [&str; 5] = [
    "access",
    "approvers",
    "requiredApprovals",
    "breakGlass",
    "standingHolders",
];

/// One changed setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyDiff {
    /// `minOrgAdmins`, `targets.org-admin` (added or removed), `targets.org-admin.approvers`.
    pub path: String,
    /// Whether it is a guard rail.
    pub guard_rail: bool,
    /// The value before (`null`: absent).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub before: Value,
    /// The value after (`null`: absent).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub after: Value,
}

/// Every setting `after` changes against `before` (nothing before: everything is new), with
/// lists of ids compared as sets. Targets are matched by key; one added or removed is a single
/// entry. Defaults count as set, so writing out a default changes nothing.
pub fn diff(before: Option<&Policy>, after: &Policy) -> Vec<PolicyDiff> {
    let as_map = |p: Option<&Policy>| -> Map<String, Value> {
        match p.map(json_of) {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        }
    };
    let (old, new) = (as_map(before), as_map(Some(after)));
    let mut out = Vec::new();
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for key in keys {
        if key == "targets" {
            continue;
        }
        let (b, a) = (normal(old.get(key)), normal(new.get(key)));
        if b != a {
            out.push(PolicyDiff {
                path: key.clone(),
                guard_rail: GUARD_FIELDS.contains(&key.as_str()),
                before: b,
                after: a,
            });
        }
    }
    let targets = |m: &Map<String, Value>| -> Vec<(String, Map<String, Value>)> {
        m.get("targets")
            .and_then(Value::as_array)
            .map(|ts| {
                ts.iter()
                    .filter_map(|t| {
                        let o = t.as_object()?;
                        Some((o.get("key")?.as_str()?.to_owned(), o.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (old_t, new_t) = (targets(&old), targets(&new));
    for (key, o) in &old_t {
        if !new_t.iter().any(|(k, _)| k == key) {
            out.push(PolicyDiff {
                path: format!("targets.{key}"),
                guard_rail: true,
                before: normal(Some(&Value::Object(o.clone()))),
                after: Value::Null,
            });
        }
    }
    for (key, n) in &new_t {
        let Some((_, o)) = old_t.iter().find(|(k, _)| k == key) else {
            out.push(PolicyDiff {
                path: format!("targets.{key}"),
                guard_rail: true,
                before: Value::Null,
                after: normal(Some(&Value::Object(n.clone()))),
            });
            continue;
        };
        let fields: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
        for field in fields {
            let (b, a) = (normal(o.get(field)), normal(n.get(field)));
            if b != a {
                out.push(PolicyDiff {
                    path: format!("targets.{key}.{field}"),
                    guard_rail: GUARD_TARGET_FIELDS.contains(&field.as_str()),
                    before: b,
                    after: a,
                });
            }
        }
    }
    out
}

/// `value` as a JSON tree, written with the same serializer as the answers and read back: a
/// `serde_json::to_value` of the policy adds a second copy of its serialization code to the Wasm
/// module (measured: 5.3 KB).
fn json_of<T: Serialize>(value: &T) -> Value {
    crate::json::write::to_bytes(value, 4096)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
}

/// A value with its lists of ids sorted (their order means nothing), and absent as `null`.
fn normal(v: Option<&Value>) -> Value {
    match v {
        None => Value::Null,
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            let mut sorted: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            sorted.sort_unstable();
            sorted.dedup();
            Value::from(sorted)
        }
        Some(Value::Array(items)) => Value::Array(items.iter().map(|x| normal(Some(x))).collect()),
        Some(Value::Object(m)) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), normal(Some(x))))
                .collect(),
        ),
        Some(other) => other.clone(),
    }
}
