//! The examples of `core/CONTRACT.md`, kept honest.
//!
//! The story below is the source of every example: each step builds its input, usually from an
//! earlier step's output (the grant it stored, the audit head it reached, the action it issued).
//! `contract/examples/<name>.input.json` and `.output.json` hold the result, written by
//! serde_json's pretty printer (keys sorted), and CONTRACT.md links both from the step's section.
//!
//! `examples_match_the_core` fails when any of these drifts: an input file that is not what its
//! step builds, an output that the core no longer produces, a file not in the printer's layout, a
//! file without a step, a file CONTRACT.md does not link or a link to no file, and a short
//! excerpt in CONTRACT.md (a block tagged `json <name>.<side>`) that its file no longer contains.
//! After a deliberate change, regenerate with
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
    EvidenceReport,
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
        Step {
            name: "29-evidence-report",
            export: Export::EvidenceReport,
            // alice's grant ended (11): the events she did while elevated, read from the org's
            // audit log, one of them high-risk, one by someone else.
            input: |o| {
                let collection = action_of(o, "11-action-succeeded-revoke", "collectEvidence");
                let event = |id: &str, time: &str, action: &str, actor: &str| {
                    json!({"id": id, "time": time, "action": action, "actorId": actor,
                           "actorName": "Alice", "context": ["group g-new (release-managers)"], "ip": "203.0.113.7"})
                };
                json!({
                    "policy": policy(),
                    "grant": grant_of(o, "11-action-succeeded-revoke"),
                    "collection": collection,
                    "events": [
                        event("ev-1", "2026-06-01T09:12:04.000Z", "group_created", "alice"),
                        event("ev-2", "2026-06-01T09:15:40.000Z", "api_key_created", "alice"),
                        event("ev-3", "2026-06-01T09:16:00.000Z", "group_created", "dana")
                    ],
                    "read": {"status": "complete", "pages": 1},
                    "now": "2026-06-01T10:30:40Z",
                    "auditHead": head_of(o, "11-action-succeeded-revoke")
                })
            },
        },
        Step {
            name: "30-tick-reminder",
            export: Export::Decide,
            // Nobody has approved alice's request (01) an hour before its approval deadline: the
            // wake at `notices.approvalReminderAt` brings the one reminder to the approvers.
            input: |o| {
                let at = grant_of(o, "01-submit")["notices"]["approvalReminderAt"].clone();
                let at = at.as_str().expect("a reminder time").to_owned();
                after("01-submit", o, &at, None, json!({"type": "tick"}))
            },
        },
        Step {
            name: "31-tick-window-end-warning",
            export: Export::Decide,
            // Ten minutes before the end of alice's window (after 04, before any extension).
            input: |o| {
                let end = grant_of(o, "04-action-succeeded-grant")["window"]["end"].clone();
                let end = jit_admin_core::Timestamp::parse(end.as_str().expect("a window end"))
                    .expect("a time");
                let at = end.plus_seconds(-600).expect("in range").to_string();
                after(
                    "04-action-succeeded-grant",
                    o,
                    &at,
                    None,
                    json!({"type": "tick"}),
                )
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
        Export::EvidenceReport => boundary::evidence_report_json(input),
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

// ---- the page ------------------------------------------------------------------------------

/// The example files CONTRACT.md links (`](contract/examples/<file>)`), with how often; a link
/// to the folder itself names no file.
fn linked_files(markdown: &str) -> BTreeMap<String, usize> {
    let mut links = BTreeMap::new();
    for piece in markdown.split("](contract/examples/").skip(1) {
        if let Some((file, _)) = piece.split_once(')').filter(|(f, _)| !f.is_empty()) {
            *links.entry(file.to_owned()).or_insert(0) += 1;
        }
    }
    links
}

/// The excerpts on the page: fenced blocks tagged `json <name>.<side>`, with their JSON text.
fn excerpts(markdown: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        if let Some(tag) = line.trim_start().strip_prefix("```json ") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            out.push((tag.trim().to_owned(), body.join("\n")));
        }
    }
    out
}

/// Whether `part` is an excerpt of `whole`: every member it shows is there with the same value
/// (members may be left out; arrays are shown whole, each item an excerpt of its counterpart).
fn is_excerpt(part: &Value, whole: &Value) -> bool {
    match (part, whole) {
        (Value::Object(p), Value::Object(w)) => p
            .iter()
            .all(|(k, v)| w.get(k).is_some_and(|x| is_excerpt(v, x))),
        (Value::Array(p), Value::Array(w)) => {
            p.len() == w.len() && p.iter().zip(w).all(|(a, b)| is_excerpt(a, b))
        }
        _ => part == whole,
    }
}

