//! The evidence pack: when to collect what an elevated person did in the organization's audit
//! log (`collection`), and what to make of the events read (`evidence_report`): the summary
//! comment, the CSV and JSON attachments, the high-risk alert and the audit record.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::action::{Action, Severity};
use crate::audit::{chain, details, AuditEntry, AuditHead, AuditOutcome, AuditRecord};
use crate::audit_event::AuditEvent;
use crate::comment::{Comment, CommentBlock};
use crate::error::DecisionError;
use crate::grant::Grant;
use crate::limits::check_id;
use crate::policy::Policy;
use crate::time::Timestamp;

/// Minutes between the end of the collected span and the first read: Atlassian does not say how
/// long an action takes to appear in the audit log (Guess, docs/platform-rules.md).
pub const INGEST_LAG_MINUTES: u32 = 5;
/// Most events one pack holds; the wrapper stops reading there and reports the read as partial.
pub const MAX_EVIDENCE_EVENTS: usize = 5000;
/// Longest text kept from one field of an event (the audit log's own data, not ours to refuse).
const MAX_FIELD_CHARS: usize = 500;
/// Actions named in the comment's counts; the rest are in the attachments.
const COMMENT_ACTIONS: usize = 20;
/// Events listed as "first actions" in the comment.
const FIRST_ACTIONS: usize = 5;
/// The alert key used when the organization has no audit-log access: one per installation, so
/// the admin page says it once.
pub const UNAVAILABLE_ALERT_KEY: &str = "evidence:AUDIT_LOG_UNAVAILABLE";

/// The collection a grant needs once its revoke is confirmed at `revoked_at`: none when the
/// policy turned evidence off or the grant was never activated (nothing was held to act with).
pub(crate) fn collection(policy: &Policy, grant: &Grant, revoked_at: Timestamp) -> Option<Action> {
    if !policy.evidence.enabled {
        return None;
    }
    let from = grant.activation.as_ref()?.at;
    let to = revoked_at
        .plus_minutes(policy.evidence.after_revoke_minutes)
        .unwrap_or(revoked_at);
    let at = to.plus_minutes(INGEST_LAG_MINUTES).unwrap_or(to);
    Some(Action::CollectEvidence {
        key: format!("{}:evidence", grant.id),
        grant_id: grant.id.clone(),
        issue_key: grant.issue_key.clone(),
        account_id: grant.subject.clone(),
        from,
        to,
        at,
    })
}

/// One audit-log event as the org adapter read it (`data[].attributes` of
/// `GET /v1/orgs/{orgId}/events`, flattened).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrgEvent {
    /// The event id.
    pub id: String,
    /// `attributes.time` as the API wrote it.
    pub time: String,
    /// `attributes.action`.
    pub action: String,
    /// `attributes.actor.id`.
    pub actor_id: String,
    /// `attributes.actor.name`, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub actor_name: Option<String>,
    /// `attributes.context[]`, each as `type id (name)`.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub context: Vec<String>,
    /// `attributes.location.ip`, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub ip: Option<String>,
}

/// How the read of the audit log went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "status", rename_all = "camelCase", deny_unknown_fields)]
pub enum AuditLogRead {
    /// Every page was read.
    #[serde(rename_all = "camelCase")]
    Complete {
        /// Pages read.
        pages: u32,
    },
    /// The read stopped before the last page.
    #[serde(rename_all = "camelCase")]
    Partial {
        /// Pages read.
        pages: u32,
        /// Why it stopped (the wrapper's words: the event cap, an error that kept coming back).
        reason: String,
    },
    /// The organization has no audit-log access (no Atlassian Guard: the events API answers
    /// 403 or 404).
    #[serde(rename_all = "camelCase")]
    Unavailable {
        /// The HTTP status the events API answered.
        http_status: u16,
    },
}

/// Input of `evidenceReport`: the collection the core asked for and what was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EvidenceInput {
    /// The policy in force (its high-risk actions).
    pub policy: Policy,
    /// The grant.
    pub grant: Grant,
    /// The `collectEvidence` action being answered.
    pub collection: Action,
    /// The events read, in any order.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub events: Vec<OrgEvent>,
    /// How the read went.
    pub read: AuditLogRead,
    /// Now.
    pub now: Timestamp,
    /// The audit chain's head.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub audit_head: Option<AuditHead>,
}

/// How often one action occurs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ActionCount {
    /// The audit-log action.
    pub action: String,
    /// How many events.
    pub count: u32,
}

/// A file to attach to the request issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// File name.
    pub filename: String,
    /// `text/csv` or `application/json`.
    pub media_type: String,
    /// The whole file.
    pub content: String,
}

