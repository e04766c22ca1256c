//! The examples of `core/CONTRACT.md`, kept honest.
//!
//! The story below is the source of every example: each step builds its input, usually from an
//! earlier step's output (the grant it stored, the audit head it reached, the action it issued).
//! `contract/examples/<name>.input.json` and `.output.json` hold the result, and CONTRACT.md
//! embeds both in fenced blocks tagged `json <name>.input` / `json <name>.output`.
//!
//! `examples_match_the_core` fails when any of these drifts: an input file that is not what its
//! step builds, an output that the core no longer produces, a markdown block that differs from
//! its file, or a file or block without a step. After a deliberate change, regenerate with
//! `cargo test -p jit-admin-core --test contract_examples -- --ignored regenerate`
//! and review the diff.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use jit_admin_core::boundary;
use serde_json::{json, Map, Value};

#[derive(Clone, Copy, Debug)]
enum Export {
    Decide,
    Sweep,
    View,
    ValidatePolicy,
    VerifyAudit,
    GuardRevocation,
    PolicyChange,
    AuthorizeAdmin,
    ExplainHolders,
    /// No input: `version()` takes none.
    Version,
}

type Outputs = BTreeMap<&'static str, Value>;

struct Step {
    name: &'static str,
    export: Export,
    input: fn(&Outputs) -> Value,
}

// ---- the story -------------------------------------------------------------------------------

fn policy() -> Value {
    json!({
        "permanentAdmins": ["dana"],
        "minOrgAdmins": 1,
        "driftMode": "report",
        "alertIssueKey": "OPS-7",
        "targets": [
            {
                "key": "org-admin", "label": "Organization admin",
                "access": {"type": "orgRole", "role": "atlassian/org-admin"},
                "requesters": {"groupIds": ["g-engineers"]},
                "approvers": {"accountIds": ["bob", "carol"]},
                "defaultDurationMinutes": 60, "maxDurationMinutes": 120, "maxExtensions": 2,
                "justification": {"required": true, "minLength": 10}
            },
            {
                "key": "site-admin", "label": "Jira site admin",
                "access": {"type": "resourceRole", "role": "atlassian/site-admin", "resource": "ari:cloud:jira::site/7f3c2d1e"},
                "requesters": {"groupIds": ["g-engineers"]},
                "approvers": {"accountIds": ["bob", "carol"]}
            },
            {
                "key": "jira-admins", "label": "jira-admins group",
                "access": {"type": "groupMembership", "groupId": "5d2c9e71", "groupName": "jira-admins"},
                "requesters": {"groupIds": ["g-engineers"]},
                "approvers": {"accountIds": ["bob", "carol"]}
            }
        ]
    })
}

fn alice() -> Value {
    json!({"accountId": "alice", "groupIds": ["g-engineers"]})
}

fn person(id: &str) -> Value {
    json!({"accountId": id, "groupIds": []})
}

fn out<'a>(o: &'a Outputs, name: &str) -> &'a Value {
    o.get(name)
        .unwrap_or_else(|| panic!("step `{name}` must come before the steps that use it"))
}

fn grant_of(o: &Outputs, name: &str) -> Value {
    out(o, name)["grant"].clone()
}

fn head_of(o: &Outputs, name: &str) -> Value {
    out(o, name)["auditHead"].clone()
}