fn files(steps: &[Step]) -> BTreeSet<String> {
    steps
        .iter()
        .flat_map(|s| {
            let mut t = vec![format!("{}.output.json", s.name)];
            if has_input(s.export) {
                t.push(format!("{}.input.json", s.name));
            }
            t
        })
        .collect()
}

/// The text of an example file: serde_json's pretty printer, one final newline.
fn render(value: &Value) -> String {
    let text = serde_json::to_string_pretty(value).expect("a JSON value prints");
    format!("{text}\n")
}

// ---- the tests -------------------------------------------------------------------------------

#[test]
fn examples_match_the_core() {
    let steps = story();
    let mut outputs = Outputs::new();
    let mut failures = Vec::new();
    let check_layout = |path: &Path, value: &Value, failures: &mut Vec<String>| {
        let text = fs::read_to_string(path).unwrap_or_default();
        if text != render(value) {
            failures.push(format!(
                "{}: not in serde_json's pretty layout",
                path.display()
            ));
        }
    };
    for step in &steps {
        let output_path = file(step.name, "output");
        let output_file = read_json(&output_path);
        check_layout(&output_path, &output_file, &mut failures);
        let actual = if has_input(step.export) {
            // The file's own text goes in, as a caller would send it.
            let path = file(step.name, "input");
            let text =
                fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let input_file = read_json(&path);
            check_layout(&path, &input_file, &mut failures);
            if input_file != (step.input)(&outputs) {
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
    let expected = files(&steps);
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

    // The page links every file once, links no other, and quotes them faithfully.
    let markdown = fs::read_to_string(root().join("CONTRACT.md")).expect("CONTRACT.md");
    let links = linked_files(&markdown);
    for name in &expected {
        match links.get(name) {
            Some(1) => {}
            Some(n) => failures.push(format!("CONTRACT.md links `{name}` {n} times")),
            None => failures.push(format!("CONTRACT.md does not link `{name}`")),
        }
    }
    for name in links.keys().filter(|n| !expected.contains(*n)) {
        failures.push(format!(
            "CONTRACT.md links `{name}`, which no step produces"
        ));
    }
    for (tag, text) in excerpts(&markdown) {
        let name = format!("{tag}.json");
        if !expected.contains(&name) {
            failures.push(format!("CONTRACT.md excerpt `{tag}` names no example file"));
            continue;
        }
        let whole = read_json(&examples_dir().join(&name));
        match serde_json::from_str::<Value>(&text) {
            Ok(part) if is_excerpt(&part, &whole) => {}
            Ok(_) => failures.push(format!(
                "CONTRACT.md excerpt `{tag}` is not in `{name}` any more"
            )),
            Err(e) => failures.push(format!("CONTRACT.md excerpt `{tag}` is not JSON: {e}")),
        }
    }

    // The worked example of "The audit chain": record 1 of 01 as canonical JSON, and its hash.
    // serde_json writes keys sorted and no white space, which is RFC 8785 for this record.
    let mut record = out(&outputs, "01-submit")["audit"][0].clone();
    let hash = record
        .as_object_mut()
        .and_then(|r| r.remove("hash"))
        .unwrap_or_default();
    let canonical = serde_json::to_string(&record).unwrap_or_default();
    let hash = hash.as_str().unwrap_or_default();
    if !markdown.contains(&format!("`{canonical}`")) || !markdown.contains(&format!("`{hash}`")) {
        failures.push(format!(
            "CONTRACT.md's worked audit hash is out of date: record 1 of 01-submit is\n`{canonical}`\nwith hash `{hash}`"
        ));
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

#[test]
fn an_excerpt_may_leave_members_out_but_not_change_them() {
    let whole =
        json!({"ok": true, "head": {"seq": 5, "hash": "ab"}, "list": [1, {"a": 1, "b": 2}]});
    assert!(is_excerpt(&json!({"ok": true, "head": {"seq": 5}}), &whole));
    assert!(is_excerpt(&json!({"list": [1, {"b": 2}]}), &whole));
    assert!(!is_excerpt(&json!({"head": {"seq": 6}}), &whole));
    assert!(!is_excerpt(&json!({"list": [1]}), &whole));
    assert!(!is_excerpt(&json!({"missing": null}), &whole));
}

/// Rewrites every example file from the story.
#[test]
#[ignore = "writes files; run on purpose after a deliberate change"]
fn regenerate() {
    let steps = story();
    fs::create_dir_all(examples_dir()).expect("examples directory");
    let mut outputs = Outputs::new();
    for step in &steps {
        let input = (step.input)(&outputs);
        let mut sent = String::new();
        if has_input(step.export) {
            sent = render(&input);
            fs::write(file(step.name, "input"), &sent).expect("write input");
        }
        let answer = run(step.export, &sent);
        fs::write(file(step.name, "output"), render(&answer)).expect("write output");
        outputs.insert(step.name, answer);
    }
}