/// The answer of `evidenceReport`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct EvidenceReport {
    /// Events in the pack (by the subject, within the span), oldest first.
    pub events: u32,
    /// Events the read returned that the pack left out (another actor, outside the span).
    pub ignored: u32,
    /// Events per action, most frequent first.
    pub by_action: Vec<ActionCount>,
    /// The high-risk ones among them.
    pub high_risk: Vec<ActionCount>,
    /// Files to attach to the request issue, each once (none when nothing could be read).
    pub attachments: Vec<Attachment>,
    /// The summary comment and the alerts, to execute like `decide`'s actions.
    pub actions: Vec<Action>,
    /// The `evidenceCollected` record.
    pub audit: Vec<AuditRecord>,
    /// The chain's new head.
    pub audit_head: AuditHead,
}

/// What the pack says about the events read for a collection.
pub fn evidence_report(input: &EvidenceInput) -> Result<EvidenceReport, DecisionError> {
    let Action::CollectEvidence {
        key,
        grant_id,
        issue_key,
        account_id,
        from,
        to,
        ..
    } = &input.collection
    else {
        return Err(DecisionError::invalid(
            "collection",
            "must be a collectEvidence action",
        ));
    };
    if *grant_id != input.grant.id {
        return Err(DecisionError::invalid(
            "collection.grantId",
            "must be the grant's id",
        ));
    }
    check_id("collection.key", key)?;
    if input.events.len() > MAX_EVIDENCE_EVENTS {
        return Err(DecisionError::invalid(
            "events",
            format!("at most {MAX_EVIDENCE_EVENTS} events; report the read as partial"),
        ));
    }
    let settings = &input.policy.evidence;
    let (mut kept, mut ignored) = (Vec::new(), 0u32);
    for event in &input.events {
        let time = Timestamp::parse(&event.time).ok();
        // The API filters by actor and time; an answer outside the asked span or by someone
        // else is not evidence against this person. An unreadable time is kept: dropping it
        // would hide an action.
        let in_span = time.is_none_or(|t| *from <= t && t <= *to);
        if event.actor_id == *account_id && in_span {
            kept.push((time, clean_event(event)));
        } else {
            ignored = ignored.saturating_add(1);
        }
    }
    // Oldest first; events of unknown time last; ties by id so the files never depend on the
    // order the pages came in.
    kept.sort_by(|(ta, a), (tb, b)| {
        (ta.is_none(), ta, &a.id, &a.action).cmp(&(tb.is_none(), tb, &b.id, &b.action))
    });
    kept.dedup_by(|(_, a), (_, b)| a.id == b.id);
    let by_action = counts(kept.iter().map(|(_, e)| e.action.as_str()));
    let high_risk: Vec<ActionCount> = by_action
        .iter()
        .filter(|c| settings.is_high_risk(&c.action))
        .cloned()
        .collect();

    let grant = &input.grant;
    let unavailable = match &input.read {
        AuditLogRead::Unavailable { http_status } => Some(*http_status),
        _ => None,
    };
    let stem = format!("jit-evidence-{}", file_safe(issue_key));
    let attachments = if unavailable.is_some() {
        Vec::new()
    } else {
        vec![
            Attachment {
                filename: format!("{stem}.csv"),
                media_type: "text/csv".into(),
                content: csv(&kept, settings),
            },
            Attachment {
                filename: format!("{stem}.json"),
                media_type: "application/json".into(),
                content: json_file(input, &kept, settings),
            },
        ]
    };

    let mut actions = Vec::new();
    let body = summary(input, &kept, &by_action, &high_risk, &attachments);
    actions.push(Action::Comment {
        key: format!("{key}:comment"),
        issue_key: issue_key.clone(),
        body,
    });
    if !high_risk.is_empty() {
        actions.push(Action::Alert {
            key: format!("{key}:high-risk"),
            severity: Severity::Critical,
            code: "HIGH_RISK_WHILE_ELEVATED".into(),
            message: format!(
                "{account_id} did high-risk actions while elevated by {issue_key} ({}): {}",
                grant.target_label,
                list_counts(&high_risk, COMMENT_ACTIONS)
            ),
            grant_id: Some(grant.id.clone()),
            issue_key: Some(issue_key.clone()),
        });
    }
    if let Some(status) = unavailable {
        actions.push(Action::Alert {
            key: UNAVAILABLE_ALERT_KEY.into(),
            severity: Severity::Warning,
            code: "AUDIT_LOG_UNAVAILABLE".into(),
            message: format!(
                "the organization's audit log cannot be read (the events API answered {status}; it needs Atlassian Guard): ended grants get no evidence pack"
            ),
            grant_id: None,
            issue_key: None,
        });
    }

    let (status, pages) = match &input.read {
        AuditLogRead::Complete { pages } => ("complete", Value::from(*pages)),
        AuditLogRead::Partial { pages, .. } => ("partial", Value::from(*pages)),
        AuditLogRead::Unavailable { .. } => ("unavailable", Value::Null),
    };
    let mut d = details([
        ("status", Value::from(status)),
        ("accountId", Value::from(account_id.clone())),
        ("from", Value::from(from.to_string())),
        ("to", Value::from(to.to_string())),
        ("events", Value::from(kept.len())),
        ("ignored", Value::from(ignored)),
        ("pages", pages),
        (
            "highRisk",
            Value::from(
                high_risk
                    .iter()
                    .map(|c| Value::from(c.action.clone()))
                    .collect::<Vec<_>>(),
            ),
        ),
        ("state", Value::from(grant.state_word())),
    ]);
    if let Some(status) = unavailable {
        d.insert("httpStatus".into(), Value::from(status));
    }
    if let AuditLogRead::Partial { reason, .. } = &input.read {
        d.insert("reason".into(), Value::from(truncate(reason)));
    }
    let entry = AuditEntry {
        at: input.now,
        actor: crate::step::SYSTEM.into(),
        event: AuditEvent::EvidenceCollected,
        outcome: AuditOutcome::Noted,
        grant_id: Some(grant.id.clone()),
        issue_key: Some(issue_key.clone()),
        target: Some(grant.target.clone()),
        details: d,
    };
    let (audit, audit_head) = chain(&input.audit_head.clone().unwrap_or_default(), vec![entry]);
    Ok(EvidenceReport {
        events: u32::try_from(kept.len()).unwrap_or(u32::MAX),
        ignored,
        by_action,
        high_risk,
        attachments,
        actions,
        audit,
        audit_head,
    })
}