fn action_of(o: &Outputs, name: &str, kind: &str) -> Value {
    out(o, name)["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["type"] == kind))
        .cloned()
        .unwrap_or_else(|| panic!("step `{name}` issued no `{kind}` action"))
}

/// A `decide` input: the story's policy, plus what the step says.
fn decide(
    now: &str,
    actor: Option<Value>,
    event: Value,
    grant: Option<Value>,
    head: Option<Value>,
) -> Value {
    let mut input = Map::new();
    input.insert("policy".into(), policy());
    if let Some(g) = grant {
        input.insert("grant".into(), g);
    }
    input.insert("event".into(), event);
    if let Some(a) = actor {
        input.insert("actor".into(), a);
    }
    input.insert("now".into(), Value::from(now));
    if let Some(h) = head {
        input.insert("auditHead".into(), h);
    }
    Value::Object(input)
}

/// A step that continues from `from`: its grant and its audit head.
fn after(from: &str, o: &Outputs, now: &str, actor: Option<Value>, event: Value) -> Value {
    decide(
        now,
        actor,
        event,
        Some(grant_of(o, from)),
        Some(head_of(o, from)),
    )
}

fn story() -> Vec<Step> {
    vec![
        // The main line: one grant from request to verified removal.
        Step {
            name: "01-submit",
            export: Export::Decide,
            input: |_| {
                let mut i = decide(
                    "2026-06-01T11:00:00+02:00",
                    Some(alice()),
                    json!({"type": "submit", "grantId": "g-1001", "issueKey": "ACCESS-42", "target": "org-admin",
                           "durationMinutes": 60, "justification": "Rotate the SAML signing certificate (INC-4711)"}),
                    None,
                    None,
                );
                i["context"] = json!({"openGrants": [{"id": "g-0990", "subject": "alice", "target": "site-admin"}]});
                i
            },
        },
        Step {
            name: "02-approve",
            export: Export::Decide,
            // The requester's groups: alice may request through `g-engineers`, and an approval
            // re-checks that she still may.
            input: |o| {
                let mut i = after(
                    "01-submit",
                    o,
                    "2026-06-01T09:05:00Z",
                    Some(person("bob")),
                    json!({"type": "approve"}),
                );
                i["context"] = json!({"requester": alice()});
                i
            },
        },
        Step {
            name: "03-activate",
            export: Export::Decide,
            input: |o| {
                after(
                    "02-approve",
                    o,
                    "2026-06-01T09:10:00Z",
                    Some(alice()),
                    json!({"type": "activate"}),
                )
            },
        },
        Step {
            name: "04-action-succeeded-grant",
            export: Export::Decide,
            input: |o| {
                let event = json!({"type": "actionSucceeded", "action": action_of(o, "03-activate", "grant")});
                after("03-activate", o, "2026-06-01T09:10:04.250Z", None, event)
            },
        },
        Step {
            name: "05-request-extension",
            export: Export::Decide,
            input: |o| {
                let event = json!({"type": "requestExtension", "minutes": 30,
                                   "justification": "Certificate still propagating to two IdP apps"});
                after(
                    "04-action-succeeded-grant",
                    o,
                    "2026-06-01T09:50:00Z",
                    Some(alice()),
                    event,
                )
            },
        },
        Step {
            name: "06-refused-same-approver",
            export: Export::Decide,
            input: |o| {
                let mut i = after(
                    "05-request-extension",
                    o,
                    "2026-06-01T09:52:00Z",
                    Some(person("bob")),
                    json!({"type": "approveExtension"}),
                );
                i["source"] = json!("workflow");
                i
            },
        },
        Step {
            name: "07-approve-extension",
            export: Export::Decide,
            // The refusal stored no grant; the chain goes on from the refusal's record.
            input: |o| {
                let mut i = decide(
                    "2026-06-01T09:55:00Z",
                    Some(person("carol")),
                    json!({"type": "approveExtension"}),
                    Some(grant_of(o, "05-request-extension")),
                    Some(head_of(o, "06-refused-same-approver")),
                );
                i["context"] = json!({"requester": alice()});
                i
            },
        },
        Step {
            name: "08-complete",
            export: Export::Decide,
            input: |o| {
                after(
                    "07-approve-extension",
                    o,
                    "2026-06-01T10:20:00Z",
                    Some(alice()),
                    json!({"type": "complete"}),
                )
            },
        },
        Step {
            name: "09-action-failed-revoke",
            export: Export::Decide,
            input: |o| {
                let event = json!({"type": "actionFailed", "action": action_of(o, "08-complete", "revoke"),
                                   "error": {"code": "RATE_LIMITED", "message": "429 Too Many Requests", "retryable": true}});
                after("08-complete", o, "2026-06-01T10:20:03Z", None, event)
            },
        },
        Step {
            name: "10-tick",
            export: Export::Decide,
            input: |o| {
                let at = action_of(o, "09-action-failed-revoke", "wake")["at"].clone();
                let at = at.as_str().expect("a wake has a time").to_owned();
                after(
                    "09-action-failed-revoke",
                    o,
                    &at,
                    None,
                    json!({"type": "tick"}),
                )
            },
        },
        Step {
            name: "11-action-succeeded-revoke",
            export: Export::Decide,
            input: |o| {
                let event =
                    json!({"type": "actionSucceeded", "action": action_of(o, "10-tick", "revoke")});
                after("10-tick", o, "2026-06-01T10:20:35Z", None, event)
            },
        },
        // Other paths, each branching from a step of the main line.
        Step {
            name: "12-reject",
            export: Export::Decide,
            input: |o| {
                after(
                    "01-submit",
                    o,
                    "2026-06-01T09:04:00Z",
                    Some(person("bob")),
                    json!({"type": "reject", "reason": "The rotation is scheduled for Thursday"}),
                )
            },
        },
        Step {
            name: "13-cancel",
            export: Export::Decide,
            input: |o| {
                after(
                    "02-approve",
                    o,
                    "2026-06-01T09:07:00Z",
                    Some(alice()),
                    json!({"type": "cancel"}),
                )
            },
        },
        Step {
            name: "14-reject-extension",
            export: Export::Decide,
            input: |o| {
                after(
                    "05-request-extension",
                    o,
                    "2026-06-01T09:53:00Z",
                    Some(person("carol")),
                    json!({"type": "rejectExtension", "reason": "Finish tomorrow in a new window"}),
                )
            },
        },
        Step {
            name: "15-revoke",
            export: Export::Decide,
            input: |o| {
                after(
                    "07-approve-extension",
                    o,
                    "2026-06-01T10:00:00Z",
                    Some(person("dana")),
                    json!({"type": "revoke", "reason": "Unexpected admin API calls"}),
                )
            },
        },
        Step {
            name: "16-invalid-input",
            export: Export::Decide,
            input: |_| {
                decide(
                    "2026-06-01T09:00:00Z",
                    Some(alice()),
                    json!({"type": "submit", "grantId": "g-1002", "issueKey": "ACCESS-43", "target": "org-admin",
                       "durationMinutes": "sixty", "justification": "Rotate the SAML signing certificate"}),
                    None,
                    None,
                )
            },
        },
        // The other exports.
        Step {
            name: "17-sweep",
            export: Export::Sweep,
            input: |o| {
                json!({
                    "policy": policy(),
                    "grants": [grant_of(o, "11-action-succeeded-revoke")],
                    "snapshot": {"complete": true, "targets": [
                        {"target": "org-admin", "complete": true, "holders": ["alice", "dana", "mallory"],
                         "viaGroups": [{"groupId": "g-legacy-admins", "groupName": "org-admins", "accountIds": ["oscar"]}]},
                        {"target": "site-admin", "complete": false, "holders": ["frank"]},
                        {"target": "jira-admins", "complete": true, "externallySynced": true, "holders": ["gina"]}
                    ]},
                    "now": "2026-06-01T10:40:00Z",
                    "auditHead": head_of(o, "11-action-succeeded-revoke"),
                    "previousFingerprint": null
                })
            },
        },
        Step {
            name: "18-guard-revocation",
            export: Export::GuardRevocation,
            input: |o| {
                json!({
                    "policy": policy(),
                    "action": action_of(o, "17-sweep", "revoke"),
                    "orgAdmins": {"target": "org-admin", "complete": true, "holders": ["alice", "dana", "mallory"]}
                })
            },
        },
        Step {
            name: "19-action-succeeded-sweep-revoke",
            export: Export::Decide,
            // A revoke the sweep issued belongs to no grant: its result is only recorded.
            input: |o| {
                let event = json!({"type": "actionSucceeded", "action": action_of(o, "17-sweep", "revoke")});
                decide(
                    "2026-06-01T10:40:06Z",
                    None,
                    event,
                    None,
                    Some(head_of(o, "17-sweep")),
                )
            },
        },
        Step {
            name: "20-guard-revocation-refused",
            export: Export::GuardRevocation,
            input: |o| {
                json!({
                    "policy": policy(),
                    "action": action_of(o, "08-complete", "revoke"),
                    "orgAdmins": {"target": "org-admin", "complete": true, "holders": ["alice"]}
                })
            },
        },
        Step {
            name: "21-view",
            export: Export::View,
            input: |o| {
                json!({
                    "policy": policy(),
                    "grant": grant_of(o, "05-request-extension"),
                    "viewer": person("bob"),
                    "now": "2026-06-01T09:51:00Z",
                    "requester": alice()
                })
            },
        },
        Step {
            name: "22-validate-policy",
            export: Export::ValidatePolicy,
            input: |_| {
                json!({"policy": {
                    "permanentAdmins": [],
                    "targets": [{
                        "key": "Org Admin", "label": "Organization admin",
                        "access": {"type": "orgRole", "role": "atlassian/site-admin"},
                        "requesters": {"groupIds": ["g-engineers"]},
                        "approvers": {"accountIds": ["bob"]},
                        "defaultDurationMinutes": 480, "maxDurationMinutes": 240
                    }]
                }})
            },
        },
        Step {
            name: "23-policy-change",
            export: Export::PolicyChange,
            input: |o| {
                let mut proposed = policy();
                proposed["driftMode"] = json!("enforce");
                proposed["targets"][0]["maxDurationMinutes"] = json!(90);
                json!({
                    "command": {"type": "save", "policy": proposed, "expectedVersion": 1},
                    "actor": "dana",
                    "jiraAdmin": true,
                    "orgAdmins": {"complete": false, "holders": ["dana"]},
                    "current": {
                        "policy": policy(), "version": 1,
                        "updatedAt": "2026-06-01T08:00:00Z", "updatedBy": "dana"
                    },
                    "now": "2026-06-01T10:45:00Z",
                    "auditHead": head_of(o, "19-action-succeeded-sweep-revoke")
                })
            },
        },
        Step {
            name: "24-verify-audit",
            export: Export::VerifyAudit,
            input: |o| {
                // The main line's records with the SAME_APPROVER refusal (seq 6) taken out.
                let records: Vec<Value> = main_line_records(o)
                    .into_iter()
                    .filter(|r| r["seq"] != 6)
                    .collect();
                json!({"records": records})
            },
        },
        Step {
            name: "25-version",
            export: Export::Version,
            input: |_| Value::Null,
        },
        Step {
            name: "26-policy-check",
            export: Export::Decide,
            // The kill switch: alice's request was approved, then the engineers group was taken off
            // the org-admin requesters. Her groups, as the wrapper read them, no longer qualify.
            input: |o| {
                let mut i = after(
                    "02-approve",
                    o,
                    "2026-06-01T09:06:00Z",
                    None,
                    json!({"type": "policyCheck"}),
                );
                i["policy"]["targets"][0]["requesters"] = json!({"accountIds": ["erin"]});
                i["context"] = json!({"requester": alice()});
                i
            },
        },
        Step {
            name: "27-authorize-admin",
            export: Export::AuthorizeAdmin,
            input: |o| {
                json!({
                    "call": "getPolicy",
                    "actor": "carol",
                    "jiraAdmin": true,
                    "current": {
                        "policy": policy(), "version": 1,
                        "updatedAt": "2026-06-01T08:00:00Z", "updatedBy": "dana"
                    },
                    "pending": out(o, "23-policy-change")["change"].clone(),
                    "now": "2026-06-01T11:00:00Z"
                })
            },
        },
        Step {
            name: "28-explain-holders",
            export: Export::ExplainHolders,
            // Who holds org admin while alice's grant is active (after 04), and why.
            input: |o| {
                json!({
                    "policy": policy(),
                    "grants": [grant_of(o, "04-action-succeeded-grant")],
                    "snapshot": {"complete": true, "targets": [
                        {"target": "org-admin", "complete": true, "holders": ["alice", "dana", "mallory"],
                         "viaGroups": [{"groupId": "g-legacy-admins", "groupName": "org-admins", "accountIds": ["oscar"]}]}
                    ]},
                    "now": "2026-06-01T09:30:00Z"
                })
            },
        },
    ]
}

const MAIN_LINE: [&str; 11] = [
    "01-submit",
    "02-approve",
    "03-activate",
    "04-action-succeeded-grant",
    "05-request-extension",
    "06-refused-same-approver",
    "07-approve-extension",
    "08-complete",
    "09-action-failed-revoke",
    "10-tick",
    "11-action-succeeded-revoke",
];

fn main_line_records(o: &Outputs) -> Vec<Value> {
    MAIN_LINE
        .iter()
        .flat_map(|name| {
            out(o, name)["audit"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

// ---- running ---------------------------------------------------------------------------------

fn answer(export: Export, input: &str) -> String {
    match export {
        Export::Decide => boundary::decide_json(input),
        Export::Sweep => boundary::sweep_json(input),
        Export::View => boundary::view_json(input),
        Export::ValidatePolicy => boundary::validate_policy_json(input),
        Export::VerifyAudit => boundary::verify_audit_json(input),
        Export::GuardRevocation => boundary::guard_revocation_json(input),
        Export::PolicyChange => boundary::policy_change_json(input),
        Export::AuthorizeAdmin => boundary::authorize_admin_json(input),
        Export::ExplainHolders => boundary::explain_holders_json(input),
        Export::Version => boundary::version_value().to_string(),
    }
}

fn run(export: Export, input: &str) -> Value {
    serde_json::from_str(&answer(export, input)).expect("every answer is JSON")
}

fn has_input(export: Export) -> bool {
    !matches!(export, Export::Version)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn examples_dir() -> PathBuf {
    root().join("contract").join("examples")
}

fn file(name: &str, side: &str) -> PathBuf {
    examples_dir().join(format!("{name}.{side}.json"))
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ---- the markdown ----------------------------------------------------------------------------

/// The fenced blocks tagged `json <name>.<side>`: tag → (first content line, last + 1).
fn tagged_blocks(markdown: &str) -> BTreeMap<String, Vec<(usize, usize)>> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut blocks: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some(tag) = lines[i].trim_start().strip_prefix("```json ") {
            let start = i + 1;
            let mut end = start;
            while end < lines.len() && lines[end].trim() != "```" {
                end += 1;
            }
            blocks
                .entry(tag.trim().to_owned())
                .or_default()
                .push((start, end));
            i = end;
        }
        i += 1;
    }
    blocks
}

fn tags(steps: &[Step]) -> BTreeSet<String> {
    steps
        .iter()
        .flat_map(|s| {
            let mut t = vec![format!("{}.output", s.name)];
            if has_input(s.export) {
                t.push(format!("{}.input", s.name));
            }
            t
        })
        .collect()
}

// ---- formatting -----------------------------------------------------------------------------
//
// Files and blocks are indented JSON with short objects and arrays kept on one line, and keys in
// the order the Rust types declare them (the core itself answers with sorted keys): each object
// is matched to the core type it reads as, and that type's serialization gives the order.

const WIDTH: usize = 100;

/// JSON that remembers the order of its keys.
enum Node {
    Leaf(Value),
    List(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> serde::de::Visitor<'de> for NodeVisitor {
    type Value = Node;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Leaf(Value::from(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Leaf(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Leaf(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Leaf(Value::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Leaf(Value::from(v)))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Leaf(Value::Null))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::List(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }
}

fn node(text: &str) -> Node {
    serde_json::from_str(text).expect("JSON")
}

/// The field order of the core type that `v` reads as, if any.
fn shape(v: &Value) -> Option<Node> {
    fn as_<T: serde::de::DeserializeOwned + serde::Serialize>(v: &Value) -> Option<Node> {
        let typed: T = serde_json::from_value(v.clone()).ok()?;
        let template = node(&serde_json::to_string(&typed).ok()?);
        let Node::Map(entries) = &template else {
            return None;
        };
        let fits = v
            .as_object()?
            .keys()
            .all(|k| entries.iter().any(|(t, _)| t == k));
        fits.then_some(template)
    }
    use jit_admin_core as core;
    as_::<core::DecideInput>(v)
        .or_else(|| as_::<core::SweepInput>(v))
        .or_else(|| as_::<core::ViewInput>(v))
        .or_else(|| as_::<core::GuardInput>(v))
        .or_else(|| as_::<boundary::VerifyInput>(v))
        .or_else(|| as_::<boundary::ValidateInput>(v))
        .or_else(|| as_::<core::Decision>(v))
        .or_else(|| as_::<core::SweepOutcome>(v))
        .or_else(|| as_::<core::View>(v))
        .or_else(|| as_::<core::Verification>(v))
        .or_else(|| as_::<core::GuardOutcome>(v))
        .or_else(|| as_::<core::PolicyChangeInput>(v))
        .or_else(|| as_::<core::AdminAccessInput>(v))
        .or_else(|| as_::<core::PolicyChangeDecision>(v))
        .or_else(|| as_::<core::AdminAccess>(v))
        .or_else(|| as_::<core::PendingPolicyChange>(v))
        .or_else(|| as_::<core::PolicyState>(v))
        .or_else(|| as_::<core::PolicyDiff>(v))
        .or_else(|| as_::<core::Policy>(v))
        .or_else(|| as_::<core::Grant>(v))
        .or_else(|| as_::<core::Event>(v))
        .or_else(|| as_::<core::Action>(v))
        .or_else(|| as_::<core::AuditRecord>(v))
        .or_else(|| as_::<core::ErrorBody>(v))
        .or_else(|| as_::<core::ActionError>(v))
        .or_else(|| as_::<core::PolicyProblem>(v))
        .or_else(|| as_::<core::Actor>(v))
}

/// Keys that lead an object the core types do not describe (an answer's envelope).
const LEADING: [&str; 8] = [
    "ok", "error", "valid", "problems", "checked", "allowed", "event", "actor",
];

/// `v` with its keys in the order of `template`, or of the type it reads as; other keys follow,
/// `type` first, then alphabetically.
fn ordered(v: &Value, template: Option<&Node>) -> Node {
    match v {
        Value::Object(map) => {
            let guessed = match template {
                Some(_) => None,
                None => shape(v),
            };
            let known: Vec<(&str, &Node)> = match template.or(guessed.as_ref()) {
                Some(Node::Map(entries)) => entries.iter().map(|(k, n)| (k.as_str(), n)).collect(),
                _ => Vec::new(),
            };
            let mut entries: Vec<(String, Node)> = known
                .iter()
                .filter_map(|(k, n)| map.get(*k).map(|x| ((*k).to_owned(), ordered(x, Some(n)))))
                .collect();
            let mut rest: Vec<(&String, &Value)> = map
                .iter()
                .filter(|(k, _)| !known.iter().any(|(t, _)| t == k))
                .collect();
            rest.sort_by_key(|(k, _)| (k.as_str() != "type", k.as_str()));
            entries.extend(rest.into_iter().map(|(k, x)| (k.clone(), ordered(x, None))));
            if known.is_empty() {
                entries.sort_by_key(|(k, _)| {
                    LEADING.iter().position(|l| l == k).unwrap_or(LEADING.len())
                });
            }
            Node::Map(entries)
        }
        Value::Array(items) => Node::List(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    let t = match template {
                        Some(Node::List(l)) => l.get(i),
                        _ => None,
                    };
                    ordered(x, t)
                })
                .collect(),
        ),
        other => Node::Leaf(other.clone()),
    }
}

/// An answer: `ok` first, then the body in the order of the type it reads as.
fn output_node(answer: &Value) -> Node {
    let mut body = answer.clone();
    let ok = body.as_object_mut().and_then(|m| m.remove("ok"));
    let Node::Map(mut entries) = ordered(&body, None) else {
        return ordered(answer, None);
    };
    if let Some(ok) = ok {
        entries.insert(0, ("ok".to_owned(), Node::Leaf(ok)));
    }
    Node::Map(entries)
}

const TOP_ORDER: [&str; 22] = [
    "command",
    "call",
    "event",
    "actor",
    "jiraAdmin",
    "viewer",
    "now",
    "source",
    "context",
    "action",
    "orgAdmins",
    "snapshot",
    "previousFingerprint",
    "records",
    "anchor",
    "auditHead",
    "bootstrapAdmins",
    "grant",
    "grants",
    "policy",
    "current",
    "pending",
];

/// An input: the small, telling fields first (event, actor, now, …), policy and grant last.
fn input_node(input: &Value) -> Node {
    let Node::Map(mut entries) = ordered(input, None) else {
        return ordered(input, None);
    };
    entries.sort_by_key(|(k, _)| {
        TOP_ORDER
            .iter()
            .position(|t| t == k)
            .unwrap_or(TOP_ORDER.len())
    });
    Node::Map(entries)
}

fn inline(n: &Node) -> String {
    match n {
        Node::Leaf(v) => v.to_string(),
        Node::List(items) => {
            let parts: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", parts.join(", "))
        }
        Node::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", Value::from(k.as_str()), inline(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// `n` starting at column `col`, nested at `indent`.
fn render_at(n: &Node, col: usize, indent: usize) -> String {
    let flat = inline(n);
    let empty = match n {
        Node::List(a) => a.is_empty(),
        Node::Map(m) => m.is_empty(),
        Node::Leaf(_) => true,
    };
    if empty || col + flat.len() <= WIDTH {
        return flat;
    }
    let pad = " ".repeat(indent + 2);
    let (open, shut, items): (char, char, Vec<String>) = match n {
        Node::List(items) => (
            '[',
            ']',
            items
                .iter()
                .map(|x| format!("{pad}{}", render_at(x, indent + 2, indent + 2)))
                .collect(),
        ),
        Node::Map(entries) => (
            '{',
            '}',
            entries
                .iter()
                .map(|(k, x)| {
                    let key = format!("{}: ", Value::from(k.as_str()));
                    let value = render_at(x, indent + 2 + key.len(), indent + 2);
                    format!("{pad}{key}{value}")
                })
                .collect(),
        ),
        Node::Leaf(_) => unreachable!("leaves are inline"),
    };
    format!(
        "{open}\n{}\n{}{shut}",
        items.join(",\n"),
        " ".repeat(indent)
    )
}

fn render(n: &Node) -> String {
    render_at(n, 0, 0)
}

// ---- the tests -------------------------------------------------------------------------------

#[test]
fn examples_match_the_core() {
    let steps = story();
    let mut outputs = Outputs::new();
    let mut failures = Vec::new();
    for step in &steps {
        let output_file = read_json(&file(step.name, "output"));
        let actual = if has_input(step.export) {
            // The file's own text goes in, as a caller would send it.
            let path = file(step.name, "input");
            let text =
                fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if read_json(&path) != (step.input)(&outputs) {
                failures.push(format!(
                    "{}: the input file is not what the story builds",
                    step.name
                ));
            }
            run(step.export, &text)
        } else {
            run(step.export, "")
        };
        if actual != output_file {
            failures.push(format!(
                "{}: the core answers differently:\n{}",
                step.name,
                serde_json::to_string_pretty(&actual).unwrap_or_default()
            ));
        }
        outputs.insert(step.name, output_file);
    }

    // Every file belongs to a step.
    let expected: BTreeSet<String> = tags(&steps)
        .into_iter()
        .map(|t| format!("{t}.json"))
        .collect();
    for entry in fs::read_dir(examples_dir()).expect("examples directory") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if !expected.contains(&name) {
            failures.push(format!("{name}: no step of the story produces this file"));
        }
    }

    // Every markdown block equals its file, and every file has exactly one block.
    let markdown = fs::read_to_string(root().join("CONTRACT.md")).expect("CONTRACT.md");
    let lines: Vec<&str> = markdown.lines().collect();
    let blocks = tagged_blocks(&markdown);
    for tag in tags(&steps) {
        match blocks.get(&tag).map(Vec::as_slice) {
            Some([(start, end)]) => {
                let text = lines[*start..*end].join("\n");
                let (name, side) = tag.rsplit_once('.').expect("tags are name.side");
                match serde_json::from_str::<Value>(&text) {
                    Ok(block) if block == read_json(&file(name, side)) => {}
                    Ok(_) => {
                        failures.push(format!("CONTRACT.md block `{tag}` differs from its file"))
                    }
                    Err(e) => failures.push(format!("CONTRACT.md block `{tag}` is not JSON: {e}")),
                }
            }
            Some(_) => failures.push(format!("CONTRACT.md has block `{tag}` more than once")),
            None => failures.push(format!("CONTRACT.md has no block `{tag}`")),
        }
    }
    for tag in blocks.keys() {
        if !tags(&steps).contains(tag) {
            failures.push(format!("CONTRACT.md block `{tag}` belongs to no step"));
        }
    }

    // The main line's records form one unbroken chain.
    let chain = json!({"records": main_line_records(&outputs)});
    let verified = run(Export::VerifyAudit, &chain.to_string());
    if verified["valid"] != true {
        failures.push(format!(
            "the main line's audit chain does not verify: {verified}"
        ));
    }

    assert!(
        failures.is_empty(),
        "{}\n\nAfter a deliberate change: cargo test -p jit-admin-core --test contract_examples -- --ignored regenerate",
        failures.join("\n\n")
    );
}

/// Rewrites every example file from the story, and the blocks of CONTRACT.md from the files.
#[test]
#[ignore = "writes files; run on purpose after a deliberate change"]
fn regenerate() {
    let steps = story();
    fs::create_dir_all(examples_dir()).expect("examples directory");
    let mut outputs = Outputs::new();
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    for step in &steps {
        let input = (step.input)(&outputs);
        let mut sent = String::new();
        if has_input(step.export) {
            let text = render(&input_node(&input));
            fs::write(file(step.name, "input"), format!("{text}\n")).expect("write input");
            sent = format!("{text}\n");
            texts.insert(format!("{}.input", step.name), text);
        }
        let answer = run(step.export, &sent);
        let text = render(&output_node(&answer));
        fs::write(file(step.name, "output"), format!("{text}\n")).expect("write output");
        texts.insert(format!("{}.output", step.name), text);
        outputs.insert(step.name, answer);
    }

    let path = root().join("CONTRACT.md");
    let markdown = fs::read_to_string(&path).expect("CONTRACT.md");
    let lines: Vec<&str> = markdown.lines().collect();
    let blocks = tagged_blocks(&markdown);
    let mut replaced = Vec::new();
    let mut i = 0;
    let starts: BTreeMap<usize, (usize, &str)> = blocks
        .iter()
        .flat_map(|(tag, spans)| spans.iter().map(move |(s, e)| (*s, (*e, tag.as_str()))))
        .collect();
    while i < lines.len() {
        if let Some((end, tag)) = starts.get(&i) {
            match texts.get(*tag) {
                Some(text) => replaced.extend(text.lines().map(str::to_owned)),
                None => replaced.extend(lines[i..*end].iter().map(|l| (*l).to_owned())),
            }
            // The closing fence.
            replaced.extend(lines.get(*end).map(|l| (*l).to_owned()));
            i = end + 1;
            continue;
        }
        replaced.push(lines[i].to_owned());
        i += 1;
    }
    fs::write(&path, replaced.join("\n") + "\n").expect("write CONTRACT.md");
    let missing: Vec<&String> = texts.keys().filter(|t| !blocks.contains_key(*t)).collect();
    assert!(
        missing.is_empty(),
        "CONTRACT.md has no block for {missing:?}"
    );
}