/// The summary comment: the span, the counts by action, the first few actions, what is
/// high-risk, and which files hold the rest. Never markup: action names are plain text.
fn summary(
    input: &EvidenceInput,
    kept: &[(Option<Timestamp>, OrgEvent)],
    by_action: &[ActionCount],
    high_risk: &[ActionCount],
    attachments: &[Attachment],
) -> Vec<CommentBlock> {
    let grant = &input.grant;
    let (from, to) = match &input.collection {
        Action::CollectEvidence { from, to, .. } => (*from, *to),
        _ => (input.now, input.now),
    };
    let mut c = Comment::new()
        .text("Evidence pack: what ")
        .mention(&grant.subject)
        .text(format!(
            " did in the organization while holding {}, from the activation at {from} to {to} (the revoke plus {} minutes).",
            grant.target_label, input.policy.evidence.after_revoke_minutes
        ))
        .paragraph();
    if let AuditLogRead::Unavailable { http_status } = &input.read {
        return c
            .text(format!(
                "The organization's audit log cannot be read: the events API answered {http_status}. It needs Atlassian Guard; without it no evidence pack can be collected. The grant's own history is in the JIT Admin audit log."
            ))
            .finish();
    }
    let times: Vec<Timestamp> = kept.iter().filter_map(|(t, _)| *t).collect();
    if kept.is_empty() {
        c = c
            .text("The audit log has no events by this account in that span.")
            .paragraph();
    } else {
        let span = match (times.first(), times.last()) {
            (Some(first), Some(last)) => format!(", between {first} and {last}"),
            _ => String::new(),
        };
        c = c
            .text(format!("{} audit-log event(s){span}.", kept.len()))
            .paragraph()
            .text(format!(
                "By action: {}.",
                list_counts(by_action, COMMENT_ACTIONS)
            ))
            .paragraph();
        let first: Vec<String> = kept
            .iter()
            .take(FIRST_ACTIONS)
            .map(|(_, e)| format!("{} {}", e.time, e.action))
            .collect();
        c = c
            .text(format!("First actions: {}.", first.join("; ")))
            .paragraph();
    }
    if !high_risk.is_empty() {
        c = c
            .text(format!(
                "High-risk actions while elevated: {}. An alert was raised for the admins.",
                list_counts(high_risk, COMMENT_ACTIONS)
            ))
            .paragraph();
    }
    if let AuditLogRead::Partial { pages, reason } = &input.read {
        c = c
            .text(format!(
                "The read stopped after {pages} page(s) ({}): the list may be incomplete.",
                truncate(reason)
            ))
            .paragraph();
    }
    let names: Vec<&str> = attachments.iter().map(|a| a.filename.as_str()).collect();
    if !names.is_empty() {
        c = c.text(format!(
            "The full list is attached: {}.",
            names.join(" and ")
        ));
    }
    c.finish()
}

/// Counts per action, most frequent first, then by name.
fn counts<'a>(actions: impl Iterator<Item = &'a str>) -> Vec<ActionCount> {
    let mut map: BTreeMap<&str, u32> = BTreeMap::new();
    for a in actions {
        let n = map.entry(a).or_insert(0);
        *n = n.saturating_add(1);
    }
    let mut out: Vec<ActionCount> = map
        .into_iter()
        .map(|(action, count)| ActionCount {
            action: action.to_owned(),
            count,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.action.cmp(&b.action)));
    out
}

/// `a × 3, b × 1`, at most `max` of them, then how many more.
fn list_counts(counts: &[ActionCount], max: usize) -> String {
    let mut parts: Vec<String> = counts
        .iter()
        .take(max)
        .map(|c| format!("{} × {}", c.action, c.count))
        .collect();
    if counts.len() > max {
        parts.push(format!("and {} more", counts.len() - max));
    }
    parts.join(", ")
}

/// An event with each field cut to [`MAX_FIELD_CHARS`] and control characters removed.
fn clean_event(e: &OrgEvent) -> OrgEvent {
    OrgEvent {
        id: truncate(&e.id),
        time: truncate(&e.time),
        action: truncate(&e.action),
        actor_id: truncate(&e.actor_id),
        actor_name: e.actor_name.as_deref().map(truncate),
        context: e.context.iter().take(50).map(|c| truncate(c)).collect(),
        ip: e.ip.as_deref().map(truncate),
    }
}

fn truncate(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_FIELD_CHARS)
        .collect()
}

/// An issue key as part of a file name: letters, digits, `-` and `_` only.
fn file_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One CSV cell (RFC 4180 quoting). A cell a spreadsheet would run as a formula (`=`, `+`, `-`,
/// `@`, tab, carriage return first) gets a leading `'`: the audit log's data is written by
/// whoever named a group or a user, and a pack is opened by auditors.
fn cell(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

fn csv(
    kept: &[(Option<Timestamp>, OrgEvent)],
    settings: &crate::policy::EvidenceSettings,
) -> String {
    let mut out = String::from("time,action,highRisk,actorId,actorName,eventId,context,ip\r\n");
    for (_, e) in kept {
        let row = [
            cell(&e.time),
            cell(&e.action),
            cell(if settings.is_high_risk(&e.action) {
                "yes"
            } else {
                "no"
            }),
            cell(&e.actor_id),
            cell(e.actor_name.as_deref().unwrap_or("")),
            cell(&e.id),
            cell(&e.context.join("; ")),
            cell(e.ip.as_deref().unwrap_or("")),
        ];
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The JSON file: the pack's facts and every event, with its high-risk flag.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EvidenceFile<'a> {
    grant_id: &'a str,
    issue_key: &'a str,
    account_id: &'a str,
    target: &'a str,
    from: String,
    to: String,
    complete: bool,
    collected_at: String,
    events: Vec<FileEvent<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileEvent<'a> {
    id: &'a str,
    time: &'a str,
    action: &'a str,
    high_risk: bool,
    actor_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    actor_name: Option<&'a str>,
    context: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<&'a str>,
}

fn json_file(
    input: &EvidenceInput,
    kept: &[(Option<Timestamp>, OrgEvent)],
    settings: &crate::policy::EvidenceSettings,
) -> String {
    let (from, to, account_id) = match &input.collection {
        Action::CollectEvidence {
            from,
            to,
            account_id,
            ..
        } => (from.to_string(), to.to_string(), account_id.as_str()),
        _ => (String::new(), String::new(), ""),
    };
    let doc = EvidenceFile {
        grant_id: &input.grant.id,
        issue_key: &input.grant.issue_key,
        account_id,
        target: &input.grant.target,
        from,
        to,
        complete: matches!(input.read, AuditLogRead::Complete { .. }),
        collected_at: input.now.to_string(),
        events: kept
            .iter()
            .map(|(_, e)| FileEvent {
                id: &e.id,
                time: &e.time,
                action: &e.action,
                high_risk: settings.is_high_risk(&e.action),
                actor_id: &e.actor_id,
                actor_name: e.actor_name.as_deref(),
                context: &e.context,
                ip: e.ip.as_deref(),
            })
            .collect(),
    };
    crate::json::write::to_string(&doc, 4096).unwrap_or_default()
}
